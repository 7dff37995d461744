/** @module sim/onvif/frames  Frame sequences: a folder of JPEGs, or generated test frames. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

/** All *.jpg / *.jpeg files of a folder, in name order. */
export async function loadFrameDir(dir: string): Promise<Buffer[]> {
  const names = (await readdir(dir)).filter((f) => /\.jpe?g$/i.test(f)).sort();
  if (!names.length) throw new Error(`no JPEG frames in ${dir}`);
  return Promise.all(names.map((f) => readFile(path.join(dir, f))));
}

/** Real JPEGs: a street-grey background with a coloured block that moves, and the frame number. */
export async function makeTestFrames(n = 3, width = 640, height = 360): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
      <rect x="${40 + i * 40}" y="${height / 2}" width="120" height="60" fill="#c03030"/>
      <text x="10" y="30" font-size="24" fill="#ffffff">frame ${i}</text></svg>`;
    out.push(
      await sharp({ create: { width, height, channels: 3, background: '#6b6b6b' } })
        .composite([{ input: Buffer.from(svg) }])
        .jpeg({ quality: 80 })
        .toBuffer(),
    );
  }
  return out;
}
