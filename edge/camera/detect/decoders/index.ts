/**
 * @module edge/camera/detect/decoders
 * Registry of output-layout plugins, keyed by the manifest's `output.layout`. To add a layout,
 * write one file exporting a DetectDecoder and list it here.
 */
import { picodet } from './picodet.js';
import type { DetectDecoder } from './types.js';
import { yolov5 } from './yolov5.js';
import { yolov8 } from './yolov8.js';
import { yolox } from './yolox.js';

export type { Candidate, DetectDecoder, Dims, OutTensor } from './types.js';

export const DECODERS: Readonly<Record<DetectDecoder['key'], DetectDecoder>> = {
  yolov5,
  yolov8,
  yolox,
  picodet,
};

export function decoderFor(layout: string): DetectDecoder {
  const d = (DECODERS as Record<string, DetectDecoder>)[layout];
  if (!d)
    throw new Error(`no decoder for output layout "${layout}" (have ${Object.keys(DECODERS).join(', ')})`);
  return d;
}
