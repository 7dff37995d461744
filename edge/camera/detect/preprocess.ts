/**
 * @module edge/camera/detect/preprocess
 * sharp decode + letterbox (or stretch) into the model's input tensor, and the inverse transform
 * that maps boxes from model input coordinates back to the original image's pixels.
 */
import sharp, { type Sharp } from 'sharp';
import type { ModelManifest } from './manifest.js';

// Frames are small (a snapshot, letterboxed to the model): one libvips thread per pipeline
// avoids thread hand-offs that cost more than they save, and cameras already run in parallel.
// libvips' operation cache only helps repeated identical work, which frames never are.
sharp.concurrency(1);
sharp.cache(false);

/** Anything sharp accepts as input: an encoded image (JPEG/PNG) or a sharp instance. */
export type ImageInput = Buffer | Uint8Array | Sharp;

/** Maps model-input pixels back to original-image pixels: orig = (in - pad) / scale. */
export interface LetterboxTransform {
  srcWidth: number;
  srcHeight: number;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
}

export interface Prepared {
  data: Float32Array;
  dims: number[];
  transform: LetterboxTransform;
}

/** Decoded RGB pixels, so several models can share one decode. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
}

export async function decodeRgb(input: ImageInput): Promise<RawImage> {
  const img = Buffer.isBuffer(input) || input instanceof Uint8Array ? sharp(input) : input.clone();
  const { data, info } = await img
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels after decode, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}

/** Letterbox geometry only (no pixels): pure, shared by preprocessing and tests. */
export function letterboxGeometry(
  srcWidth: number,
  srcHeight: number,
  input: ModelManifest['input'],
): LetterboxTransform & { innerWidth: number; innerHeight: number } {
  const { width, height, letterbox } = input;
  if (!letterbox.enabled)
    return {
      srcWidth,
      srcHeight,
      scaleX: width / srcWidth,
      scaleY: height / srcHeight,
      padX: 0,
      padY: 0,
      innerWidth: width,
      innerHeight: height,
    };
  const r = Math.min(width / srcWidth, height / srcHeight);
  const innerWidth = Math.max(1, Math.round(srcWidth * r));
  const innerHeight = Math.max(1, Math.round(srcHeight * r));
  const padX = letterbox.center ? Math.floor((width - innerWidth) / 2) : 0;
  const padY = letterbox.center ? Math.floor((height - innerHeight) / 2) : 0;
  return { srcWidth, srcHeight, scaleX: r, scaleY: r, padX, padY, innerWidth, innerHeight };
}

function isRawImage(x: ImageInput | RawImage): x is RawImage {
  return typeof x === 'object' && 'data' in x && 'width' in x && 'height' in x && !Buffer.isBuffer(x);
}

/**
 * Width and height from a baseline/progressive JPEG's SOF header, read in JavaScript: saves a
 * libvips metadata round trip per frame. undefined when it is not a JPEG (sharp then reads it).
 */
export function jpegSize(b: Uint8Array): { width: number; height: number } | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    const len = (b[i + 2] << 8) | b[i + 3];
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (b[i + 5] << 8) | b[i + 6];
      const width = (b[i + 7] << 8) | b[i + 8];
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
    i += 2 + len;
  }
  return undefined;
}

/** A sharp pipeline on the image and its size, without decoding the pixels yet. */
async function open(img: ImageInput | RawImage): Promise<{ s: Sharp; width: number; height: number }> {
  if (isRawImage(img))
    return { s: sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }), ...img };
  const encoded = Buffer.isBuffer(img) || img instanceof Uint8Array;
  const s = encoded ? sharp(img) : img.clone();
  const known = encoded ? jpegSize(img) : undefined;
  if (known) return { s: s.removeAlpha().toColourspace('srgb'), ...known };
  const m = await s.metadata();
  if (!m.width || !m.height) throw new Error('image has no size (not an image?)');
  return { s: s.removeAlpha().toColourspace('srgb'), width: m.width, height: m.height };
}

/**
 * Resize (and pad) an image into the model's normalised input tensor. From an encoded JPEG this
 * never decodes full size: libjpeg's shrink-on-load decodes at 1/2..1/8 scale straight to the
 * letterbox size (the benchmark's bottleneck was the full decode).
 */
export async function prepare(img: RawImage | ImageInput, input: ModelManifest['input']): Promise<Prepared> {
  const src = await open(img);
  const g = letterboxGeometry(src.width, src.height, input);
  const { width, height } = input;
  const pad = input.letterbox.pad;
  // Resize only; the letterbox border is written by toTensor (a libvips extend costs more).
  const { data: pixels, info } = await src.s
    .resize(g.innerWidth, g.innerHeight, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  const data = toTensor(pixels, g, input);
  const dims = input.layout === 'nchw' ? [1, 3, height, width] : [1, height, width, 3];
  const { innerWidth: _w, innerHeight: _h, ...transform } = g;
  return { data, dims, transform };
}

/**
 * (pixel · scale − mean) / std per channel, as pixel · a + b with a, b precomputed; the inner
 * image goes at (padX, padY), everything around it is the letterbox pad value.
 */
function toTensor(
  pixels: Buffer,
  g: { padX: number; padY: number; innerWidth: number; innerHeight: number },
  input: ModelManifest['input'],
): Float32Array {
  const { width, height, scale, mean, std } = input;
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  const order = input.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const nchw = input.layout === 'nchw';
  const bordered = g.innerWidth !== width || g.innerHeight !== height;
  for (let c = 0; c < 3; c++) {
    const src = order[c];
    const a = scale / std[c];
    const b = -mean[c] / std[c];
    if (bordered) {
      const padValue = input.letterbox.pad * a + b;
      if (nchw) out.fill(padValue, c * plane, (c + 1) * plane);
      else for (let i = 0; i < plane; i++) out[i * 3 + c] = padValue;
    }
    for (let y = 0; y < g.innerHeight; y++) {
      const row = (y + g.padY) * width + g.padX;
      const srcRow = y * g.innerWidth * 3 + src;
      if (nchw) {
        const base = c * plane + row;
        for (let x = 0; x < g.innerWidth; x++) out[base + x] = pixels[srcRow + x * 3] * a + b;
      } else for (let x = 0; x < g.innerWidth; x++) out[(row + x) * 3 + c] = pixels[srcRow + x * 3] * a + b;
    }
  }
  return out;
}
