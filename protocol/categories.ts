/**
 * @module protocol/categories
 * Event categories, GB/T 30428 / CJ/T 214 style: a 2-digit major class and a 2-digit small class,
 * written "MM.SS". Classes 90+ are this project's extensions for what the standard does not cover
 * (uniform and discipline, absence from post, muck-truck violations, equipment).
 * The codes' names, deadlines and routing live in one place, central's catalog
 * (`central/seed/catalog.json`, or the city's own import); the codes the edge produces are
 * `INCIDENT_KINDS` (kinds.ts), and central/city's tests check the catalog holds each of them.
 */
import { z } from 'zod';

export const CategoryCode = z
  .string()
  .regex(/^\d{2}\.\d{2}$/, 'must be a category code "MM.SS", e.g. "05.05"');
export type CategoryCode = z.infer<typeof CategoryCode>;
