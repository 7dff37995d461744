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

/** Resize (and pad) decoded RGB pixels into the model's normalised input tensor. */
export async function prepare(raw: RawImage, input: ModelManifest['input']): Promise<Prepared> {
  const g = letterboxGeometry(raw.width, raw.height, input);
  const { width, height } = input;
  const pad = input.letterbox.pad;
  let pipeline = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } }).resize(
    g.innerWidth,
    g.innerHeight,
    { fit: 'fill', kernel: 'linear' },
  );
  if (g.innerWidth !== width || g.innerHeight !== height)
    pipeline = pipeline.extend({
      top: g.padY,
      left: g.padX,
      bottom: height - g.innerHeight - g.padY,
      right: width - g.innerWidth - g.padX,
      background: { r: pad, g: pad, b: pad },
    });
  const pixels = await pipeline.raw().toBuffer();
  const data = toTensor(pixels, input);
  const dims = input.layout === 'nchw' ? [1, 3, height, width] : [1, height, width, 3];
  const { innerWidth: _w, innerHeight: _h, ...transform } = g;
  return { data, dims, transform };
}

function toTensor(pixels: Buffer, input: ModelManifest['input']): Float32Array {
  const { width, height, scale, mean, std } = input;
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  const order = input.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const nchw = input.layout === 'nchw';
  for (let c = 0; c < 3; c++) {
    const src = order[c];
    const m = mean[c];
    const s = std[c];
    for (let i = 0; i < plane; i++) {
      const v = (pixels[i * 3 + src] * scale - m) / s;
      out[nchw ? c * plane + i : i * 3 + c] = v;
    }
  }
  return out;
}
