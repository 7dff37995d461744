/**
 * The real COCO detector the tests run (YOLOX-Nano, vendored in models/yolox-nano with its
 * licences) and the shared real photos they read (../shared, absent on some machines).
 */
import path from 'node:path';

export const YOLOX_MANIFEST = path.resolve(import.meta.dirname, '../../models/yolox-nano/manifest.json');
export const SHARED_PHOTOS = path.resolve(import.meta.dirname, '../../../shared/testdata/photos');

/** The vendored detector's manifest; `skip` is kept for the callers' skip chains (never set now). */
export function sharedYoloxManifest(): { manifest: string; skip?: string } {
  return { manifest: YOLOX_MANIFEST };
}
