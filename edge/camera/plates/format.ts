/**
 * @module edge/camera/plates/format
 * Chinese licence plate format (GA 36): province character, issuing-office letter, then five
 * characters (blue/yellow plates; the last may be 挂 学 警 港 澳 领 试 超 使) or six for green
 * new-energy plates (D/F first or last, the rest digits). I and O are never used. The pattern
 * itself is part of the wire contract (protocol/schemas/incident.ts), so central checks it too.
 */
import { PLATE_PATTERN } from '../../../protocol/index.js';

/** OCR text → the plate as written on the wire (no separators), or undefined when it is not a plate. */
export function normalisePlate(ocr: string): string | undefined {
  const t = ocr
    .replace(/[\s·•．.\-_:：]/g, '')
    .toUpperCase()
    .replace(/^(.)0/, '$1D'); // the office letter is never 0 (OCR reads D as 0)
  return PLATE_PATTERN.test(t) ? t : undefined;
}
