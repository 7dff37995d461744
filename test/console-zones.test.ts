/**
 * The field engineer's zone editor, end to end with real processes: a checkpoint gateway
 * (ONVIF simulator → real detector) runs under config sync; in Chromium the engineer fetches a
 * fresh frame from the camera through central, draws a zone (a crossing polygon is refused until
 * its corners are dragged right), sets its dwell, sends it, and the gateway applies that version,
 * which the page shows. Skipped without the detector model or Chromium.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASSIFIER, DETECTOR, type Stack, startStack } from '../sim/stack.js';
import { api, TOKENS } from './central-helpers.js';
import { ensureConsoleBuilt, hasChromium, launchChromium, shot, signIn } from './console-support.js';
import { until } from './support/until.js';

const GW = 'cp-xihu-01';
const CAM = 'cam-east';
const ready =
  hasChromium && existsSync(DETECTOR) && existsSync(join(__dirname, '..', 'models/scenes/litter'));
const dir = mkdtempSync(join(tmpdir(), 'cg-console-zones-'));

describe.skipIf(!ready)(
  'console - zone editor with a real gateway (needs Chromium and models/detector)',
  () => {
    let stack: Stack;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      // before central starts: central reads the build once, at start
      ensureConsoleBuilt();
      stack = await startStack({
        dir,
        cameras: [
          {
            id: CAM,
            name: '东门',
            scene: 'litter',
            lat: 26.8991,
            lon: 112.5601,
            zones: [],
            snapshotIntervalS: 2,
          },
        ],
        heartbeatS: 1,
      });
      // central holds the configuration the gateway runs (version 1), so the editor can change it
      const r = await until(async () => {
        const put = await api(stack.central.url, `/api/gateways/${GW}/config`, TOKENS.admin, {
          method: 'PUT',
          body: {
            kind: 'checkpoint',
            name: '西湖路执勤点',
            heartbeatS: 1,
            cameras: {
              models: { detector: DETECTOR, ...(existsSync(CLASSIFIER) ? { classifier: CLASSIFIER } : {}) },
              list: [
                {
                  id: CAM,
                  name: '东门',
                  xaddr: stack.cameras[0].xaddr,
                  username: 'admin',
                  password: `pw-${CAM}`,
                  snapshotIntervalS: 2,
                  location: { lat: 26.8991, lon: 112.5601 },
                  zones: [],
                },
              ],
            },
          },
        });
        return put.status === 200 && put.body;
      }, 'version 1 stored');
      expect(r.version).toBe(1);
      await until(async () => {
        const v = await api(stack.central.url, `/api/gateways/${GW}/config`, TOKENS.admin);
        return v.body.inSync ? v.body : undefined;
      }, 'gateway runs version 1');
      browser = await launchChromium();
      const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'zh-CN' });
      page = await ctx.newPage();
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('draws a no-parking zone on a fresh frame, refuses a crossing one, and the gateway applies it', {
      timeout: 180_000,
    }, async () => {
      await signIn(page, stack.central.url, TOKENS.admin);
      await page.goto(`${stack.central.url}/console/#/zones/${GW}/${CAM}`);
      await page.waitForSelector('#applied.ok');
      expect(await page.textContent('#applied')).toContain('第 1 版');
      await page.click('#fresh-frame');
      await page.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('.stage img');
        return !!img && img.complete && img.naturalWidth > 0;
      });
      await page.click('#add-zone');
      const box = (await page.locator('#stage').boundingBox())!;
      const at = (fx: number, fy: number) => ({ x: box.x + box.width * fx, y: box.y + box.height * fy });
      // a bow-tie: its edges cross
      for (const [fx, fy] of [
        [0.2, 0.5],
        [0.8, 0.8],
        [0.8, 0.5],
        [0.2, 0.8],
      ]) {
        const p = at(fx, fy);
        await page.mouse.click(p.x, p.y);
      }
      await page.click('#finish-zone');
      await page.waitForSelector('.zone-issue');
      expect(await page.textContent('.zone-issue')).toContain('自相交');
      expect(await page.isDisabled('#save-zones')).toBe(true);
      // drag two corners into place: the second to the top right, the third to the bottom right
      const drag = async (from: [number, number], to: [number, number]) => {
        const a = at(...from);
        const b = at(...to);
        await page.mouse.move(a.x, a.y);
        await page.mouse.down();
        await page.mouse.move(b.x, b.y, { steps: 5 });
        await page.mouse.up();
      };
      await drag([0.8, 0.8], [0.8, 0.5]);
      await drag([0.8, 0.5], [0.8, 0.8]);
      await page.waitForSelector('.zone-issue', { state: 'detached' });
      await page.fill('.zone-name input', '东门禁停区');
      await page.fill('.zone-dwell input', '120');
      await page.locator('.zone-dwell input').blur();
      await shot(page, 'zones');
      await page.click('#save-zones');
      await page.waitForFunction(() => document.querySelector('#applied')?.textContent?.includes('第 2 版'));
      // the gateway process applied version 2: the heartbeat says so and the page shows it
      await page.waitForSelector('#applied.ok', { timeout: 60_000 });
      const view = (await api(stack.central.url, `/api/gateways/${GW}/config`, TOKENS.admin)).body;
      expect(view).toMatchObject({
        inSync: true,
        desired: { version: 2 },
        reported: { configVersion: 'sync-2' },
      });
      const zone = view.desired.config.cameras.list[0].zones[0];
      expect(zone).toMatchObject({ name: '东门禁停区', type: 'no_parking', dwellS: 120 });
      // corners in the camera's own pixels (640×360), in the order drawn after the drag
      const px = zone.polygon as [number, number][];
      expect(px).toHaveLength(4);
      const near = (p: [number, number], x: number, y: number) =>
        Math.abs(p[0] - x) <= 8 && Math.abs(p[1] - y) <= 8;
      expect(near(px[0], 128, 180)).toBe(true);
      expect(near(px[1], 512, 180)).toBe(true);
      expect(near(px[2], 512, 288)).toBe(true);
      expect(near(px[3], 128, 288)).toBe(true);
      await shot(page, 'zones-applied');
    });
  },
);
