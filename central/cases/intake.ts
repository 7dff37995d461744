/**
 * @module central/cases/intake
 * Intake over HTTP (collectors, hotline, citizens, WeChat, leaders; Open311 uses `openReport`):
 * validate place and category, number the case, propose duplicates, and answer an
 * Idempotency-Key once — the same key and body answer the first result again and change
 * nothing; the same key with another body is refused (409). The key is taken in the same commit
 * as the case, so two requests racing with one key make one case. Edge incidents come in
 * through from-incident.ts.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Role, User } from '../auth/roles.js';
import { ProblemError } from '../http/problem.js';
import { Duplicate } from '../store/contract/index.js';
import { nextCaseNumber } from './case-number.js';
import {
  actorOf,
  assertUncited,
  type CaseContext,
  citedByAnother,
  duplicatesOf,
  uploadedEvidence,
} from './context.js';
import type { Actor, CaseRecord, CaseSource } from './model.js';
import { type NewCase, newCase } from './records.js';

const AttName = z.string().max(128);
export const IntakeInput = z.strictObject({
  source: z.enum(['collector', 'hotline_12345', 'citizen', 'wechat', 'leader']),
  category: z.string().regex(/^\d{2}\.\d{2}$/, 'category code "MM.SS"'),
  description: z.string().trim().min(1).max(2000),
  location: z
    .strictObject({
      lat: z.number().min(-90).max(90).optional(),
      lon: z.number().min(-180).max(180).optional(),
      address: z.string().max(256).optional(),
      gridCode: z
        .string()
        .regex(/^\d{15}$/, '15-digit grid code')
        .optional(),
    })
    .refine((l) => (l.lat === undefined) === (l.lon === undefined), 'lat and lon go together')
    .refine((l) => l.lat !== undefined || l.gridCode, 'a GPS position or a grid code is required'),
  photos: z.array(AttName).max(9).default([]),
  voiceNote: AttName.optional(),
  reporter: z
    .strictObject({ name: z.string().max(64).optional(), contact: z.string().max(64).optional() })
    .optional(),
  ticketNo: z.string().max(64).optional().describe('12345 ticket number or other external reference'),
});
export type IntakeInput = z.infer<typeof IntakeInput>;

/** Which sources each role may submit. */
const SOURCES_BY_ROLE: Record<Role, readonly CaseSource[]> = {
  collector: ['collector'],
  operator: ['hotline_12345', 'citizen', 'wechat', 'leader'],
  admin: ['collector', 'hotline_12345', 'citizen', 'wechat', 'leader'],
  leader: ['leader'],
  integration: ['hotline_12345', 'citizen', 'wechat'],
  unit_handler: [],
};

/** How long an Idempotency-Key answers the first result (a client's retries come within it). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** Validate place and category, make the case, number it, propose duplicates. Intake and Open311. */
export async function openReport(ctx: CaseContext, n: NewCase, actor: Actor): Promise<CaseRecord> {
  const { city } = ctx;
  if (!city.categories.has(n.category))
    throw new ProblemError(422, 'unknown-category', `unknown category ${n.category}`, {
      category: n.category,
    });
  const { lat, lon } = n.location;
  if (lat !== undefined && lon !== undefined) {
    const g = city.gridAt(lat, lon);
    if (!g)
      throw new ProblemError(
        422,
        'outside-grids',
        `position ${lat},${lon} is outside every grid of the city`,
      );
    n.location.gridCode = g.code;
  } else if (!n.location.gridCode || !city.grids.has(n.location.gridCode))
    throw new ProblemError(422, 'unknown-grid', `unknown grid ${n.location.gridCode}`);
  const now = ctx.now();
  const c = newCase(city, n, actor, now);
  c.caseNumber = await nextCaseNumber(ctx.store.cases, city.calendar.utcOffsetMinutes, now);
  c.duplicateCandidates = await duplicatesOf(ctx.store.cases, c, ctx.duplicateMetres);
  return c;
}

export interface IntakeResult {
  status: number;
  case: CaseRecord;
  replayed: boolean;
}

/** What an earlier request under this key answered, or 409 when that request was another one. */
async function replay(
  ctx: CaseContext,
  key: string,
  idemKey: string,
  requestSha256: string,
): Promise<IntakeResult | undefined> {
  const seen = await ctx.store.idempotency.get(key, ctx.now());
  if (!seen) return undefined;
  if (seen.requestSha256 !== requestSha256)
    throw new ProblemError(
      409,
      'idempotency-key-reused',
      `Idempotency-Key ${idemKey} was used for a different request`,
    );
  const c = await ctx.store.cases.get(seen.caseId);
  if (!c) throw new Error(`idempotency key ${key} names case ${seen.caseId}, which is not stored`);
  return { status: seen.status, case: c.case, replayed: true };
}

export async function intake(
  ctx: CaseContext,
  input: IntakeInput,
  user: User,
  idemKey?: string,
): Promise<IntakeResult> {
  const requestSha256 = createHash('sha256').update(JSON.stringify(input)).digest('hex');
  const key = idemKey ? `${user.id}:${idemKey}` : undefined;
  if (key && idemKey) {
    const seen = await replay(ctx, key, idemKey, requestSha256);
    if (seen) return seen;
  }
  if (!SOURCES_BY_ROLE[user.role].includes(input.source))
    throw new ProblemError(
      403,
      'source-not-allowed',
      `role ${user.role} may not submit ${input.source} reports`,
    );
  const evidence = [
    ...(await uploadedEvidence(ctx, input.photos, 'photo', 'photo', user)),
    ...(await uploadedEvidence(ctx, input.voiceNote ? [input.voiceNote] : [], 'voice', 'voice', user)),
  ];
  const c = await openReport(
    ctx,
    {
      source: input.source,
      reporter: { id: user.id, role: user.role, collectorId: user.collectorId, ...input.reporter },
      refs: { ticketNo: input.ticketNo },
      category: input.category,
      description: input.description,
      location: { ...input.location },
      evidence,
    },
    actorOf(user),
  );
  await assertUncited(ctx, evidence);
  const now = ctx.now();
  try {
    await ctx.store.cases.commit({
      cases: [{ case: c, expectedVersion: 0 }],
      claims: evidence.map((e) => e.name),
      idempotency:
        key === undefined
          ? undefined
          : {
              key,
              userId: user.id,
              requestSha256,
              status: 201,
              caseId: c.id,
              at: now.toISOString(),
              expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
            },
    });
  } catch (e) {
    // the same key committed by a request racing this one: answer as its replay
    if (e instanceof Duplicate && e.what === 'idempotency-key' && key && idemKey) {
      const seen = await replay(ctx, key, idemKey, requestSha256);
      if (seen) return seen;
    }
    throw citedByAnother(e);
  }
  return { status: 201, case: c, replayed: false };
}
