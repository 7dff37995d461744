/**
 * @module edge/camera/plates
 * Licence plates on vehicle evidence: find text inside the vehicle's box (PP-OCRv4 detection),
 * read each plate-shaped region (recognition), and keep the first reading that is a valid
 * Chinese plate. General OCR on a whole frame loses characters; on a tight crop it reads exactly,
 * so the crop is the point. Unreadable or not plate-shaped → undefined, never a guess. The camera
 * unit runs it only on event frames (new / update / end), never on every frame.
 */

import type { Box } from '../detect/index.js';
import { cropRaw } from '../detect/index.js';
import type { RawImage } from '../detect/preprocess.js';
import { normalisePlate } from './format.js';
import type { Ocr } from './ocr.js';

export { normalisePlate } from './format.js';
export { loadOcr, type Ocr } from './ocr.js';

export interface PlateReading {
  text: string;
  confidence: number;
}

/** plates are 440x140 (blue) or 480x140 (green): width/height about 3.1–3.4, allow for tilt */
const plateShaped = (b: Box) => b.w / b.h >= 1.8 && b.w / b.h <= 7;
const MIN_CONFIDENCE = 0.7;

/** Read the plate of the vehicle at `box` in `frame`, or undefined. */
export async function readPlate(ocr: Ocr, frame: RawImage, box: Box): Promise<PlateReading | undefined> {
  // Plates sit in the lower half of a vehicle seen from the front, back or side; the upper half
  // holds windows and, behind them, shop signs and banners that read as text too.
  const lower = { x: box.x, y: box.y + box.h * 0.45, w: box.w, h: box.h * 0.55 };
  const car = await cropRaw(frame, plateShaped(box) ? box : lower);
  const candidates = plateShaped(box) ? [{ x: 0, y: 0, w: car.width, h: car.height }] : [];
  for (const r of await ocr.detect(car)) if (plateShaped(r.box)) candidates.push(r.box);
  for (const c of candidates.slice(0, 6)) {
    const line = await ocr.recognise(await cropRaw(car, c));
    const text = normalisePlate(line.text);
    if (text && line.confidence >= MIN_CONFIDENCE) return { text, confidence: line.confidence };
  }
  return undefined;
}
