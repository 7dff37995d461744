/**
 * The models bucket with the production NATS permissions (deploy/auth.ts) on a real nats-server:
 * central publishes a version; a gateway's user fetches and verifies it without a single
 * permission violation, and cannot write into the bucket (a put is refused by the server, the
 * published model is unchanged).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishModel } from '../central/gateways/models.js';
import { centralPermissions, gatewayPermissions, renderAuthorization } from '../deploy/auth.js';
import { fetchModel } from '../edge/sync/models.js';
import { MODELS_BUCKET, modelObject } from '../protocol/index.js';
import { connectNats, type Link } from '../protocol/transport.js';
import { type NatsServerHandle, startNatsServer } from '../sim/nats-server.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const DETECTOR = resolve(import.meta.dirname, '../models/detector');
let server: NatsServerHandle;
let central: Link;
let gateway: Link;
const serverLog: string[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'cg-model-perm-'));

beforeAll(async () => {
  const hash = (p: string) => bcrypt.hashSync(p, 4);
  server = await startNatsServer({
    log: (l) => serverLog.push(l),
    extraConfig: renderAuthorization([
      { user: 'central', bcrypt: hash('c-secret-1'), permissions: centralPermissions() },
      { user: 'cp-a', bcrypt: hash('a-secret-1'), permissions: gatewayPermissions('cp-a') },
    ]),
  });
  central = await connectNats({
    servers: server.url,
    name: 'central',
    user: 'central',
    pass: 'c-secret-1',
    log: quiet,
  });
  gateway = await connectNats({
    servers: server.url,
    name: 'cp-a',
    user: 'cp-a',
    pass: 'a-secret-1',
    inboxPrefix: '_INBOX_cp-a',
    log: quiet,
  });
});
afterAll(async () => {
  await gateway?.close();
  await central?.close();
  await server?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('models bucket permissions', () => {
  it('a gateway reads a published model without violations and cannot write the bucket', async () => {
    const v = await publishModel(central, DETECTOR);
    const manifest = await fetchModel(gateway, dataDir, v);
    const onnx = readFileSync(join(manifest, '..', 'model.onnx'));
    expect(onnx.equals(readFileSync(join(DETECTOR, 'model.onnx')))).toBe(true);
    expect(serverLog.filter((l) => /Violation/i.test(l))).toEqual([]);

    // the gateway may not even look the bucket up; bound blindly, its write is refused by the server
    await expect(gateway.objects(MODELS_BUCKET)).rejects.toThrow(/Permissions Violation/);
    const os = await gateway.objects(MODELS_BUCKET, { bindOnly: true });
    await expect(os.put(modelObject(v.name, v.version, 'model.onnx'), new Uint8Array(64))).rejects.toThrow();
    expect(serverLog.some((l) => /Publish Violation/i.test(l) && l.includes(`$O.${MODELS_BUCKET}`))).toBe(
      true,
    );
    const still = await (await central.objects(MODELS_BUCKET)).get(
      modelObject(v.name, v.version, 'model.onnx'),
    );
    expect(Buffer.from(still as Uint8Array).equals(onnx)).toBe(true);
  });
});
