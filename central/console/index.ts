/**
 * @module central/console
 * The operator console: a Vue 3 + Element Plus single-page app (source in `web/`, built by
 * `npm run console:build` into `dist/`) served as static files under `/console/`, plus a server-sent-events stream of case changes at
 * `/api/console/events` for live updates, fed by the case store's `onCommit` hook. Mounted by
 * the central app with one line.
 * @example
 *   app.route('/', consoleRoutes({ users, store: svc.store }));
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { INCIDENT_KINDS } from '../../protocol/kinds.js';
import type { UserDirectory } from '../auth/index.js';
import { bearerToken } from '../auth/index.js';
import { ROLES } from '../auth/roles.js';
import { REJECT_REASON_LABELS, REJECT_REASONS, SOURCES } from '../cases/model.js';
import { CASE_STATES, TRANSITIONS } from '../cases/workflow.js';
import { ProblemError, problemResponse } from '../http/problem.js';
import { type CommitSource, ConsoleHub, observeStore, sseStream } from './events.js';

export { type ConsoleEvent, ConsoleHub, observeStore } from './events.js';

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

interface Asset {
  body: Uint8Array;
  type: string;
  etag: string;
}

/** Every file under the static folder, read once: the set of servable paths is fixed at start. */
function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  if (!existsSync(dir)) return out; // not built: the shell route says how to build it
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
  /** case-change events; default: a hub fed by `store.onCommit` */
  hub?: ConsoleHub;
  /** the case store whose committed changes the live stream sends */
  store?: CommitSource;
  /** static folder (tests may point elsewhere) */
  dir?: string;
  /** keep-alive comment period for the event stream */
  keepAliveMs?: number;
  /** the base map: an XYZ tile URL template and its datum (default: env CG_MAP_TILES, CG_MAP_CRS) */
  map?: { tiles?: string; crs?: 'wgs84' | 'gcj02' };
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
    reasons: REJECT_REASON_LABELS,
    kinds: INCIDENT_KINDS,
    map: opts.map ?? {
      tiles: process.env.CG_MAP_TILES || undefined,
      crs: process.env.CG_MAP_CRS === 'gcj02' ? 'gcj02' : 'wgs84',
    },
  });

  app.get('/console', (c) => c.redirect('/console/'));
  // before the static catch-all
  app.get('/console/meta.json', (c) =>
    c.body(meta, 200, { 'content-type': 'application/json; charset=utf-8' }),
  );
  app.get('/console/*', (c) => {
    let rel: string;
    try {
      rel = decodeURIComponent(c.req.path.slice('/console/'.length));
    } catch {
      return c.text('not found', 404); // malformed %-escape
    }
    // deep links (#/ routes are client-side; plain paths fall back to the shell)
    if (!assets.has(rel)) rel = rel.includes('.') ? rel : 'index.html';
    const a = assets.get(rel);
    if (!a && rel === 'index.html')
      return c.text('the console is not built: run `npm run console:build`', 503);
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
  app.get('/api/console/events', (c) => {
    const user = who(c.req.header('authorization'));
    if (!user) {
      c.header('WWW-Authenticate', 'Bearer realm="citygrid"');
      return problemResponse(c, new ProblemError(401, 'unauthorized', 'missing or unknown bearer token'));
    }
    return sseStream(c.req.raw.signal, hub, user, opts.keepAliveMs ?? 15_000);
  });
  return app;
}
