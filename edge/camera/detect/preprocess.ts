/**
 * @module edge/camera/detect/preprocess
 * sharp decode + letterbox (or stretch) into the model's input tensor, and the inverse transform
 * that maps boxes from model input coordinates back to the original image's pixels.
 */
import sharp, { type Sharp } from 'sharp';
import type { ModelManifest } from './manifest.js';

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

/** A sharp pipeline on the image and its size, without decoding the pixels yet. */
async function open(img: ImageInput | RawImage): Promise<{ s: Sharp; width: number; height: number }> {
  if (isRawImage(img))
    return { s: sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }), ...img };
  const s = Buffer.isBuffer(img) || img instanceof Uint8Array ? sharp(img) : img.clone();
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
  let pipeline = src.s.resize(g.innerWidth, g.innerHeight, { fit: 'fill', kernel: 'linear' });
  if (g.innerWidth !== width || g.innerHeight !== height)
    pipeline = pipeline.extend({
      top: g.padY,
      left: g.padX,
      bottom: height - g.innerHeight - g.padY,
      right: width - g.innerWidth - g.padX,
      background: { r: pad, g: pad, b: pad },
    });
  const { data: pixels, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  const data = toTensor(pixels, input);
  const dims = input.layout === 'nchw' ? [1, 3, height, width] : [1, height, width, 3];
  const { innerWidth: _w, innerHeight: _h, ...transform } = g;
  return { data, dims, transform };
}

/** (pixel · scale − mean) / std per channel, as pixel · a + b with a, b precomputed. */
function toTensor(pixels: Buffer, input: ModelManifest['input']): Float32Array {
  const { width, height, scale, mean, std } = input;
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  const order = input.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const src = order[c];
    const a = scale / std[c];
    const b = -mean[c] / std[c];
    if (input.layout === 'nchw') {
      const base = c * plane;
      for (let i = 0; i < plane; i++) out[base + i] = pixels[i * 3 + src] * a + b;
    } else for (let i = 0; i < plane; i++) out[i * 3 + c] = pixels[i * 3 + src] * a + b;
  }
  return out;
}
