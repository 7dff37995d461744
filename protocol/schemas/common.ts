/** @module protocol/schemas/common  Small shapes reused by several messages. */
import { z } from 'zod';

export const IsoTime = z.iso
  .datetime({ offset: true })
  .describe('ISO 8601 time with offset, e.g. 2026-11-28T01:02:03.000Z');

export const LatLon = z.object({
  lat: z.number().min(-90).max(90).describe('WGS-84 latitude, degrees'),
  lon: z.number().min(-180).max(180).describe('WGS-84 longitude, degrees'),
});

/** A box in the frame's own pixel coordinates (top-left origin). */
export const Box = z.object({
  x: z.number().describe('left, px'),
  y: z.number().describe('top, px'),
  w: z.number().nonnegative().describe('width, px'),
  h: z.number().nonnegative().describe('height, px'),
});

export const Detection = z.object({
  label: z.string().min(1).max(64),
  score: z.number().min(0).max(1),
  box: Box,
  trackId: z.number().int().nonnegative().optional(),
});

export const ModelRef = z.object({
  name: z.string().min(1).max(128),
  version: z.string().max(64).optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
