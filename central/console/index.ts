/**
 * @module central/console
 * The operator console: a small single-page app (hand-written ES modules, no build step) served
 * as static files under `/console/`, plus a server-sent-events stream of case changes at
 * `/api/console/events` for live updates. Mounted by the central app with one line.
 * @example
 *   app.route('/', consoleRoutes({ users, hub }));
 *   hub.publish({ type: 'case', id: c.id, state: c.state }); // from wherever cases change
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { INCIDENT_KINDS } from '../../protocol/kinds.js';
import type { UserDirectory } from '../auth/index.js';
import { bearerToken } from '../auth/index.js';
import { ROLES } from '../auth/roles.js';
import { REJECT_REASONS, SOURCES } from '../cases/model.js';
import { CASE_STATES, TRANSITIONS } from '../cases/workflow.js';
import type { CaseStore } from '../store/index.js';
import { ConsoleHub, observeStore, sseStream } from './events.js';

export { type ConsoleEvent, ConsoleHub, observeStore } from './events.js';

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface Asset {
  body: Uint8Array;
  type: string;
  etag: string;
}

/** Every file under the static folder, read once: the set of servable paths is fixed at start. */
function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const type = TYPES[extname(name)];
        if (!type) continue;
        const body = readFileSync(p);
        const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`;
        out.set(relative(dir, p).split(sep).join('/'), { body, type, etag });
      }
    }
  };
  walk(dir);
  return out;
}

export interface ConsoleOptions {
  /** who may open the live stream; without it the stream is not served */
  users?: UserDirectory;
  /** case-change events; central's ingest and case routes publish into it */
  hub?: ConsoleHub;
  /** without a hub fed by central, the console publishes what this store commits */
  store?: CaseStore;
  /** static folder (tests may point elsewhere) */
  dir?: string;
  /** keep-alive comment period for the event stream */
  keepAliveMs?: number;
}

/** Routes: `/console/*` static app, `/api/console/events` SSE (bearer token required). */
export function consoleRoutes(opts: ConsoleOptions = {}): Hono {
  const app = new Hono();
  const assets = loadAssets(opts.dir ?? STATIC_DIR);
  const hub = opts.hub ?? (opts.store ? observeStore(opts.store) : new ConsoleHub());
  // the workflow's vocabulary, from the one table in central/cases/workflow.ts
  const meta = JSON.stringify({
    states: CASE_STATES,
    transitions: TRANSITIONS,
    sources: SOURCES,
    roles: ROLES,
    rejectReasons: REJECT_REASONS,
    kinds: INCIDENT_KINDS,
  });

  app.get('/console', (c) => c.redirect('/console/'));
  // before the static catch-all
  app.get('/console/meta.json', (c) =>
    c.body(meta, 200, { 'content-type': 'application/json; charset=utf-8' }),
  );
  app.get('/console/*', (c) => {
    let rel = decodeURIComponent(c.req.path.slice('/console/'.length));
    // deep links (#/ routes are client-side; plain paths fall back to the shell)
    if (!assets.has(rel)) rel = rel.includes('.') ? rel : 'index.html';
    const a = assets.get(rel);
    if (!a) return c.text('not found', 404);
    if (c.req.header('if-none-match') === a.etag) return c.body(null, 304);
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200, {
      'content-type': a.type,
      etag: a.etag,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
  });

  const who = (h: string | undefined) => {
    const token = bearerToken(h);
    return token && opts.users ? opts.users.byToken(token) : undefined;
  };
  const unauthorized = {
    type: 'about:blank',
    title: 'unauthorized',
    status: 401,
    detail: 'missing or unknown bearer token',
  };
  app.get('/api/console/events', (c) => {
    const user = who(c.req.header('authorization'));
    if (!user) return c.json(unauthorized, 401);
    return sseStream(c.req.raw.signal, hub, user, opts.keepAliveMs ?? 15_000);
  });
  return app;
}
