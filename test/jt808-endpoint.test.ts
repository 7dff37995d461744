/**
 * The JT/T 808 unit over real TCP on 127.0.0.1: simulated terminals register, authenticate and
 * drive the demo city's scenarios; incidents and telemetry are captured by collecting sinks (the
 * end-to-end test covers NATS and central). Commands, and hostile input: each refused, counted,
 * answered with the protocol's error response, and other terminals unaffected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameSplitter, parseFrame } from '../edge/jt808/codec.js';
import { decodeResponse, MSG } from '../edge/jt808/messages.js';
import { createJt808Unit, type Jt808Unit } from '../edge/jt808/unit.js';
import type { EdgeSinks, EvidenceImage, IncidentDraft } from '../edge/unit.js';
import { type CommandRequest, Incident, type TrackPoint, validate } from '../protocol/index.js';
import { type Jt808Terminal, startJt808Terminal } from '../sim/jt808/index.js';
import { until } from './support/until.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DEMO = path.join(ROOT, 'edge/vehicle/demo');
const dir = mkdtempSync(path.join(tmpdir(), 'jt808-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = { info() {}, warn() {}, error() {}, debug() {} };

interface Harness {
  unit: Jt808Unit;
  drafts: { d: IncidentDraft; images: EvidenceImage[] }[];
  points: TrackPoint[];
  port: number;
}
const open: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.stop().catch(() => undefined);
});

async function harness(extra: Record<string, unknown> = {}): Promise<Harness> {
  const drafts: Harness['drafts'] = [];
  const points: TrackPoint[] = [];
  const unit = await createJt808Unit(
    {
      listen: { host: '127.0.0.1', port: 0 },
      vehicles: [
        { id: 'hy-truck-2', plate: '湘D·A8808', phone: '13907340002', vendor: 'generic-io' },
        { id: 'hy-truck-3', plate: '湘D·B2019', vendor: 'citygrid-sim' },
      ],
      geo: { route: `${DEMO}/route.geojson`, sites: `${DEMO}/sites.geojson`, zones: `${DEMO}/zones.geojson` },
      telemetry: { batchSize: 5, maxBatchDelayS: 1 },
      commandTimeoutS: 2,
      ...extra,
    },
    { gatewayId: 'gw-jt', dataDir: mkdtempSync(path.join(dir, 'u-')), log },
  );
  const sinks: EdgeSinks = {
    async incident(d, images = []) {
      drafts.push({ d, images });
    },
    telemetry(_id, pts) {
      points.push(...pts);
    },
  };
  await unit.start(sinks);
  open.push(unit);
  return { unit, drafts, points, port: unit.address!.port };
}

function terminal(h: Harness, o: Partial<Parameters<typeof startJt808Terminal>[0]> = {}): Jt808Terminal {
  const t = startJt808Terminal({
    host: '127.0.0.1',
    port: h.port,
    phone: '13907340002',
    plate: '湘D·A8808',
    intervalMs: 5,
    ...o,
  });
  open.push(t);
  return t;
}

const req = (verb: CommandRequest['verb'], deviceId: string, text?: string): CommandRequest => ({
  v: 1,
  requestId: `r-${verb}`,
  verb,
  deviceId,
  sentAt: new Date().toISOString(),
  text,
});

const jt = (h: Harness) => h.unit.devices().find((d) => d.id === 'jt808-endpoint')!.counters!;

/** A raw TCP client that collects the platform's 0x8001 results. */
async function rawClient(port: number) {
  const sock: Socket = connect({ host: '127.0.0.1', port });
  await new Promise((r) => sock.once('connect', r));
  const results: { id: number; body: Buffer }[] = [];
  const sp = new FrameSplitter();
  sock.on('data', (c) =>
    sp.push(
      c,
      (seg) => {
        const f = parseFrame(seg);
        results.push({ id: f.header.msgId, body: f.body });
      },
      () => undefined,
    ),
  );
  sock.on('error', () => undefined);
  open.push({ stop: async () => void sock.destroy() });
  return { sock, results };
}

