/**
 * Central serves HTTPS when given a certificate (made here with openssl, self-signed for
 * 127.0.0.1); a client trusting that certificate reads the API, plain HTTP gets nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Central, createCentral } from '../central/central.js';

const dir = mkdtempSync(join(tmpdir(), 'cg-https-'));
let central: Central | undefined;
afterAll(async () => {
  await central?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function httpsGet(url: string, ca: Buffer, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('security - HTTPS for central', () => {
  it('serves the API over TLS with the configured certificate', async () => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    central = await createCentral({ demo: true });
    const { url } = await central.start({ port: 0, tls: { certFile: cert, keyFile: key } });
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await httpsGet(`${url}/api/me`, readFileSync(cert), 'demo-operator');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ role: 'operator' });
    await expect(fetch(url.replace('https', 'http') + '/api/health')).rejects.toThrow();
  });
});
