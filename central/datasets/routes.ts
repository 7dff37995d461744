/**
 * @module central/datasets/routes
 * Admin only.
 * - `GET /api/datasets/verdicts?from&to&types`: the recorded verdicts (JSON).
 * - `GET /api/datasets/export?from&to&types`: the data set zip, streamed (see ./export.ts).
 * - `POST /api/datasets/exports` (same fields as JSON) → 202 `{ id, url }`: an export job for long
 *   exports; `GET /api/datasets/exports/:id` → `{ state: running|done|failed, done, total, error? }`;
 *   `GET /api/datasets/exports/:id/zip` once done. The zip is written as `.part` and renamed when
 *   complete, so a failed job never offers a half-written file.
 */
import { createReadStream, createWriteStream, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Hono } from 'hono';
import { z } from 'zod';
import { INCIDENT_KINDS } from '../../protocol/index.js';
import type { AuthEnv, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import type { EvidenceSource } from '../evidence/routes.js';
import { ProblemError } from '../http/problem.js';
import { type ExportFilter, selectVerdicts, writeDataset } from './export.js';
import type { VerdictLog } from './verdicts.js';

const When = z.iso.datetime({ offset: true }).or(z.iso.date());
export const Filter = z.strictObject({
  from: When.optional(),
  to: When.optional(),
  types: z.string().max(512).optional().describe('comma-separated incident kinds'),
});

function filterOf(raw: unknown): ExportFilter {
  const r = Filter.safeParse(raw);
  if (!r.success)
    throw new ProblemError(
      422,
      'invalid-input',
      r.error.issues.map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`).join('; '),
    );
  const types = r.data.types
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = types?.filter((t) => !(t in INCIDENT_KINDS));
  if (unknown?.length)
    throw new ProblemError(422, 'unknown-type', `unknown incident kinds: ${unknown.join(', ')}`);
  return {
    from: r.data.from ? new Date(r.data.from) : undefined,
    to: r.data.to ? new Date(r.data.to) : undefined,
    types,
  };
}

interface Job {
  state: 'running' | 'done' | 'failed';
  done: number;
  total: number;
  error?: string;
  file: string;
  samples?: number;
}

export function datasetRoutes(
  verdicts: VerdictLog,
  objects: EvidenceSource,
  users: UserDirectory,
): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const jobs = new Map<string, Job>();
  const jobDir = mkdtempSync(path.join(tmpdir(), 'cg-dataset-exports-'));
  app.use('*', requireUser(users, ['admin']));

  app.get('/verdicts', async (c) => {
    await verdicts.settled(); // a decision answered 200 is written before it is listed
    return c.json({ verdicts: selectVerdicts(verdicts.all(), filterOf(c.req.query())) });
  });

  app.get('/export', async (c) => {
    const f = filterOf(c.req.query());
    await verdicts.settled();
    const pass = new PassThrough();
    writeDataset(verdicts, objects, f, pass).catch((e) => pass.destroy(e as Error));
    return c.body(Readable.toWeb(pass) as ReadableStream, 200, {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="citygrid-dataset-${new Date().toISOString().slice(0, 10)}.zip"`,
    });
  });

  app.post('/exports', async (c) => {
    const f = filterOf(await c.req.json().catch(() => ({})));
    await verdicts.settled();
    const id = `exp-${Date.now().toString(36)}-${jobs.size + 1}`;
    const file = path.join(jobDir, `${id}.zip`);
    const job: Job = { state: 'running', done: 0, total: 0, file };
    jobs.set(id, job);
    const part = `${file}.part`;
    writeDataset(verdicts, objects, f, createWriteStream(part), (p) => Object.assign(job, p))
      .then((r) => {
        renameSync(part, file);
        Object.assign(job, { state: 'done', samples: r.samples.length });
      })
      .catch((e) => {
        rmSync(part, { force: true });
        Object.assign(job, { state: 'failed', error: (e as Error).message });
      });
    return c.json({ id, url: `/api/datasets/exports/${id}` }, 202);
  });

  const jobOf = (id: string) => {
    const j = jobs.get(id);
    if (!j) throw new ProblemError(404, 'export-not-found', `no export ${id}`);
    return j;
  };
  app.get('/exports/:id', (c) => {
    const { file: _f, ...j } = jobOf(c.req.param('id'));
    return c.json({
      ...j,
      zip: j.state === 'done' ? `/api/datasets/exports/${c.req.param('id')}/zip` : undefined,
    });
  });
  app.get('/exports/:id/zip', (c) => {
    const j = jobOf(c.req.param('id'));
    if (j.state !== 'done')
      throw new ProblemError(
        409,
        'export-not-ready',
        `export ${c.req.param('id')} is ${j.state}${j.error ? `: ${j.error}` : ''}`,
      );
    return c.body(Readable.toWeb(createReadStream(j.file)) as ReadableStream, 200, {
      'content-type': 'application/zip',
    });
  });
  return app;
}