describe('JT/T 808 endpoint', () => {
  it('speeding terminal: registers, authenticates, one overspeed incident with the zone limit; a blind-area batch does not go back', async () => {
    const h = await harness();
    const t = terminal(h, { scenario: 'speeding', blindArea: { from: 20, count: 15, after: 10 } });
    await t.ready;
    expect(t.registration?.result).toBe(0);
    await t.done;
    await until(
      () =>
        jt(h).frames! > 0 &&
        h.unit.devices().find((d) => d.id === 'hy-truck-2-jt808')?.counters?.lateBlindArea === 15,
      'the blind-area batch',
      10_000,
    );
    await h.unit.stop();
    const inc = h.drafts.map((x) => x.d);
    for (const d of inc)
      expect(validate(Incident, { ...d, v: 1, gatewayId: 'gw-jt', evidence: [] }).ok).toBe(true);
    const starts = inc.filter((d) => d.lifecycle === 'new');
    expect(starts.map((d) => d.kind)).toEqual(['overspeed']);
    expect(starts[0]!.deviceId).toBe('hy-truck-2');
    expect(starts[0]!.details).toMatchObject({ plate: '湘D·A8808', limitKmh: 30 });
    const dev = h.unit.devices().find((d) => d.id === 'hy-truck-2-jt808')!;
    expect(dev.counters).toMatchObject({ blindArea: 15, lateBlindArea: 15, outOfOrder: 15 });
    // the re-sent stretch reached the track, marked
    expect(h.points.filter((p) => p.signals?.blindArea === true)).toHaveLength(15);
  });

  it('the cover and the dump body come from the vendor mapping: IO bits (2013) and a vendor item (2019, matched by plate)', async () => {
    const h = await harness();
    const cover = terminal(h, { scenario: 'cover' });
    const dump = terminal(h, { scenario: 'dumping', phone: '19900000003', plate: '湘D·B2019', v2019: true });
    await Promise.all([cover.ready, dump.ready]);
    await Promise.all([cover.done, dump.done]);
    await h.unit.stop();
    const kinds = (id: string) =>
      h.drafts.filter((x) => x.d.deviceId === id && x.d.lifecycle === 'new').map((x) => x.d.kind);
    expect(kinds('hy-truck-2')).toEqual(['cover_open']);
    expect(kinds('hy-truck-3')).toEqual(['dumping_outside_site']);
  });

  it('where, message and snapshot become 0x8201, 0x8300 and 0x8801 + a sub-packaged 0x0801 JPEG', async () => {
    const h = await harness();
    const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080' } })
      .jpeg({ quality: 90 })
      .toBuffer();
    expect(jpeg.length).toBeGreaterThan(1000); // more than one sub-package
    const t = terminal(h, { scenario: 'clean', loop: true, intervalMs: 50, jpeg });
    await t.ready;
    const where = await h.unit.command(req('where', 'hy-truck-2'));
    expect(where).toMatchObject({ vehicleId: 'hy-truck-2', plate: '湘D·A8808', fixed: true });
    expect((where!.position as { lat: number }).lat).toBeGreaterThan(30);
    const msg = await h.unit.command(req('message', 'hy-truck-2', '请减速慢行 slow down'));
    expect(msg).toMatchObject({ delivered: true });
    expect(t.texts).toEqual(['请减速慢行 slow down']);
    const snap = await h.unit.command(req('snapshot', 'hy-truck-2'));
    const img = Buffer.from((snap!.image as { base64: string }).base64, 'base64');
    expect(img.equals(jpeg)).toBe(true);
    expect((await sharp(img).metadata()).format).toBe('jpeg');
    expect(t.received['0x8800']).toBe(1);
    // not ours: another unit may own it
    expect(await h.unit.command(req('where', 'someone-else'))).toBeUndefined();
  });

  it('a photo taken while an incident is open becomes its evidence', async () => {
    const h = await harness();
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c00000' } })
      .jpeg()
      .toBuffer();
    // laps: on a loaded machine the photo may miss a short episode; another lap makes another one
    const t = terminal(h, { scenario: 'speeding', jpeg, intervalMs: 30, loop: true });
    await t.ready;
    await until(
      () => h.drafts.some((x) => x.images.length > 0),
      'an incident revision with the photo',
      20_000,
    );
    const withPhoto = h.drafts.find((x) => x.images.length > 0)!;
    expect(withPhoto.d).toMatchObject({ kind: 'overspeed', lifecycle: 'update' });
    expect(Buffer.from(withPhoto.images[0]!.bytes).equals(jpeg)).toBe(true);
  });

  it('a terminal that does not answer is a no-answer error (an equipment finding at central); one not connected too', async () => {
    const h = await harness();
    await expect(h.unit.command(req('where', 'hy-truck-2'))).rejects.toMatchObject({
      deviceNoAnswer: true,
      message: /not connected/,
    });
    const t = terminal(h, { scenario: 'clean', loop: true, intervalMs: 50, answer: false });
    await t.ready;
    await expect(h.unit.command(req('where', 'hy-truck-2'))).rejects.toMatchObject({
      deviceNoAnswer: true,
      message: /did not answer 0x8201 within 2000 ms/,
    });
  });

  it('an unlisted terminal is refused at registration (0x8100 result 2); a wrong auth code gets 0x8001 result 1', async () => {
    const h = await harness();
    const stranger = terminal(h, { phone: '18800000000', plate: '粤B00000' });
    await expect(stranger.ready).rejects.toThrow(/registration refused: result 2/);
    const c = await rawClient(h.port);
    c.sock.write(
      encodeFrame({ msgId: MSG.auth, phone: '13907340002', serial: 1 }, Buffer.from('not-the-code')),
    );
    await until(() => c.results.length, 'the auth answer', 5000);
    expect(decodeResponse(c.results[0]!.body)).toMatchObject({ replyId: MSG.auth, result: 1 });
    expect(jt(h)).toMatchObject({ registrationsRefused: 1, authFailures: 1 });
  });

  it('hostile input: each counted and answered where the protocol has an answer; the honest terminal keeps reporting', async () => {
    const h = await harness({ authTimeoutS: 1, subpackageTimeoutS: 1 });
    const honest = terminal(h, { scenario: 'clean', loop: true, intervalMs: 20 });
    await honest.ready;
    // an authenticated hostile terminal (the same phone would replace the honest one: another vehicle)
    const bad = terminal(h, { phone: '19900000003', plate: '湘D·B2019', loop: true, intervalMs: 1000 });
    await bad.ready;
    const frames = () => h.unit.devices().find((d) => d.id === 'hy-truck-2-jt808')!.counters!.location ?? 0;
    const before = frames();
    const phone = '019900000003';
    const good = encodeFrame({ msgId: MSG.heartbeat, phone, serial: 9 });
    const badSum = Buffer.from(good);
    badSum[badSum.length - 2]! ^= 0x55;
    const unknown = encodeFrame({ msgId: 0x0f0f, phone, serial: 10 }, Buffer.from([1, 2, 3]));
    const rawFlag = Buffer.from(good);
    rawFlag[5] = 0x7e;
    const cut = good.subarray(0, 8);
    const huge = Buffer.concat([Buffer.from([0x7e]), Buffer.alloc(5000, 0x31)]);
    const subpart = encodeFrame(
      { msgId: MSG.location, phone, serial: 11, packages: { total: 3, index: 1 } },
      Buffer.alloc(100),
    );
    const tooMany = encodeFrame(
      { msgId: MSG.location, phone, serial: 12, packages: { total: 60000, index: 1 } },
      Buffer.alloc(10),
    );
    bad.socket.write(
      Buffer.concat([badSum, unknown, rawFlag, cut, huge, Buffer.from([0x7e]), subpart, tooMany, good]),
    );
    // the timeout is counted before its 0x8003 reaches the terminal: wait for both
    await until(
      () => jt(h).subpackageTimeouts === 1 && bad.received['0x8003'] === 1,
      'the sub-package timeout and its re-send request',
      10_000,
    );
    const c = jt(h);
    expect(c.badChecksum).toBeGreaterThanOrEqual(1);
    expect(c.unknownId).toBe(1);
    expect(c['id 0x0f0f']).toBe(1);
    expect(c.tooLong).toBe(1);
    expect(c.subpackagesRefused).toBe(1);
    expect((c.tooShort ?? 0) + (c.lengthMismatch ?? 0) + (c.badChecksum ?? 0)).toBeGreaterThanOrEqual(3);
    const results = (id: number) => bad.responses.filter((r) => r.replyId === id).map((r) => r.result);
    expect(results(0x0f0f)).toEqual([3]); // unsupported
    expect(results(MSG.heartbeat)).toContain(2); // the bad checksum: message error
    expect(results(MSG.heartbeat)).toContain(0); // the good heartbeat after all that
    expect(bad.received['0x8003']).toBe(1); // asked to re-send the missing parts
    // a terminal that never authenticates is closed and counted
    const idle = await rawClient(h.port);
    idle.sock.write(encodeFrame({ msgId: MSG.heartbeat, phone: '1', serial: 1 }));
    await until(() => idle.sock.destroyed || idle.sock.readableEnded, 'the unauthenticated close', 10_000);
    expect(jt(h)).toMatchObject({ authTimeouts: 1, unauthenticated: 1 });
    expect(decodeResponse(idle.results[0]!.body).result).toBe(1);
    // the honest one went on
    await until(() => frames() > before + 20, 'more honest reports', 10_000);
  });

  it('10,000 connections opened and dropped: all counted, none kept, the honest terminal unaffected', async () => {
    const h = await harness();
    const honest = terminal(h, { scenario: 'clean', loop: true, intervalMs: 20 });
    await honest.ready;
    const before = jt(h).connections!;
    for (let batch = 0; batch < 20; batch++) {
      const socks = await Promise.all(
        Array.from(
          { length: 500 },
          () =>
            new Promise<Socket>((res) => {
              const s = connect({ host: '127.0.0.1', port: h.port }, () => res(s));
              s.on('error', () => res(s));
            }),
        ),
      );
      for (const s of socks) s.destroy();
    }
    await until(
      () => jt(h).connections! - before >= 10_000 && jt(h).open === 1,
      'every connection counted and closed',
      30_000,
    );
    const dev = h.unit.devices().find((d) => d.id === 'hy-truck-2-jt808')!;
    expect(dev.online).toBe(true);
    const n = dev.counters!.location!;
    await until(
      () => (h.unit.devices().find((d) => d.id === 'hy-truck-2-jt808')!.counters!.location ?? 0) > n,
      'reports after the storm',
      5000,
    );
  });

  it('a terminal whose heartbeats stop, or whose session is lost, raises device_offline (93.01) and ends it when back', async () => {
    const h = await harness({ offlineAfterS: 5, deviceOfflineAfterS: 1 });
    const offline = () =>
      h.drafts.map((x) => x.d).filter((d) => d.kind === 'device_offline' && d.deviceId === 'hy-truck-2');
    const dev = () => h.unit.devices().find((d) => d.id === 'hy-truck-2-jt808')!;
    // the drive ends, no heartbeats: connected but silent
    const silent = terminal(h, { scenario: 'clean' });
    await silent.ready;
    await silent.done;
    expect(dev().online).toBe(true);
    expect(offline()).toHaveLength(0);
    await until(() => offline().length === 1, 'device_offline after the heartbeats stopped', 20_000);
    const first = offline()[0]!;
    expect(first.lifecycle).toBe('new');
    expect(validate(Incident, { ...first, v: 1, gatewayId: 'gw-jt', evidence: [] }).ok).toBe(true);
    expect(first.details).toMatchObject({ device: 'jt808', deviceId: 'hy-truck-2-jt808' });
    expect(String(first.details!.error)).toMatch(/no message for more than 5 s|terminal not connected/);
    expect(dev().online).toBe(false);
    await silent.stop();

    // back with heartbeats: the same incident ends
    const back = terminal(h, { scenario: 'clean', heartbeatMs: 300 });
    await back.ready;
    await until(() => offline().length === 2, 'device_offline ended when the terminal is back', 20_000);
    const end = offline()[1]!;
    expect(end.lifecycle).toBe('end');
    expect(end.id).toBe(first.id);
    expect(dev().online).toBe(true);

    // the TCP session is lost: a new episode, naming why
    back.socket.destroy();
    await back.stop();
    await until(() => offline().length === 3, 'device_offline after the session was lost', 20_000);
    const lost = offline()[2]!;
    expect(lost.lifecycle).toBe('new');
    expect(lost.id).not.toBe(first.id);
    expect(lost.details!.error).toBe('terminal not connected');
    // stopping the gateway ends what is open
    await h.unit.stop();
    expect(offline().at(-1)).toMatchObject({ lifecycle: 'end', id: lost.id });
  });
});
