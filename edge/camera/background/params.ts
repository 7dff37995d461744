/** @module edge/camera/background/params  The `cameras.background` settings (litter by persistence). */
import { z } from 'zod';

export const BackgroundParams = z
  .object({
    width: z
      .number()
      .int()
      .min(32)
      .max(640)
      .default(160)
      .describe('the background model works on frames shrunk to this width, px'),
    threshold: z
      .number()
      .min(1)
      .max(255)
      .default(28)
      .describe(
        'a pixel differing from the background by more than this (0-255, after brightness normalisation) is foreground',
      ),
    motionThreshold: z
      .number()
      .min(1)
      .max(255)
      .default(20)
      .describe('a pixel changing by more than this since the previous frame is moving (not static)'),
    learnStep: z
      .number()
      .min(0.1)
      .max(64)
      .default(2)
      .describe('running-median step per frame where the scene is background and still'),
    minAreaPx: z
      .number()
      .min(1)
      .max(1e7)
      .default(250)
      .describe('smallest static object, in image px² (smaller foreground is noise)'),
    coverMargin: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('person/vehicle boxes are grown by this fraction each side (shadows) before masking'),
    absorbAfterS: z
      .number()
      .min(0)
      .max(604800)
      .default(0)
      .describe(
        'a static object is taken into the background after this long; 0 = never (it stays until removed)',
      ),
    confidence: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe('confidence of a static object alone; an overlapping litter-class detection raises it'),
  })
  .strict();
export type BackgroundParams = z.infer<typeof BackgroundParams>;
