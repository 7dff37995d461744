/**
 * The letterbox is written in JavaScript around a libvips resize (faster than libvips' extend);
 * it must give exactly the tensor a resize + extend pipeline gives, and the JPEG header reader
 * must agree with sharp's metadata.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from './manifest.js';
import { jpegSize, letterboxGeometry, prepare } from './preprocess.js';

const input = {
  name: 'images',
  width: 64,
  height: 64,
  channels: 'rgb',
  layout: 'nchw',
  scale: 1 / 255,
  mean: [0.1, 0.2, 0.3],
  std: [0.5, 0.6, 0.7],
  letterbox: { enabled: true, pad: 114, center: true },
} as unknown as ModelManifest['input'];

async function testJpeg(w: number, h: number): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + (i >> 7)) % 256;
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

describe('camera detect - preprocess', () => {
  it('letterboxes exactly like a resize + extend pipeline, in both layouts and channel orders', async () => {
    const jpeg = await testJpeg(160, 90);
    for (const variant of [
      input,
      { ...input, layout: 'nhwc', channels: 'bgr' },
    ] as ModelManifest['input'][]) {
      const got = await prepare(jpeg, variant);
      const g = letterboxGeometry(160, 90, variant);
      const ref = await sharp(jpeg)
        .resize(g.innerWidth, g.innerHeight, { fit: 'fill', kernel: 'linear' })
        .extend({
          top: g.padY,
          left: g.padX,
          bottom: 64 - g.innerHeight - g.padY,
          right: 64 - g.innerWidth - g.padX,
          background: { r: 114, g: 114, b: 114 },
        })
        .raw()
        .toBuffer();
      const order = variant.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
      for (let y = 0; y < 64; y++)
        for (let x = 0; x < 64; x++)
          for (let c = 0; c < 3; c++) {
            const v = ref[(y * 64 + x) * 3 + order[c]];
            const want = (v * variant.scale - variant.mean[c]) / variant.std[c];
            const at = variant.layout === 'nchw' ? c * 4096 + y * 64 + x : (y * 64 + x) * 3 + c;
            expect(got.data[at]).toBeCloseTo(want, 4);
          }
      expect(got.transform).toMatchObject({ padX: 0, padY: g.padY, scaleX: 0.4 });
    }
  });

  it('reads JPEG sizes from the header as sharp does, and declines what is not a JPEG', async () => {
    for (const [w, h] of [
      [160, 90],
      [37, 251],
    ] as const) {
      const j = await testJpeg(w, h);
      expect(jpegSize(j)).toEqual({ width: w, height: h });
      const p = await sharp(j).jpeg({ progressive: true }).toBuffer();
      expect(jpegSize(p)).toEqual({ width: w, height: h });
    }
    const png = await sharp(await testJpeg(20, 10))
      .png()
      .toBuffer();
    expect(jpegSize(png)).toBeUndefined();
    expect(jpegSize(Buffer.from([0xff, 0xd8, 0xff]))).toBeUndefined();
  });
});
