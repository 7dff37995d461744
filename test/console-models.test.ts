/**
 * The admin's models page, end to end with real processes: a gateway process runs the real
 * cg-detector (ONNX) for one camera under config sync; a new version is published into the
 * `cg_models` bucket the way `npm run models -- publish` does; an AI case names the model that
 * produced it. In Chromium the page lists both versions (sha256, task, classes, where each runs,
 * the verdicts), rolls the new one out to the gateway by its name — the gateway loads it and the
 * page shows it running there — and rolls it back; the case page names the model version.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishModel } from '../central/gateways/models.js';
import { connectNats } from '../protocol/transport.js';
import { freePort, type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';
import { type ManagedProcess, REPO_ROOT, startCentral, startGatewayProcess } from '../sim/processes.js';
import { api, litterIncident, publishIncident, TOKENS } from './central-helpers.js';
import { hasChromium, launchChromium, rawFindings, shot, signIn, visibleText } from './console-support.js';
import { until } from './support/until.js';

const GW = 'cp-models';
const CAM = 'cam-jf-east';
const DETECTOR = join(REPO_ROOT, 'models/detector');
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const dir = mkdtempSync(join(tmpdir(), 'cg-console-models-'));
const ready = hasChromium && existsSync(join(DETECTOR, 'model.onnx'));

describe.skipIf(!ready)(
  'console - models page with a real gateway (needs Chromium and models/detector)',
  () => {
    let nats: NatsServerHandle;
    let central: { proc: ManagedProcess; url: string };
    let gateway: ManagedProcess;
    let browser: Browser;
    let page: Page;
    let caseId = '';
    const manifest = JSON.parse(readFileSync(join(DETECTOR, 'manifest.json'), 'utf8'));

    beforeAll(async () => {
      browser = await launchChromium(); // builds the console first: central reads the build at start
      nats = await startNatsServer({ storeDir: join(dir, 'nats') });
      central = await startCentral({ demo: true, natsUrl: nats.url, dataDir: join(dir, 'central') });
      // one camera nobody answers: the unit runs (offline) with its model loaded
      const cameras = {
        models: { detector: join(DETECTOR, 'manifest.json') },
        list: [
          {
            id: CAM,
            name: '解放大道东口',
            xaddr: `http://127.0.0.1:${await freePort()}/onvif/device_service`,
            snapshotIntervalS: 5,
            backoff: { initialS: 5, maxS: 30 },
            location: { lat: 26.8968, lon: 112.5719 },
          },
        ],
      };
      const config = { kind: 'checkpoint', name: '解放大道执勤点', heartbeatS: 1, cameras };
      const cfgPath = join(dir, 'gw.yaml');
      writeFileSync(
        cfgPath,
        JSON.stringify({ ...config, gatewayId: GW, nats: { servers: nats.url }, dataDir: join(dir, 'gw') }),
      );
      gateway = await startGatewayProcess({ configPath: cfgPath, name: GW });
      await until(async () => {
        const r = await api(central.url, `/api/gateways/${GW}/config`, TOKENS.admin, {
          method: 'PUT',
          body: config,
        });
        return r.status === 200;
      }, 'version 1 stored');
      await until(
        async () => {
          const v = (await api(central.url, `/api/gateways/${GW}/config`, TOKENS.admin)).body;
          return v.inSync && v.reported?.models?.some((m: any) => m.version === '1.0.0');
        },
        'the gateway reports cg-detector 1.0.0',
        60_000,
      );

      // a new version of the same weights, published into the bucket; an AI case made by 1.0.0
      const folder = join(dir, 'cg-detector-1.1.0-city');
      mkdirSync(folder, { recursive: true });
      for (const f of ['model.onnx', 'MODEL_CARD.md']) copyFileSync(join(DETECTOR, f), join(folder, f));
      writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ ...manifest, version: '1.1.0-city' }));
      const nc = await connectNats({ servers: nats.url, name: 'publish', log: quiet });
      await publishModel(nc, folder);
      await publishIncident(
        nc,
        litterIncident({
          gatewayId: GW,
          deviceId: CAM,
          producer: {
            rule: 'litter_persist',
            model: { name: 'cg-detector', version: '1.0.0', sha256: manifest.sha256 },
          },
        }),
      );
      await nc.close();
      caseId = await until(async () => {
        const list = (await api(central.url, '/api/cases?source=ai', TOKENS.admin)).body.items ?? [];
        return list[0]?.id;
      }, 'the AI case');
      const ctx = await browser.newContext({ viewport: { width: 1366, height: 800 }, locale: 'zh-CN' });
      page = await ctx.newPage();
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await gateway?.stop();
      await central?.proc.stop();
      await nats?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('lists the versions with where they run, rolls the new one out to the gateway and back', {
      timeout: 240_000,
    }, async () => {
      await signIn(page, central.url, TOKENS.admin);
      await page.click('#nav a[data-page="models"]');
      const row = (version: string) => page.locator('#model-table tbody tr', { hasText: version });
      await row('1.1.0-city').waitFor();
      await page.waitForFunction(() =>
        document.querySelector('#model-table')?.textContent?.includes('解放大道执勤点'),
      );
      const old = await row('1.0.0').innerText();
      expect(old).toContain('cg-detector');
      expect(old).toContain('目标检测');
      expect(old).toContain('解放大道执勤点');
      expect(old).toContain('解放大道东口');
      expect(old).toContain('AI 案件 1 件');
      const fresh = await row('1.1.0-city').innerText();
      expect(fresh).toContain(manifest.sha256.slice(0, 12));
      expect(fresh).toContain('行人、车辆、垃圾');
      expect(fresh).toContain('未在任何网关运行');

      // roll 1.1.0-city out to the gateway, chosen by its name
      const choose = async (button: string) => {
        await row('1.1.0-city').locator(button).click();
        await page.locator('.el-dialog .el-select').click();
        await page.locator('.el-select-dropdown__item:visible', { hasText: '解放大道执勤点' }).click();
        await page.locator('.el-dialog__title').click(); // closes the dropdown
        await page.click('#model-send');
      };
      await choose('button.rollout');
      await page.waitForFunction(
        () => {
          const tr = Array.from(document.querySelectorAll('#model-table tbody tr')).find((r) =>
            r.textContent?.includes('1.1.0-city'),
          );
          return tr?.textContent?.includes('解放大道执勤点');
        },
        undefined,
        { timeout: 90_000 },
      );
      const view = (await api(central.url, `/api/gateways/${GW}/config`, TOKENS.admin)).body;
      expect(view.reported.models.find((m: any) => m.name === 'cg-detector')).toMatchObject({
        version: '1.1.0-city',
        cameraIds: [CAM],
      });
      expect(await row('1.0.0').innerText()).toContain('未在任何网关运行');
      await page.waitForSelector('.el-message', { state: 'detached' });
      await shot(page, 'models');
      expect(rawFindings(await visibleText(page), [GW, CAM, 'u-admin'])).toEqual([]);

      // and back to what it ran before
      await choose('button.rollback');
      await page.waitForFunction(
        () => {
          const tr = Array.from(document.querySelectorAll('#model-table tbody tr')).find((r) =>
            r.textContent?.includes('1.0.0'),
          );
          return tr?.textContent?.includes('解放大道执勤点');
        },
        undefined,
        { timeout: 90_000 },
      );
      expect(await row('1.1.0-city').innerText()).toContain('未在任何网关运行');

      // English: the page's own words are English (the gateway's and camera's names stay)
      await page.click('#lang');
      await page.waitForFunction(
        () => document.querySelector('#models h2')?.textContent === 'Model versions',
      );
      const words = await page.$$eval('#nav, h2, th, button', (es) =>
        es.map((e) => (e as HTMLElement).innerText).join(' '),
      );
      expect(words.match(/[\u4e00-\u9fff]+/g) ?? [], words).toEqual(['中文']);
      expect(await row('1.1.0-city').innerText()).toContain('person、vehicle、litter');
      await page.click('#lang');
      // the AI case names the model version that produced it
      await page.goto(`${central.url}/console/#/case/${caseId}`);
      await page.waitForSelector('#case-model');
      expect(await page.textContent('#case-model')).toBe(`cg-detector 1.0.0 #${manifest.sha256.slice(0, 8)}`);
      expect(rawFindings(await visibleText(page), [GW, CAM, 'u-admin'])).toEqual([]);
    });
  },
);
