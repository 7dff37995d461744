/**
 * The field engineer's vehicle zone editor, end to end with real processes: a serial vehicle
 * gateway (NMEA + SLCAN on socat ptys) runs under config sync with an inline route, one disposal
 * site and a speed zone in 衡阳. In Chromium the engineer draws a new disposal site on the map
 * around a spot on the route (a crossing outline is refused until a corner is dragged right),
 * names it and sends it; the gateway applies that version, which the page shows. Then the truck
 * simulator unloads at that spot and, further on, outside every site: only the second raises
 * "dumping outside a site", so the gateway's rules run on the drawn site.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZHENGXIANG } from '../sim/city-points.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { type ManagedProcess, REPO_ROOT, startCentral, startGatewayProcess } from '../sim/processes.js';
import { type Leg, startPtyPair, startTruckSimulator } from '../sim/serial/index.js';
import { api, TOKENS } from './central-helpers.js';
import { hasChromium, launchChromium, rawFindings, shot, signIn, visibleText } from './console-support.js';
import { until } from './support/until.js';

const GW = 'veh-hy-01';
const TRUCK = 'truck-hy-d12345';
type LonLat = [number, number];
/** where the new site is drawn: on the route, in a 蒸湘区 grid */
const X: LonLat = [ZHENGXIANG.lon, ZHENGXIANG.lat];
/** further along the route, outside every site */
const Y: LonLat = [112.57, 26.895];
const A: LonLat = [112.54, 26.895];
const B: LonLat = [112.58, 26.895];
const square = (lon0: number, lat0: number, lon1: number, lat1: number) => [
  [
    [lon0, lat0],
    [lon1, lat0],
    [lon1, lat1],
    [lon0, lat1],
    [lon0, lat0],
  ],
];

const dir = mkdtempSync(join(tmpdir(), 'cg-console-vzones-'));

