/**
 * Fault: 10,000 malformed or hostile inputs against a real central process — 5,000 NATS messages
 * on the incident, status and telemetry subjects (wrong schema, bad UTF-8, not JSON, near-limit
 * payloads, deep nesting, path traversal in evidence names, a gateway id that does not match its
 * subject) and 5,000 HTTP requests (bad JSON, wrong schema, oversized bodies, bad UTF-8, path
 * traversal in evidence names, forged tokens, hostile query strings, garbage configs). Central
 * keeps running, answers no 5xx, dead-letters and counts every bad message, refuses every
 * request, and still ingests a good incident afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encode, Incident, incidentMsgId, STREAMS, subjects } from '../protocol/index.js';
import { connectNats, type Link } from '../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import type { ManagedProcess } from '../sim/processes.js';
import {
  census,
  fetchFresh,
  incidents,
  metric,
  OPERATOR,
  startCentralProcess,
  streamCount,
} from './fault-kit.js';
import { until } from './support/until.js';

const MESSAGES = 5000;
const REQUESTS = 5000;
const quiet = { info() {}, warn() {} };
let server: NatsServerHandle | undefined;
let nc: Link | undefined;
let central: ManagedProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'cg-fault-hostile-'));
const te = new TextEncoder();

afterAll(async () => {
  await central?.stop();
  await nc?.close();
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** The i-th hostile NATS message: [subject, bytes, what]. */
function hostileMessage(i: number): [string, Uint8Array, string] {
  const good = incidents(1, 'cp-h')[0]!;
  const s = subjects.incident('cp-h');
  switch (i % 10) {
    case 0:
      return [s, te.encode(JSON.stringify({ v: 1, id: 'x', rev: 'one' })), 'wrong schema'];
    case 1:
      return [s, new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'bad UTF-8'];
    case 2:
      return [s, te.encode('{{{{ not json'), 'not JSON'];
    case 3:
      return i % 100 === 3
        ? [
            s,
            te.encode(JSON.stringify({ ...good, details: { pad: 'x'.repeat(900_000) }, rev: -1 })),
            'near-limit payload',
          ]
        : [s, te.encode(JSON.stringify({ ...good, rev: -1 })), 'negative rev'];
    case 4:
      return [s, te.encode(`${'['.repeat(5000)}${']'.repeat(5000)}`), 'deep nesting'];
    case 5:
      return [
        s,
        te.encode(
          JSON.stringify({
            ...good,
            evidence: [
              {
                role: 'annotated',
                bucket: 'cg_evidence',
                name: '../../etc/passwd',
                contentType: 'image/jpeg',
                size: 1,
                sha256: 'a'.repeat(64),
              },
            ],
          }),
        ),
        'path traversal in evidence name',
      ];
    case 6:
      return [subjects.incident('cp-other'), encode(Incident, good), 'gateway id does not match subject'];
    case 7:
      return [
        s,
        te.encode(JSON.stringify({ ...good, location: { source: 'fixed', lat: 999, lon: 120 } })),
        'latitude out of range',
      ];
    case 8:
      return [subjects.status('cp-h'), te.encode('{"v":1,"gatewayId":"cp-h"}'), 'bad heartbeat'];
    default:
      return [subjects.telemetry('cp-h'), te.encode('null'), 'bad telemetry'];
  }
}

