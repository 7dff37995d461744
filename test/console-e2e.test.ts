/**
 * The console in real Chromium against a real central process fed through a real nats-server,
 * walking each role through its day:
 * - operator: AI incidents arrive live in the queue with the camera's name, the duplicate is
 *   compared side by side, search narrows the queue, Enter registers (the toast names the case
 *   and links to it), the rest is rejected in bulk with one reason; a truck's overspeed shows its
 *   plate, the episode on a map and speed against the limit, and says it has no camera frame;
 *   dispatch from the case page; propose a bonus item;
 * - unit handler: sees only its unit's case, accepts it and reports back with a photo;
 * - operator: verifies with a photo, before/after shown, closes;
 * - leader: lands on the dashboard (counts, charts, 大屏), map with the truck's plate and track,
 *   approves the bonus item with a note, English everywhere on a click;
 * - admin: devices (a snapshot with no gateway behind says "no answer");
 * - resilience: central unreachable → a banner, typed input kept; no event stream → polling;
 * - and every page's visible text, for each role, holds no raw id, i18n key or JSON.
 */

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, GatewayStatus, Incident, incidentMsgId, subjects, Telemetry } from '../protocol/index.js';
import {
  connectNats,
  evidenceStore,
  type Link,
  provisionStreams,
  putEvidence,
} from '../protocol/transport.js';
import { ZHUHUI } from '../sim/city-points.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { api, type CentralProcess, litterIncident, spawnCentral, TOKENS } from './central-helpers.js';
import {
  ensureConsoleBuilt,
  hasChromium,
  launchChromium,
  rawFindings,
  sceneJpeg,
  shot,
  signIn,
  visibleText,
} from './console-support.js';
import { until } from './support/until.js';

const quiet = { info() {}, warn() {} };
const CAMERA = { id: 'cam-01', name: '解放路东口' };
const PLATE = '湘D·A1234';
const PAGES: Record<string, string[]> = {
  operator: ['dashboard', 'queue', 'cases', 'map', 'devices', 'scores'],
  leader: ['dashboard', 'cases', 'map', 'devices', 'scores'],
  admin: ['dashboard', 'queue', 'cases', 'map', 'devices', 'zones', 'models', 'scores'],
};