describe.skipIf(!hasChromium)(
  'console - vehicle zone editor with a real vehicle gateway (needs Chromium)',
  () => {
    let nats: NatsServerHandle;
    let central: { proc: ManagedProcess; url: string };
    let gateway: ManagedProcess;
    const stops: (() => Promise<void>)[] = [];
    let gps: { a: string; b: string };
    let can: { a: string; b: string };
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      browser = await launchChromium(); // builds the console first: central reads the build at start
      nats = await startNatsServer({ storeDir: join(dir, 'nats') });
      central = await startCentral({ demo: true, natsUrl: nats.url, dataDir: join(dir, 'central') });
      const g = await startPtyPair(dir, 'gps');
      const c = await startPtyPair(dir, 'can');
      stops.push(g.stop, c.stop);
      gps = g;
      can = c;
      // what central manages from now on (version 1); the box adds its id, NATS and data folder
      const config = {
        kind: 'vehicle',
        name: '渣土车 湘D·12345',
        heartbeatS: 1,
        vehicle: {
          id: TRUCK,
          plate: '湘D·12345',
          gnss: { port: gps.b, baud: 9600 },
          can: {
            port: can.b,
            baud: 115200,
            bitrate: 250000,
            dbc: join(REPO_ROOT, 'edge/vehicle/can/muck-truck.dbc'),
            signals: { dumpBodyRaised: { signal: 'DumpBodyRaised' }, coverOpen: { signal: 'CoverOpen' } },
          },
          geo: {
            route: {
              type: 'FeatureCollection',
              features: [
                {
                  type: 'Feature',
                  properties: { id: 'r1', name: '蒸湘南路运输线' },
                  geometry: { type: 'LineString', coordinates: [A, B] },
                },
              ],
            },
            sites: {
              type: 'FeatureCollection',
              features: [
                {
                  type: 'Feature',
                  properties: { id: 'songmu', name: '松木消纳场' },
                  geometry: { type: 'Polygon', coordinates: square(112.585, 26.9, 112.59, 26.904) },
                },
              ],
            },
            zones: {
              type: 'FeatureCollection',
              features: [
                {
                  type: 'Feature',
                  properties: { id: 'school', name: '学校路段', speedLimitKmh: 30 },
                  geometry: { type: 'Polygon', coordinates: square(112.544, 26.893, 112.548, 26.897) },
                },
              ],
            },
          },
          deviceOfflineAfterS: 3600,
        },
      };
      const cfgPath = join(dir, 'vehicle.yaml');
      writeFileSync(
        cfgPath,
        JSON.stringify({ ...config, gatewayId: GW, nats: { servers: nats.url }, dataDir: join(dir, 'gw') }),
      );
      gateway = await startGatewayProcess({ configPath: cfgPath, name: 'vehicle' });
      const put = await until(async () => {
        const r = await api(central.url, `/api/gateways/${GW}/config`, TOKENS.admin, {
          method: 'PUT',
          body: config,
        });
        return r.status === 200 && r.body;
      }, 'version 1 stored');
      expect(put.version).toBe(1);
      await until(
        async () => {
          const v = await api(central.url, `/api/gateways/${GW}/config`, TOKENS.admin);
          return v.body.inSync ? v.body : undefined;
        },
        'gateway runs version 1',
        60_000,
      );
      const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
      page = await ctx.newPage();
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      for (const s of stops.reverse()) await s().catch(() => undefined);
      await gateway?.stop();
      await central?.proc.stop();
      await nats?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('draws a disposal site on the map, refuses a crossing one, the gateway applies it and a dump there raises nothing', {
      timeout: 240_000,
    }, async () => {
      await signIn(page, central.url, TOKENS.admin);
      await page.goto(`${central.url}/console/#/zones/${GW}`);
      await page.waitForSelector('#vehicle-map.loaded');
      await page.waitForSelector('#applied.ok');
      expect(await page.textContent('#applied')).toContain('第 1 版');
      // the configured places are listed by name
      const panel = await page.locator('.vehicle-zones .panel').innerText();
      expect(await page.inputValue('.place[data-kind="route"] .zone-name input')).toBe('蒸湘南路运输线');
      expect(await page.inputValue('.place[data-kind="site"] .zone-name input')).toBe('松木消纳场');
      expect(panel).toContain('路线走廊半宽');

      // zoomed in on the spot, as the engineer would, then the corners at known places
      await page.evaluate(
        ([lon, lat]) =>
          (document.querySelector('#vehicle-map') as any).__map.jumpTo({ center: [lon, lat], zoom: 16 }),
        X,
      );
      const canvas = (await page.locator('#vehicle-map canvas').boundingBox())!;
      const screen = async (p: LonLat) => {
        const xy = await page.evaluate(
          (q) => (document.querySelector('#vehicle-map') as any).__map.project(q),
          p,
        );
        return { x: canvas.x + xy.x, y: canvas.y + xy.y };
      };
      const [L, R, T, Bm] = [X[0] - 0.0015, X[0] + 0.0015, X[1] + 0.0012, X[1] - 0.0012];
      await page.click('#add-site');
      // a bow-tie: top-left, bottom-right, top-right, bottom-left
      for (const p of [
        [L, T],
        [R, Bm],
        [R, T],
        [L, Bm],
      ] as LonLat[]) {
        const s = await screen(p);
        await page.mouse.click(s.x, s.y);
      }
      await page.click('#finish-zone');
      await page.waitForSelector('.zone-issue');
      expect(await page.textContent('.zone-issue')).toContain('自相交');
      expect(await page.isDisabled('#save-zones')).toBe(true);
      // drag the bottom-right corner up the right side, then the top-right one down to the bottom
      const Tq = T - 0.3 * (T - Bm);
      // the map drawn with what the last gesture changed (its corners are hit where they are drawn)
      const drawn = () =>
        page.evaluate(
          () =>
            new Promise<void>((r) => {
              const m = (document.querySelector('#vehicle-map') as any).__map;
              m.once('idle', () => r());
              m.triggerRepaint();
              setTimeout(r, 5000);
            }),
        );
      const drag = async (from: LonLat, to: LonLat) => {
        await drawn();
        const a = await screen(from);
        const b = await screen(to);
        await page.mouse.move(a.x, a.y);
        await page.mouse.down();
        await page.mouse.move(b.x, b.y, { steps: 6 });
        // once more where it ends, a frame before the button goes up (a loaded browser coalesces
        // the moves of a drag, and the last one must reach the map before the mouseup)
        await page.mouse.move(b.x, b.y);
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
        await page.mouse.up();
      };
      await drag([R, Bm], [R, Tq]);
      await drag([R, T], [R, Bm]);
      await page.waitForSelector('.zone-issue', { state: 'detached' });
      await page.fill('.place.selected .zone-name input', '蒸湘临时消纳点');
      await page.click('#save-zones');
      await page.waitForFunction(() => document.querySelector('#applied')?.textContent?.includes('第 2 版'));
      await page.waitForSelector('#applied.ok', { timeout: 60_000 });
      await shot(page, 'vehicle-zones');

      // the gateway process runs version 2, whose sites hold the drawn one in WGS-84 lon/lat
      const view = (await api(central.url, `/api/gateways/${GW}/config`, TOKENS.admin)).body;
      expect(view).toMatchObject({
        inSync: true,
        desired: { version: 2 },
        reported: { configVersion: 'sync-2' },
      });
      const sites = view.desired.config.vehicle.geo.sites.features;
      expect(sites.map((f: any) => f.properties.name)).toEqual(['松木消纳场', '蒸湘临时消纳点']);
      const ring = sites[1].geometry.coordinates[0] as LonLat[];
      const near = (p: LonLat, q: LonLat) => Math.abs(p[0] - q[0]) < 1e-4 && Math.abs(p[1] - q[1]) < 1e-4;
      expect(ring).toHaveLength(5);
      expect(
        near(ring[0], [L, T]) && near(ring[1], [R, Tq]) && near(ring[2], [R, Bm]) && near(ring[3], [L, Bm]),
      ).toBe(true);
      expect(ring[4]).toEqual(ring[0]);
      // the route and the speed zone went back as they came
      expect(view.desired.config.vehicle.geo.route.features[0].geometry.coordinates).toEqual([A, B]);
      expect(view.desired.config.vehicle.geo.zones.features[0].properties).toMatchObject({
        name: '学校路段',
        speedLimitKmh: 30,
      });

      // no raw id, key or JSON on the page
      expect(rawFindings(await visibleText(page), [GW, TRUCK])).toEqual([]);

      // English: the editor's own words are English (the places' names stay)
      await page.click('#lang');
      await page.waitForFunction(
        () => document.querySelector('#zones h2')?.textContent === 'Vehicle route and disposal sites',
      );
      const words = await page.$$eval('#nav, h2, button, label, #applied', (es) =>
        es.map((e) => (e as HTMLElement).innerText).join(' '),
      );
      expect(words.match(/[\u4e00-\u9fff]+/g) ?? [], words).toEqual(['中文']);
      await page.click('#lang');
      // the truck unloads at the drawn site, then outside every site
      const unload: Leg[] = [{ stopS: 5 }, { stopS: 30, dumpBodyRaised: true }, { stopS: 5 }];
      const truck = await startTruckSimulator({
        gnssPort: gps.a,
        canPort: can.a,
        plan: [
          { drive: [A, X], speedKmh: 25 },
          ...unload,
          { drive: [X, Y], speedKmh: 25 },
          ...unload,
          { drive: [Y, B], speedKmh: 25 },
        ],
        intervalMs: 20,
      });
      stops.push(truck.stop);
      const dumps = async () => {
        const list = (await api(central.url, '/api/cases?source=vehicle', TOKENS.admin)).body.items ?? [];
        const out: { lon: number; lat: number }[] = [];
        for (const c of list) {
          const full = (await api(central.url, `/api/cases/${c.id}`, TOKENS.admin)).body;
          if (full.incidents?.[0]?.latest?.kind === 'dumping_outside_site') out.push(full.location);
        }
        return out;
      };
      const found = await until(
        async () => {
          const d = await dumps();
          return d.length ? d : undefined;
        },
        'a dumping case outside the sites',
        90_000,
      );
      await truck.done;
      const all = await dumps();
      expect(found.length).toBe(1);
      expect(all).toHaveLength(1);
      expect(Math.abs(all[0].lon - Y[0]) < 5e-4 && Math.abs(all[0].lat - Y[1]) < 5e-4).toBe(true);
    });
  },
);
