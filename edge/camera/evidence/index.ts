/**
 * @module edge/camera/evidence
 * Evidence images: the frame with zones, boxes, labels and track ids drawn (an SVG overlay
 * composited by sharp), and the clean frame exactly as the camera sent it.
 */
import sharp from 'sharp';
import type { ZoneConfig } from '../config.js';
import type { Box } from '../detect/index.js';

export interface DrawnBox {
  label: string;
  score: number;
  box: Box;
  trackId?: number;
}

export interface Overlay {
  boxes: readonly DrawnBox[];
  zones: readonly Pick<ZoneConfig, 'id' | 'type' | 'polygon' | 'name'>[];
  /** drawn thicker and red: the cause of the incident */
  highlight?: { zoneId?: string; trackIds?: readonly number[] };
  caption?: string;
}

const ZONE_COLOUR: Record<ZoneConfig['type'], string> = {
  no_parking: '#ff9800',
  litter: '#8bc34a',
  post: '#03a9f4',
};
const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function overlaySvg(width: number, height: number, o: Overlay): string {
  const k = Math.max(1, Math.round(Math.min(width, height) / 360)); // stroke/font scale
  const parts: string[] = [];
  for (const z of o.zones) {
    const hot = o.highlight?.zoneId === z.id;
    const c = ZONE_COLOUR[z.type];
    const pts = z.polygon.map(([x, y]) => `${x},${y}`).join(' ');
    const [lx, ly] = z.polygon[0];
    parts.push(
      `<polygon points="${pts}" fill="${c}" fill-opacity="${hot ? 0.22 : 0.1}" stroke="${c}" stroke-width="${(hot ? 3 : 2) * k}"/>`,
      `<text x="${lx + 4 * k}" y="${ly + 14 * k}" font-size="${12 * k}" font-family="sans-serif" fill="${c}">${esc(z.name ?? z.id)} (${z.type})</text>`,
    );
  }
  for (const b of o.boxes) {
    const hot = b.trackId !== undefined && o.highlight?.trackIds?.includes(b.trackId);
    const c = hot ? '#ff1744' : '#ffeb3b';
    const text = `${b.label} ${Math.round(b.score * 100)}%${b.trackId !== undefined ? ` #${b.trackId}` : ''}`;
    const ty = b.box.y > 16 * k ? b.box.y - 4 * k : b.box.y + b.box.h + 14 * k;
    parts.push(
      `<rect x="${b.box.x}" y="${b.box.y}" width="${b.box.w}" height="${b.box.h}" fill="none" stroke="${c}" stroke-width="${(hot ? 3 : 2) * k}"/>`,
      `<text x="${b.box.x}" y="${ty}" font-size="${12 * k}" font-family="sans-serif" fill="${c}" stroke="#000" stroke-width="${0.3 * k}">${esc(text)}</text>`,
    );
  }
  if (o.caption)
    parts.push(
      `<rect x="0" y="${height - 22 * k}" width="${width}" height="${22 * k}" fill="#000" fill-opacity="0.55"/>`,
      `<text x="${6 * k}" y="${height - 6 * k}" font-size="${13 * k}" font-family="sans-serif" fill="#fff">${esc(o.caption)}</text>`,
    );
  return `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

/** The annotated JPEG of a frame. `maxWidth` downsizes (for command replies). */
export async function annotate(jpeg: Buffer, o: Overlay, quality = 80, maxWidth?: number): Promise<Buffer> {
  const meta = await sharp(jpeg).metadata();
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (!w || !h) throw new Error('evidence: frame has no size');
  let img = sharp(jpeg).composite([{ input: Buffer.from(overlaySvg(w, h, o)), top: 0, left: 0 }]);
  if (maxWidth && w > maxWidth) img = sharp(await img.png().toBuffer()).resize({ width: maxWidth });
  return img.jpeg({ quality }).toBuffer();
}
