/**
 * The operator console in real Chromium against a real central process fed through real NATS:
 * an AI incident (evidence in the JetStream object store) arrives live in the confirmation
 * queue, is confirmed by keyboard and dispatched; the unit's handler sees only its own case and
 * reports back with a photo; the operator verifies and closes; a false positive is rejected and
 * leaves no open case; devices, map and scores pages render. Screenshots go to docs/screenshots.
 */

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, GatewayStatus, Incident, incidentMsgId, subjects, Telemetry } from '../protocol/index.js';
import {
  connectNats,
  evidenceStore,
  type NatsConnection,
  provisionStreams,
  putEvidence,
} from '../protocol/transport.js';
import { api, type CentralProcess, litterIncident, spawnCentral, TOKENS, until } from './central-helpers.js';
import { hasChromium, launchChromium, sceneJpeg, shot, signIn } from './console-support.js';
import { ZHENGXIANG, ZHUHUI } from './support/city-points.js';
import { type NatsServerHandle, startNatsServer } from './support/nats-server.js';

const quiet = { info() {}, warn() {} };
const UNIT = 'bs-hw'; // where 01.04 litter at ZHENGXIANG (蒸湘区) routes in the seed city
const OTHER_UNIT = 'nh-hw';

describe.skipIf(!hasChromium)(
  'console - operator and unit handler in Chromium (needs /usr/bin/chromium)',
  () => {
    let server: NatsServerHandle;
    let nc: NatsConnection;
    let central: CentralProcess;
    let browser: Browser;
    let opCtx: BrowserContext;
    let op: Page;
    let caseId = '';

    const publishIncident = async (name: string, over: Parameters<typeof litterIncident>[0] = {}) => {
      const os = await evidenceStore(nc.jetstream(), over.gatewayId ?? 'cp-01');
      const annotated = await putEvidence(os, `${name}-annotated.jpg`, await sceneJpeg(true), 'annotated');
      const clean = await putEvidence(os, `${name}-clean.jpg`, await sceneJpeg(false), 'clean');
      const inc = Incident.parse(litterIncident({ evidence: [annotated, clean], ...over }));
      await nc
        .jetstream()
        .publish(subjects.incident(inc.gatewayId), encode(Incident, inc), { msgID: incidentMsgId(inc) });
      return inc;
    };
    const caseOf = async (incidentId: string) =>
      until(`case for incident ${incidentId}`, async () => {
        const r = await api(central.url, '/api/cases?limit=500', TOKENS.operator);
        return r.body.items?.find((k: { refs: { incidentIds: string[] } }) =>
          k.refs.incidentIds.includes(incidentId),
        );
      });

    beforeAll(async () => {
      server = await startNatsServer();
      nc = await connectNats({ servers: server.url, name: 'console-test', log: quiet });
      await provisionStreams(nc);
      central = await spawnCentral({ natsUrl: server.url });
      browser = await launchChromium();
      opCtx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
      op = await opCtx.newPage();
    });
    afterAll(async () => {
      await browser?.close();
      await central?.stop();
      await nc?.close();
      await server?.dispose();
    });

    it('console - an AI incident arrives live, its evidence opens, Enter confirms it', async () => {
      await op.goto(`${central.url}/console/`);
      await op.waitForSelector('#token:focus');
      await shot(op, 'signin');
      await signIn(op, central.url, TOKENS.operator);
      await op.goto(`${central.url}/console/#/queue`);
      await op.waitForSelector('.qlist .empty');
      await op.waitForSelector('#live.sse');
      // a marker that a reload would wipe: the item must arrive over the live stream
      await op.evaluate(() => Object.assign(window, { __sameDocument: true }));
      const inc = await publishIncident('e2e-litter');
      const item = await op.waitForSelector('.qitem[data-id]', { timeout: 20_000 });
      caseId = (await item.getAttribute('data-id')) ?? '';
      expect(
        await op.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
      ).toBe(true);
      expect((await caseOf(inc.id)).id).toBe(caseId);

      // the annotated frame is shown large and really decodes; `c` switches to the clean frame
      await op.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('.qdetail img.evidence');
        return !!img && img.complete && img.naturalWidth === 640;
      });
      expect(await op.textContent('.qdetail')).toContain('litter_persist');
      // a later revision of the same incident joins its timeline live
      const update = Incident.parse({
        ...inc,
        rev: 1,
        lifecycle: 'update',
        observedAt: new Date().toISOString(),
      });
      await nc.jetstream().publish(subjects.incident(inc.gatewayId), encode(Incident, update), {
        msgID: incidentMsgId(update),
      });
      await op.waitForFunction(() => document.querySelectorAll('.qdetail .timeline li').length === 2);
      expect(await op.textContent('.qdetail .timeline')).toContain('更新');
      await shot(op, 'queue');
      const annotatedSrc = await op.getAttribute('.qdetail img.evidence', 'src');
      await op.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await op.keyboard.press('c');
      await op.waitForFunction((prev) => {
        const img = document.querySelector<HTMLImageElement>('.qdetail img.evidence');
        return !!img && img.src !== prev && img.naturalWidth === 640;
      }, annotatedSrc);
      expect(await op.getAttribute('.qdetail img.evidence', 'alt')).toContain('原图');

      await op.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await op.keyboard.press('Enter');
      await until('registered', async () => {
        const r = await api(central.url, `/api/cases/${caseId}`, TOKENS.operator);
        return r.body.state === 'registered' && r.body;
      });
      await op.waitForSelector('.qlist .empty');
    });

    it('console - the operator dispatches from the case page, the routed unit prefilled', async () => {
      await op.goto(`${central.url}/console/#/case/${caseId}`);
      await op.waitForSelector('form[data-action="dispatch"]');
      // only centre actions are offered to an operator in `registered`
      const offered = await op.$$eval('form.actform', (fs) =>
        fs.map((f) => (f as HTMLElement).dataset.action),
      );
      expect(offered).toContain('dispatch');
      expect(offered).not.toContain('feedback');
      await op.click('form[data-action="dispatch"] summary');
      expect(await op.inputValue('form[data-action="dispatch"] select[name="unitId"]')).toBe(UNIT);
      await op.click('#act-dispatch');
      await op.waitForFunction(() => document.querySelector('#history')?.textContent?.includes('派遣'));
      const c = (await api(central.url, `/api/cases/${caseId}`, TOKENS.operator)).body;
      expect(c).toMatchObject({ state: 'dispatched', unitId: UNIT });
      await shot(op, 'case');
    });

    it("console - a unit handler sees only its unit's case and reports back with a photo", async () => {
      // another unit's case, dispatched through the API
      const other = await api(central.url, '/api/cases', TOKENS.operator, {
        body: {
          source: 'hotline_12345',
          category: '01.04',
          description: '路面垃圾',
          location: { ...ZHUHUI },
        },
      });
      expect(other.status).toBe(201);
      for (const [a, body] of [
        ['register', {}],
        ['dispatch', { unitId: OTHER_UNIT }],
      ] as const)
        expect(
          (await api(central.url, `/api/cases/${other.body.id}/actions/${a}`, TOKENS.operator, { body }))
            .status,
        ).toBe(200);

      const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: 'zh-CN' });
      try {
        const hp = await ctx.newPage();
        await signIn(hp, central.url, TOKENS.handler(UNIT));
        // a handler's menu has no queue, devices or scores
        expect(await hp.$$eval('#nav a', (as) => as.map((a) => (a as HTMLElement).dataset.page))).toEqual([
          'cases',
          'map',
        ]);
        await hp.goto(`${central.url}/console/#/cases`);
        await hp.waitForSelector('.ccard');
        const ids = await hp.$$eval('.ccard', (cs) => cs.map((c) => (c as HTMLElement).dataset.id));
        expect(ids).toEqual([caseId]);
        await shot(hp, 'handler-cases');

        await hp.click(`.ccard[data-id="${caseId}"]`);
        await hp.waitForSelector('form[data-action="accept"]');
        await hp.click('form[data-action="accept"] summary');
        await hp.click('#act-accept');
        await hp.waitForSelector('form[data-action="feedback"]');
        await hp.click('form[data-action="feedback"] summary');
        await hp.fill('form[data-action="feedback"] textarea[name="note"]', '已清理完毕');
        await hp.setInputFiles('form[data-action="feedback"] input[type="file"]', {
          name: 'after.jpg',
          mimeType: 'image/jpeg',
          buffer: Buffer.from(await sceneJpeg(false)),
        });
        await hp.click('#act-feedback');
        const c = await until('feedback recorded', async () => {
          const r = await api(central.url, `/api/cases/${caseId}`, TOKENS.operator);
          return r.body.state === 'feedback' && r.body;
        });
        const fb = c.history.find((e: { action: string }) => e.action === 'feedback');
        expect(fb.note).toBe('已清理完毕');
        expect(fb.attachments).toHaveLength(1);
        // the photo is served back to the handler
        await hp.waitForFunction(() =>
          Array.from(document.querySelectorAll<HTMLImageElement>('#history img')).some(
            (i) => i.naturalWidth === 640,
          ),
        );
      } finally {
        await ctx.close();
      }
    });

    it('console - the operator verifies and closes', async () => {
      await op.goto(`${central.url}/console/#/case/${caseId}`);
      await op.waitForSelector('form[data-action="close"]');
      await op.click('form[data-action="close"] summary');
      await op.click('#act-close');
      await until('closed', async () => {
        const r = await api(central.url, `/api/cases/${caseId}`, TOKENS.operator);
        return r.body.state === 'closed' && r.body;
      });
      await op.waitForFunction(() => document.querySelector('h1 .tag')?.textContent === '已结案');
    });

    it('console - a false positive rejected by keyboard leaves no open case', async () => {
      await op.goto(`${central.url}/console/#/queue`);
      await op.waitForSelector('.qlist .empty');
      const inc = await publishIncident('e2e-fp', { kind: 'illegal_parking', category: '05.05' });
      const item = await op.waitForSelector('.qitem[data-id]', { timeout: 20_000 });
      const fpId = await item.getAttribute('data-id');
      await op.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await op.keyboard.press('x');
      await op.waitForSelector('#q-reason:focus');
      await op.keyboard.press('1');
      await op.keyboard.press('Enter');
      const c = await until('rejected', async () => {
        const r = await api(central.url, `/api/cases/${fpId}`, TOKENS.operator);
        return r.body.state === 'rejected' && r.body;
      });
      expect(c.rejection.reason).toBe('false_positive');
      const open = await api(
        central.url,
        '/api/cases?limit=500&state=reported,registered,dispatched,processing',
        TOKENS.operator,
      );
      expect(
        open.body.items.filter((k: { refs: { incidentIds: string[] } }) =>
          k.refs.incidentIds.includes(inc.id),
        ),
      ).toEqual([]);
      await op.waitForSelector('.qlist .empty');
    });

    it('console - cases board, devices, map with a vehicle track and its violation', async () => {
      const js = nc.jetstream();
      const now = Date.now();
      const iso = (ms: number) => new Date(ms).toISOString();
      await js.publish(
        subjects.status('cp-01'),
        encode(GatewayStatus, {
          v: 1,
          gatewayId: 'cp-01',
          gatewayKind: 'checkpoint',
          sentAt: iso(now),
          startedAt: iso(now - 3600_000),
          softwareVersion: '0.1.0',
          intervalS: 30,
          devices: [
            { id: 'cam-01', type: 'camera', online: true, lastSeenAt: iso(now) },
            {
              id: 'cam-02',
              type: 'camera',
              online: false,
              lastSeenAt: iso(now - 600_000),
              error: 'snapshot timeout',
            },
          ],
        }),
      );
      const points = Array.from({ length: 30 }, (_, i) => ({
        t: iso(now - (30 - i) * 10_000),
        lat: 30.262 + i * 0.0006,
        lon: 120.135 + i * 0.0009,
        speedMps: 8 + (i % 7),
      }));
      await js.publish(
        subjects.telemetry('veh-01'),
        encode(Telemetry, { v: 1, gatewayId: 'veh-01', vehicleId: 'truck-01', sentAt: iso(now), points }),
      );
      // an overspeed episode on the track: a vehicle case, drawn on the playback as a violation
      const at = points[20];
      const overspeed = Incident.parse(
        litterIncident({
          kind: 'overspeed',
          category: '92.01',
          gatewayId: 'veh-01',
          deviceId: 'truck-01',
          confidence: 1,
          location: { source: 'gps', lat: at.lat, lon: at.lon },
          producer: { rule: 'overspeed' },
          details: { speedKmh: 62, limitKmh: 40 },
        }),
      );
      await js.publish(subjects.incident('veh-01'), encode(Incident, overspeed), {
        msgID: incidentMsgId(overspeed),
      });
      await caseOf(overspeed.id);
      await until('device board', async () => {
        const r = await api(central.url, '/api/devices', TOKENS.operator);
        return r.body.gateways?.length && r.body.vehicles?.length && r.body;
      });

      await op.goto(`${central.url}/console/#/cases`);
      await op.waitForSelector('.board .col');
      await shot(op, 'cases');

      await op.goto(`${central.url}/console/#/devices`);
      await op.waitForSelector('#devices [data-snapshot="cam-01"]');
      expect(await op.textContent('#devices')).toContain('离线');
      await shot(op, 'devices');
      // no gateway process answers in this test: the call reports "no answer" instead of hanging
      await op.click('#devices [data-snapshot="cam-01"]');
      await op.waitForSelector('#cmd-out .error');
      expect(await op.textContent('#cmd-out')).toContain('未应答');

      await op.goto(`${central.url}/console/#/map/truck-01`);
      await op.waitForSelector('svg.map .gridcell');
      await op.waitForSelector('polyline.track');
      await op.waitForSelector('svg.map .marker.viol');
      expect(await op.textContent('.playback')).toContain('1');
      await op.mouse.move(1, 1);
      expect(await op.$$eval('svg.map .gridcell', (p) => p.length)).toBe(185);
      await shot(op, 'map');
    });

    it('console - without the event stream the console falls back to polling and says so', async () => {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
      try {
        // a proxy that drops SSE: the stream answers 503
        await ctx.route('**/api/console/events', (r) => r.fulfill({ status: 503, body: 'no streams here' }));
        const pp = await ctx.newPage();
        await signIn(pp, central.url, TOKENS.operator);
        await pp.goto(`${central.url}/console/#/cases`);
        await pp.waitForSelector('.board');
        await pp.waitForSelector('#live.poll', { timeout: 20_000 });
        expect(await pp.textContent('#live')).toContain('轮询');
        const r = await api(central.url, '/api/cases', TOKENS.operator, {
          body: {
            source: 'citizen',
            category: '01.02',
            description: '垃圾桶满溢',
            location: { ...ZHENGXIANG },
          },
        });
        expect(r.status).toBe(201);
        await pp.waitForSelector(`.ccard[data-id="${r.body.id}"]`, { timeout: 20_000 });
      } finally {
        await ctx.close();
      }
    });

    it('console - the scores page shows the month; a leader approves a bonus item; English on a click', async () => {
      const month = new Date().toISOString().slice(0, 7);
      const base = central.url;
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
      try {
        const bonus = await api(base, '/api/scoring/bonus', TOKENS.operator, {
          body: { month, unitId: 'hwc', points: 2, reason: '专项整治表现突出' },
        });
        expect(bonus.status).toBe(201);
        const lp = await ctx.newPage();
        await signIn(lp, base, TOKENS.leader);
        await lp.goto(`${base}/console/#/scores`);
        expect(await lp.inputValue('#sc-month')).toBe(month);
        await lp.waitForSelector('#score-table caption');
        expect(await lp.textContent('#score-table caption')).toContain(month);
        expect(await lp.$$eval('#score-table tbody tr', (r) => r.length)).toBeGreaterThan(5);
        await lp.waitForSelector('#trend svg.chart');
        await shot(lp, 'scores');
        await lp.click('#bonus button.primary');
        await until('bonus approved', async () => {
          const r = await api(base, `/api/scoring/bonus?month=${month}`, TOKENS.leader);
          return r.body.find?.(
            (b: { id: string; state: string }) => b.id === bonus.body.id && b.state === 'approved',
          );
        });
        await lp.click('#lang');
        await lp.waitForFunction(() => document.querySelector('#nav')?.textContent?.includes('Scores'));
        await lp.waitForSelector('#score-table caption');
        expect(await lp.textContent('#score-table thead')).toContain('Weighted');
      } finally {
        await ctx.close();
      }
    });
  },
);