describe.skipIf(!hasChromium)(
  'console - each role through its day in Chromium (needs /usr/bin/chromium)',
  () => {
    let server: NatsServerHandle;
    let nc: Link;
    let central: CentralProcess;
    let browser: Browser;
    let op: Page;
    let caseId = '';
    let unit = '';
    let unitName = '';
    const rawIds = new Set<string>([
      'u-operator',
      'u-leader',
      'u-admin',
      'cam-01',
      'cam-02',
      'truck-01',
      'veh-01',
      'cp-01',
    ]);

    const publishIncident = async (
      name: string,
      over: Parameters<typeof litterIncident>[0] = {},
      frames = true,
    ) => {
      const os = await evidenceStore(nc, over.gatewayId ?? 'cp-01');
      const evidence = frames
        ? [
            await putEvidence(os, `${name}-annotated.jpg`, await sceneJpeg(true), 'annotated'),
            await putEvidence(os, `${name}-clean.jpg`, await sceneJpeg(false), 'clean'),
          ]
        : [];
      const inc = Incident.parse(litterIncident({ evidence, ...over }));
      await nc.publishStored(subjects.incident(inc.gatewayId), encode(Incident, inc), {
        msgId: incidentMsgId(inc),
      });
      return inc;
    };
    const caseOf = async (incidentId: string) =>
      until(async () => {
        const r = await api(central.url, '/api/cases?limit=500', TOKENS.operator);
        return r.body.items?.find((k: { refs: { incidentIds: string[] } }) =>
          k.refs.incidentIds.includes(incidentId),
        );
      }, `case for incident ${incidentId}`);
    /** a case reported by phone through the API; its id joins the ones no page may show */
    const report = async (over: Record<string, unknown> = {}) => {
      const r = await api(central.url, '/api/cases', TOKENS.operator, {
        body: {
          source: 'citizen',
          category: '01.02',
          description: '垃圾桶满溢',
          location: { lat: 26.895, lon: 112.555 },
          ...over,
        },
      });
      expect(r.status).toBe(201);
      rawIds.add(r.body.id);
      return r.body as { id: string };
    };
    /** cp-01's heartbeat: cam-01 online with a clock `aheadMs` ahead of ours, cam-02 offline */
    const heartbeat = async (aheadMs: number) => {
      const now = Date.now();
      const iso = (ms: number) => new Date(ms).toISOString();
      const devices = [
        { id: 'cam-01', type: 'camera', online: true, lastSeenAt: iso(now + aheadMs) },
        {
          id: 'cam-02',
          type: 'camera',
          online: false,
          lastSeenAt: iso(now - 600_000),
          error: 'snapshot timeout',
        },
      ];
      const status = {
        v: 1,
        gatewayId: 'cp-01',
        gatewayKind: 'checkpoint',
        sentAt: iso(now),
        startedAt: iso(now - 3600_000),
        softwareVersion: '0.1.0',
        intervalS: 30,
        devices,
      };
      await nc.publishStored(subjects.status('cp-01'), encode(GatewayStatus, GatewayStatus.parse(status)));
    };
    const get = async (id: string) => (await api(central.url, `/api/cases/${id}`, TOKENS.operator)).body;
    const newPage = async (viewport = { width: 1366, height: 850 }) => {
      const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Europe/London' });
      const page = await ctx.newPage();
      page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
      return { ctx, page };
    };

    beforeAll(async () => {
      // before central starts: central reads the build once, at start
      ensureConsoleBuilt();
      server = await startNatsServer();
      nc = await connectNats({ servers: server.url, name: 'console-test', log: quiet });
      await provisionStreams(nc);
      central = await spawnCentral({ natsUrl: server.url });
      // the gateways' configurations give the names: a camera's, a truck's plate
      const put = (id: string, config: object) =>
        until(async () => {
          const r = await api(central.url, `/api/gateways/${id}/config`, TOKENS.admin, {
            method: 'PUT',
            body: config,
          });
          return r.status === 200 && r.body;
        }, `config of ${id}`);
      await put('cp-01', {
        kind: 'checkpoint',
        name: '解放路执勤点',
        cameras: {
          list: [
            {
              ...CAMERA,
              xaddr: 'http://127.0.0.1:9/onvif/device_service',
              location: { lat: 26.895, lon: 112.555, address: '解放路东口' },
            },
            {
              id: 'cam-02',
              name: '解放路西口',
              xaddr: 'http://127.0.0.1:9/onvif/device_service',
              location: { lat: 26.896, lon: 112.554 },
            },
          ],
        },
      });
      await put('veh-01', {
        kind: 'vehicle',
        name: `渣土车 ${PLATE}`,
        vehicle: { id: 'truck-01', plate: PLATE },
      });
      const now = Date.now();
      const iso = (ms: number) => new Date(ms).toISOString();
      await heartbeat(90_000);
      const points = Array.from({ length: 30 }, (_, i) => ({
        t: iso(now - (30 - i) * 10_000),
        lat: 26.887 + i * 0.0006,
        lon: 112.54 + i * 0.0009,
        speedMps: 8 + (i % 7),
      }));
      await nc.publishStored(
        subjects.telemetry('veh-01'),
        encode(Telemetry, { v: 1, gatewayId: 'veh-01', vehicleId: 'truck-01', sentAt: iso(now), points }),
      );
      await until(async () => {
        const r = await api(central.url, '/api/devices', TOKENS.operator);
        return r.body.gateways?.length && r.body.vehicles?.length && r.body;
      }, 'device board');
      const org = (await api(central.url, '/api/city/org', TOKENS.operator)).body.units as { id: string }[];
      for (const u of org) rawIds.add(u.id);
      browser = await launchChromium();
      ({ page: op } = await newPage());
    }, 180_000); // may build the console first
    afterAll(async () => {
      await browser?.close();
      await central?.stop();
      await nc?.close();
      await server?.dispose();
    });

    it('operator - incidents arrive live with names; compare, search, Enter registers, bulk reject', async () => {
      await op.goto(`${central.url}/console/`);
      await op.waitForSelector('#token');
      await shot(op, 'signin');
      // an operator starts the day in the queue
      expect(await signIn(op, central.url, TOKENS.operator)).toBe('#/queue');
      await op.waitForSelector('.qlist .empty');
      await op.waitForSelector('#live.sse');
      await op.evaluate(() => Object.assign(window, { __sameDocument: true }));
      const first = await publishIncident('e2e-litter', {
        location: { source: 'fixed', lat: 26.895, lon: 112.555, cameraId: 'cam-01', zoneId: 'z1' },
      });
      const item = await op.waitForSelector('.qitem[data-id]', { timeout: 20_000 });
      caseId = (await item.getAttribute('data-id')) ?? '';
      rawIds.add(caseId);
      expect(
        await op.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
      ).toBe(true);
      expect((await caseOf(first.id)).id).toBe(caseId);
      await op.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('.qdetail img.evidence');
        return !!img && img.complete && img.naturalWidth === 640;
      });
      expect(await op.textContent('.qitem')).toContain(CAMERA.name);

      // the same camera zone again: a duplicate, compared side by side
      const dup = await publishIncident('e2e-dup', {
        location: { source: 'fixed', lat: 26.895, lon: 112.555, cameraId: 'cam-01', zoneId: 'z1' },
      });
      const dupCase = await caseOf(dup.id);
      rawIds.add(dupCase.id);
      expect(dupCase.duplicateCandidates).toContain(caseId);
      await op.waitForSelector(`.qitem[data-id="${dupCase.id}"] .dup-badge`, { timeout: 20_000 });
      await op.click(`.qitem[data-id="${dupCase.id}"]`);
      await op.click('.dups .compare');
      await op.waitForSelector('.compare-dialog');
      await op.waitForFunction(() => document.querySelectorAll('.compare-dialog img.frame').length === 2);
      await shot(op, 'queue-compare');
      await op.keyboard.press('Escape');
      await op.waitForSelector('.compare-dialog', { state: 'hidden' });

      // a parking incident; the search box narrows the queue to it
      const parking = await publishIncident('e2e-park', {
        kind: 'illegal_parking',
        category: '05.05',
        deviceId: 'cam-02',
        location: { source: 'fixed', lat: 26.896, lon: 112.554, cameraId: 'cam-02', zoneId: 'z2' },
      });
      const parkCase = await caseOf(parking.id);
      rawIds.add(parkCase.id);
      await op.waitForFunction(() => document.querySelectorAll('.qitem').length === 3, undefined, {
        timeout: 20_000,
      });
      await op.fill('#qf-q input, input#qf-q', '解放路西口');
      await op.waitForFunction(() => document.querySelectorAll('.qitem').length === 1);
      expect(await op.getAttribute('.qitem', 'data-id')).toBe(parkCase.id);
      await op.fill('#qf-q input, input#qf-q', '');
      await op.waitForFunction(() => document.querySelectorAll('.qitem').length === 3);

      // Enter registers the selected (first) one: the toast names it and links to it
      await op.click(`.qitem[data-id="${caseId}"]`);
      await op.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await shot(op, 'queue');
      await op.keyboard.press('Enter');
      await until(async () => ((await get(caseId)).state === 'registered' ? true : undefined), 'registered');
      const link = await op.waitForSelector('.el-notification a.toast-link');
      expect(await link.getAttribute('href')).toBe(`#/case/${caseId}`);
      const registered = await get(caseId);
      expect(await op.textContent('.el-notification')).toContain(registered.caseNumber ?? caseId.slice(-6));

      // the other two rejected at once, with one reason
      await op.waitForFunction(() => document.querySelectorAll('.qitem').length === 2);
      await op.click('.el-checkbox:has(#q-all)');
      await op.click('#bulk-reject');
      for (const id of [dupCase.id, parkCase.id]) {
        const c = await until(async () => {
          const k = await get(id);
          return k.state === 'rejected' && k;
        }, `rejected ${id}`);
        expect(c.rejection.reason).toBe('false_positive');
      }
      await op.waitForSelector('.qlist .empty');
    });

    it("operator - a truck's overspeed: plate, the episode on a map, speed against the limit, no broken frame", async () => {
      const now = Date.now();
      const over = await publishIncident(
        'e2e-speed',
        {
          kind: 'overspeed',
          category: '92.01',
          gatewayId: 'veh-01',
          deviceId: 'truck-01',
          confidence: 1,
          startedAt: new Date(now - 120_000).toISOString(),
          observedAt: new Date(now - 20_000).toISOString(),
          location: { source: 'gps', lat: 26.899, lon: 112.558 },
          producer: { rule: 'overspeed' },
          details: { speedKmh: 62, limitKmh: 40 },
        },
        false,
      );
      const vc = await caseOf(over.id);
      rawIds.add(vc.id);
      await op.waitForSelector(`.qitem[data-id="${vc.id}"]`, { timeout: 20_000 });
      await op.click(`.qitem[data-id="${vc.id}"]`);
      await op.waitForSelector('.qdetail .noframe');
      expect(await op.textContent('.qitem')).toContain(PLATE);
      expect(await op.textContent('.qdetail')).toContain(PLATE);
      expect(await op.textContent('.qdetail')).not.toMatch(/第\s*0\s*\/\s*0\s*张/);
      expect(await op.$$('.qdetail img.evidence')).toHaveLength(0);
      await op.waitForSelector('.qdetail .snippet .map.loaded canvas');
      await op.waitForSelector('.qdetail .speedchart canvas');
      await shot(op, 'queue-vehicle');
      await op.click('#q-confirm');
      await until(
        async () => ((await get(vc.id)).state === 'registered' ? true : undefined),
        'vehicle case registered',
      );
    });

    it('operator - dispatches from the case page, the routed unit prefilled; history in sentences with names', async () => {
      await op.goto(`${central.url}/console/#/case/${caseId}`);
      await op.waitForSelector('form[data-action="dispatch"]');
      const offered = await op.$$eval('form.actform', (fs) =>
        fs.map((f) => (f as HTMLElement).dataset.action),
      );
      expect(offered).toContain('dispatch');
      expect(offered).not.toContain('feedback');
      const c = await get(caseId);
      unit = c.proposedUnitId;
      const org = (await api(central.url, '/api/city/org', TOKENS.operator)).body.units as {
        id: string;
        name: string;
      }[];
      unitName = org.find((u) => u.id === unit)!.name;
      expect(await op.textContent('form[data-action="dispatch"]')).toContain(unitName);
      await op.click('#act-dispatch');
      await op.waitForFunction(() => document.querySelector('#history')?.textContent?.includes('派遣'));
      expect(await get(caseId)).toMatchObject({ state: 'dispatched', unitId: unit });
      const history = await op.textContent('#history');
      expect(history).toContain(`值班员 王敏 派遣，派往 ${unitName}`);
      expect(history).toContain('值班员 王敏 立案');
      await op.waitForSelector('.timeleft');
      await shot(op, 'case');
    });

    it("unit handler - sees only its unit's case, accepts it and reports back with a photo", async () => {
      const other = await report({
        category: '01.04',
        description: '路面垃圾',
        location: { ...ZHUHUI },
      });
      await api(central.url, `/api/cases/${other.id}/actions/register`, TOKENS.operator, { body: {} });
      const org = (await api(central.url, '/api/city/org', TOKENS.operator)).body.units as {
        id: string;
        kind: string;
      }[];
      const otherUnit = org.find((u) => u.kind === 'district_bureau' && u.id !== unit)!.id;
      expect(
        (
          await api(central.url, `/api/cases/${other.id}/actions/dispatch`, TOKENS.operator, {
            body: { unitId: otherUnit },
          })
        ).status,
      ).toBe(200);

      const { ctx, page: hp } = await newPage({ width: 1100, height: 800 });
      try {
        expect(await signIn(hp, central.url, TOKENS.handler(unit))).toBe('#/cases');
        expect(await hp.$$eval('#nav a', (as) => as.map((a) => (a as HTMLElement).dataset.page))).toEqual([
          'cases',
          'map',
        ]);
        await hp.waitForSelector('a.caseno');
        expect(await hp.$$eval('a.caseno', (as) => as.map((a) => (a as HTMLElement).dataset.id))).toEqual([
          caseId,
        ]);
        await shot(hp, 'handler-cases');
        await hp.click(`a.caseno[data-id="${caseId}"]`);
        await hp.waitForSelector('form[data-action="accept"]');
        await hp.click('#act-accept');
        await hp.waitForSelector('form[data-action="feedback"]');
        await hp.fill('form[data-action="feedback"] textarea', '已清理完毕');
        await hp.setInputFiles('form[data-action="feedback"] input[type="file"]', {
          name: 'after.jpg',
          mimeType: 'image/jpeg',
          buffer: Buffer.from(await sceneJpeg(false)),
        });
        await hp.click('#act-feedback');
        const c = await until(async () => {
          const k = await get(caseId);
          return k.state === 'feedback' && k;
        }, 'feedback recorded');
        const fb = c.history.find((e: { action: string }) => e.action === 'feedback');
        expect(fb.note).toBe('已清理完毕');
        expect(fb.attachments).toHaveLength(1);
        await hp.waitForFunction(() =>
          Array.from(document.querySelectorAll<HTMLImageElement>('#history img')).some(
            (i) => i.naturalWidth === 640,
          ),
        );
        await scanPages(hp, ['cases', `case/${caseId}`, 'map']);
      } finally {
        await ctx.close();
      }
    });

    it('operator - verifies with a photo: before and after side by side, closed', async () => {
      await op.goto(`${central.url}/console/#/case/${caseId}`);
      await op.waitForSelector('form[data-action="close"]');
      await op.waitForFunction(() => document.querySelectorAll('#before-after img.after').length === 1);
      await op.setInputFiles('form[data-action="close"] input[type="file"]', {
        name: 'check.jpg',
        mimeType: 'image/jpeg',
        buffer: Buffer.from(await sceneJpeg(false, 'check')),
      });
      // the console sends the version it shows as If-Match; a stale one (the request rewritten to an
      // older version, as if someone acted meanwhile) gets central's real 409: reload, say so, keep the photo
      const shown = (await get(caseId)).version as number;
      expect(shown).toBeGreaterThan(1);
      let sent: string | undefined;
      await op.route('**/actions/close', (route) => {
        sent = route.request().headers()['if-match'];
        return route.continue({ headers: { ...route.request().headers(), 'if-match': `"${shown - 1}"` } });
      });
      await op.click('#act-close');
      await op.waitForFunction(() =>
        Array.from(document.querySelectorAll('.el-message--warning')).some((m) =>
          m.textContent?.includes('已被他人更新'),
        ),
      );
      expect(sent).toBe(`"${shown}"`);
      expect((await get(caseId)).state).toBe('feedback');
      await op.unroute('**/actions/close');
      await op.click('#act-close');
      await until(async () => ((await get(caseId)).state === 'closed' ? true : undefined), 'closed');
      await op.waitForFunction(() => document.querySelector('h1 .tag')?.textContent?.trim() === '已结案');
      await op.waitForFunction(
        () =>
          Array.from(document.querySelectorAll<HTMLImageElement>('#before-after img')).filter(
            (i) => i.naturalWidth === 640,
          ).length >= 3,
      );
      expect(await op.textContent('#history')).toContain('系统完成综合评价');
      await shot(op, 'case-closed');
    });

    it('operator - the case list: search by number, date range, export, and proposes a bonus item', async () => {
      await op.goto(`${central.url}/console/#/cases`);
      await op.waitForSelector('a.caseno');
      await shot(op, 'cases');
      const c = await get(caseId);
      const no = c.caseNumber as string;
      expect(no).toMatch(/^\d{13}$/);
      // central searches (q): the number's tail is enough, and the list shows the 案卷号 itself
      await op.fill('#cf-q input, input#cf-q', no.slice(-5));
      await op.waitForFunction(() => document.querySelectorAll('a.caseno').length === 1);
      expect(await op.getAttribute('a.caseno', 'data-id')).toBe(caseId);
      expect((await op.textContent('a.caseno'))?.trim()).toBe(no);
      const [download] = await Promise.all([op.waitForEvent('download'), op.click('#export')]);
      const csv = await (await download.createReadStream()).toArray();
      const text = Buffer.concat(csv).toString('utf8');
      expect(text.split('\r\n').filter(Boolean)).toHaveLength(2); // header + the one case
      expect(text).toContain(unitName);
      await op.fill('#cf-q input, input#cf-q', '');

      await op.goto(`${central.url}/console/#/scores`);
      await op.waitForSelector('#propose');
      await op.click('#propose-unit');
      await op.locator('.el-select-dropdown__item:visible').first().click();
      await op.fill('#propose-reason', '专项整治表现突出');
      await op.setInputFiles('#propose-files', {
        name: 'award.jpg',
        mimeType: 'image/jpeg',
        buffer: Buffer.from(await sceneJpeg(false, 'award')),
      });
      await op.click('#propose-go');
      const proposed = await until(async () => {
        const r = await api(central.url, '/api/scoring/bonus', TOKENS.operator);
        return r.body.find?.((b: { reason: string }) => b.reason === '专项整治表现突出');
      }, 'bonus proposed');
      expect(proposed.attachments).toHaveLength(1);
    });

    it('leader - lands on the dashboard; 大屏; map with the plate and track; approves the bonus with a note; English', {
      timeout: 120_000,
    }, async () => {
      const { ctx, page: lp } = await newPage();
      try {
        expect(await signIn(lp, central.url, TOKENS.leader)).toBe('#/dashboard');
        await lp.waitForSelector('#dashboard [data-kpi="closed"]');
        await lp.waitForFunction(() => document.querySelector('[data-kpi="closed"] .v')?.textContent === '1');
        expect(await lp.textContent('[data-kpi="reported"] .v')).not.toBe('0');
        expect(await lp.$$('#dashboard canvas')).not.toHaveLength(0);
        await lp.waitForFunction(() =>
          Array.from(document.querySelectorAll('#dashboard .chart')).every((c) =>
            c.hasAttribute('data-drawn'),
          ),
        );
        await shot(lp, 'dashboard');
        await lp.click('#bigscreen');
        await lp.waitForSelector('.shell.big');
        expect(await lp.$$('#nav')).toHaveLength(0);
        await lp.waitForFunction(() =>
          Array.from(document.querySelectorAll('#dashboard .chart')).every((c) =>
            c.hasAttribute('data-drawn'),
          ),
        );
        await shot(lp, 'bigscreen');
        await lp.click('#bigscreen');
        await lp.waitForSelector('#nav');

        await lp.goto(`${central.url}/console/#/map/truck-01`);
        await lp.waitForSelector('.map.loaded canvas');
        await lp.waitForSelector('.maplabel.plate');
        expect(await lp.textContent('.maplabel.plate')).toBe(PLATE);
        await lp.waitForSelector('.playback .status');
        expect(await lp.textContent('.playback')).toContain('违规：1');
        await shot(lp, 'map');

        await lp.goto(`${central.url}/console/#/scores`);
        await lp.waitForSelector('.bonus-item .approve');
        // the leader sees the proposal's photo before deciding
        await lp.waitForFunction(() =>
          Array.from(document.querySelectorAll<HTMLImageElement>('.bonus-item img.bonus-att')).some(
            (i) => i.naturalWidth === 640,
          ),
        );
        await lp.fill('.bonus-item .bonus-note input', '同意，材料齐全');
        await shot(lp, 'scores');
        await lp.click('.bonus-item .approve');
        const b = await until(async () => {
          const r = await api(central.url, '/api/scoring/bonus', TOKENS.leader);
          return r.body.find?.((x: { state: string }) => x.state === 'approved');
        }, 'bonus approved');
        expect(b.decisionNote).toBe('同意，材料齐全');
        await lp.waitForFunction(() =>
          document.querySelector('#bonus')?.textContent?.includes('同意，材料齐全'),
        );

        await lp.click('#lang');
        await lp.waitForFunction(() => document.querySelector('#nav')?.textContent?.includes('Scores'));
        await lp.waitForSelector('#score-table');
        expect(await lp.textContent('#score-table thead')).toContain('Weighted');
        // English mode: the console's own words are English (names of places and people stay)
        for (const p of ['dashboard', 'cases', 'map', 'devices', 'scores']) {
          await lp.goto(`${central.url}/console/#/${p}`);
          await settle(lp);
          const words = await lp.$$eval('#nav, h2, h3, th, button, label', (es) =>
            es.map((e) => (e as HTMLElement).innerText).join(' '),
          );
          expect(words.match(/[\u4e00-\u9fff]+/g) ?? [], `${p}: ${words}`).toEqual(['中文']);
        }
        await lp.click('#lang');
      } finally {
        await ctx.close();
      }
    });

    it('admin - devices with names, relative times never in the future, a snapshot nobody answers', async () => {
      const { ctx, page: ap } = await newPage();
      try {
        // a camera whose clock runs 5 minutes ahead reports it was seen "in 5 minutes"
        await heartbeat(300_000);
        await signIn(ap, central.url, TOKENS.admin);
        await ap.goto(`${central.url}/console/#/devices`);
        await ap.waitForSelector('#devices [data-snapshot="cam-01"]');
        const text = await ap.textContent('#devices');
        expect(text).toContain('离线');
        expect(text).toContain(CAMERA.name);
        expect(text).toContain('解放路执勤点');
        expect(text).toContain(PLATE);
        expect(text).not.toMatch(/\d+\s*(秒|分钟|小时|天)后/); // "3分钟后" would be in the future
        expect(text).toContain('刚刚');
        await shot(ap, 'devices');
        await ap.click('#devices [data-snapshot="cam-01"]');
        await ap.waitForSelector('#cmd-out .error', { timeout: 30_000 });
        expect(await ap.textContent('#cmd-out')).toContain('未应答');
      } finally {
        await ctx.close();
      }
    });

    it('resilience - central unreachable: a banner, retry, and the typed note survives', async () => {
      const { ctx, page: pp } = await newPage();
      try {
        await signIn(pp, central.url, TOKENS.operator);
        const open = await report();
        await pp.goto(`${central.url}/console/#/case/${open.id}`);
        await pp.waitForSelector('form[data-action="register"]');
        await pp.fill('form[data-action="register"] textarea', '核实属实，予以立案');
        // central goes away (every API call fails at the network level)
        await ctx.route('**/api/**', (r) => r.abort('connectionrefused'));
        await pp.click('#act-register');
        await pp.waitForSelector('#unreachable');
        expect(await pp.textContent('#unreachable')).toContain('无法连接');
        expect(await pp.inputValue('form[data-action="register"] textarea')).toBe('核实属实，予以立案');
        await shot(pp, 'unreachable');
        await ctx.unroute('**/api/**');
        await pp.click('#unreachable button');
        await pp.waitForSelector('#unreachable', { state: 'detached' });
        await pp.click('#act-register');
        const c = await until(async () => {
          const k = await get(open.id);
          return k.state === 'registered' && k;
        }, 'registered after the outage');
        expect(c.history.at(-1).note).toBe('核实属实，予以立案');
      } finally {
        await ctx.close();
      }
    });

    it('resilience - without the event stream the console polls and says so', async () => {
      const { ctx, page: pp } = await newPage();
      try {
        await ctx.route('**/api/console/events', (r) => r.fulfill({ status: 503, body: 'no streams here' }));
        await signIn(pp, central.url, TOKENS.operator);
        await pp.goto(`${central.url}/console/#/cases`);
        await pp.waitForSelector('#case-table');
        await pp.waitForSelector('#live.poll', { timeout: 20_000 });
        expect(await pp.textContent('#live')).toContain('轮询');
        const r = await report();
        await pp.waitForSelector(`a.caseno[data-id="${r.id}"]`, { timeout: 20_000 });
      } finally {
        await ctx.close();
      }
    });

    /** the page rendered its section and its data arrived (the live stream never lets the network idle) */
    async function settle(page: Page) {
      await page.waitForSelector('main.page section, main.page .noaccess');
      await page.waitForFunction(() => !document.querySelector('.el-loading-mask'));
      await page.waitForTimeout(1000);
    }

    async function scanPages(page: Page, pages: string[]) {
      for (const p of pages) {
        await page.goto(`${page.url().split('#')[0]}#/${p}`);
        await settle(page);
        expect(rawFindings(await visibleText(page), [...rawIds]), `#/${p}`).toEqual([]);
      }
    }

    it('every page, for each role, shows names: no raw id, i18n key or JSON', {
      timeout: 240_000,
    }, async () => {
      for (const [role, token] of [
        ['operator', TOKENS.operator],
        ['leader', TOKENS.leader],
        ['admin', TOKENS.admin],
      ] as const) {
        const { ctx, page } = await newPage();
        try {
          await signIn(page, central.url, token);
          await scanPages(page, [...PAGES[role], `case/${caseId}`, 'map/truck-01']);
        } finally {
          await ctx.close();
        }
      }
    });
  },
);