/** The i-th hostile HTTP request. */
function hostileRequest(i: number, url: string): [string, RequestInit, string] {
  const auth = (t: string) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
  switch (i % 12) {
    case 0:
      return [
        `${url}/api/cases`,
        { method: 'POST', headers: auth(OPERATOR), body: '{"source":' },
        'bad JSON',
      ];
    case 1:
      return [
        `${url}/api/cases`,
        {
          method: 'POST',
          headers: auth(OPERATOR),
          body: JSON.stringify({ source: 'hotline_12345', category: 'x', location: { lat: 'north' } }),
        },
        'wrong schema',
      ];
    case 2:
      return i % 120 === 2
        ? [
            `${url}/api/cases`,
            { method: 'POST', headers: auth(OPERATOR), body: 'x'.repeat(3 * 1024 * 1024) },
            'huge body',
          ]
        : [
            `${url}/api/cases`,
            {
              method: 'POST',
              headers: auth(OPERATOR),
              body: JSON.stringify({ description: 'y'.repeat(200_000) }),
            },
            'large body',
          ];
    case 3:
      return [
        `${url}/api/cases`,
        { method: 'POST', headers: auth(OPERATOR), body: new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]) },
        'bad UTF-8',
      ];
    case 4:
      return [`${url}/api/evidence/..%2F..%2Fetc%2Fpasswd`, { headers: auth(OPERATOR) }, 'path traversal'];
    case 5:
      return [
        `${url}/api/evidence/%2e%2e%2fcases%2fjournal-1.jsonl`,
        { headers: auth(OPERATOR) },
        'path traversal (dots)',
      ];
    case 6:
      return [
        `${url}/api/evidence/att-${'0'.repeat(64)}.jpg%00.png`,
        { headers: auth(OPERATOR) },
        'NUL in name',
      ];
    case 7:
      return [`${url}/api/cases`, { headers: auth(`forged-${i}`) }, 'forged token'];
    case 8:
      return [
        `${url}/api/cases?limit=-5&state=%3Cscript%3E&from=yesterday`,
        { headers: auth(OPERATOR) },
        'hostile query',
      ];
    case 9:
      return [
        `${url}/api/gateways/cp-h/config`,
        {
          method: 'PUT',
          headers: auth('demo-admin'),
          body: JSON.stringify({ kind: 'checkpoint', nats: { servers: 'nats://evil' } }),
        },
        'config with credentials',
      ];
    case 10:
      return [
        `${url}/api/attachments`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${OPERATOR}` },
          body: te.encode('<?php system($_GET[c]); ?>'),
        },
        'not an image',
      ];
    default:
      return [`${url}/api/evidence/x`, { method: 'GET' }, 'no token'];
  }
}

describe('fault - hostile input', () => {
  it(`${MESSAGES} hostile NATS messages and ${REQUESTS} hostile requests: no crash, no 5xx, each refused and counted`, {
    timeout: 240_000,
  }, async () => {
    server = await startNatsServer();
    const c = await startCentralProcess(server.url, join(dir, 'central'), { CG_API_RATE_PER_S: '1000000' });
    central = c.proc;
    nc = await connectNats({ servers: server.url, name: 'attacker', log: quiet });
    await until(
      async () =>
        (await fetch(`${c.url}/api/gateways`, { headers: { authorization: 'Bearer demo-admin' } })).status ===
        200
          ? true
          : undefined,
      'central ready',
    );

    // --- NATS ---
    const what = new Map<string, number>();
    for (let i = 0; i < MESSAGES; i++) {
      const [subject, bytes, label] = hostileMessage(i);
      nc.publish(subject, bytes);
      what.set(label, (what.get(label) ?? 0) + 1);
      if (i % 200 === 0) await nc.flush();
    }
    await nc.flush();
    const dead = async () => {
      let sum = 0;
      for (const k of ['incident', 'status', 'telemetry'])
        sum += (await metric(`${c.url}/api/metrics`, 'cg_central_dead_letters_total', `kind="${k}"`)) ?? 0;
      return sum;
    };
    const deadLetters = await until(
      async () => {
        const n = await dead();
        return n >= MESSAGES ? n : undefined;
      },
      'every hostile message dead-lettered',
      180_000,
    );
    const dlq = await streamCount(nc, STREAMS.deadLetters.name);

    // --- HTTP ---
    const statuses = new Map<number, number>();
    const resets = new Map<string, number>();
    const guardUrl = `${c.url}/api/gateways/metrics`;
    const server4xx = async () =>
      (await metric(guardUrl, 'cg_central_http_responses_total', 'class="4xx"')) ?? 0;
    const server5xx = async () =>
      (await metric(guardUrl, 'cg_central_http_responses_total', 'class="5xx"')) ?? 0;
    const [before4xx, before5xx] = [await server4xx(), await server5xx()];
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        const i = next++;
        const [u, init, label] = hostileRequest(i, c.url);
        let status = 0;
        try {
          // a socket the server closed after a 413 may be reused by the client for the next
          // request: that one never reached the server, so it is sent again
          for (let attempt = 0; attempt < 6 && status === 0; attempt++) {
            try {
              const r = await fetch(u, init);
              await r.arrayBuffer();
              status = r.status;
            } catch (e) {
              if (attempt === 5) throw e;
              await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
            }
          }
        } catch {
          status = 0; // never answered, even after re-sending: fails the test below
          resets.set(label, (resets.get(label) ?? 0) + 1);
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));

    const refused4xx = (await server4xx()) - before4xx;
    const new5xx = (await server5xx()) - before5xx;

    // --- still alive and still working ---
    expect(central.exited()).toBe(false);
    const health = await fetchFresh(`${c.url}/api/health`);
    expect(health.status).toBe(200);
    const good = incidents(1, 'cp-h')[0]!;
    await nc.publishStored(subjects.incident('cp-h'), encode(Incident, good), { msgId: incidentMsgId(good) });
    await until(
      async () => ((await census(c.url)).byIncident.has(good.id) ? true : undefined),
      'a good incident after the storm',
    );

    const fiveXX = [...statuses].filter(([s]) => s >= 500).reduce((a, [, n]) => a + n, 0);
    const accepted = [...statuses].filter(([s]) => s > 0 && s < 400).reduce((a, [, n]) => a + n, 0);
    console.log(
      `[fault:hostile] messages=${MESSAGES} deadLettered=${deadLetters} dlqStream=${dlq} requests=${REQUESTS} ` +
        `statuses=${JSON.stringify(Object.fromEntries(statuses))} serverRefused4xx=${refused4xx} server5xx=${new5xx} 5xx=${fiveXX} accepted=${accepted} crashed=${central.exited()}`,
    );
    console.log(
      `[fault:hostile] message kinds ${JSON.stringify(Object.fromEntries(what))}; client-side resets ${JSON.stringify(Object.fromEntries(resets))}`,
    );
    expect(deadLetters).toBe(MESSAGES);
    expect(dlq).toBe(MESSAGES);
    expect(fiveXX).toBe(0);
    expect(new5xx).toBe(0);
    // every request reached the server and was refused with 4xx (a re-sent one counts twice there)
    expect(refused4xx).toBeGreaterThanOrEqual(REQUESTS);
    expect(statuses.get(0) ?? 0).toBe(0);
    expect(accepted).toBe(0);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
  });
});
