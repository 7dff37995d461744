import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { startNatsServer } from '../sim/nats-server.js';
import { spawnTs } from '../sim/processes.js';

const store = 'postgres://postgres@127.0.0.1:5432/cg_probe_year';
const sql = postgres(store, { max: 1 });
const ids = (await sql`select id from cases where state = 'reported' order by id limit 1500`).map(
  (r) => r.id,
);
await sql.end();
const nats = await startNatsServer();
const dataDir = mkdtempSync(join(tmpdir(), 'probe-'));
const { proc, match } = await spawnTs({
  name: 'central',
  script: 'dist/central/main.js',
  args: ['--port', '0', '--nats', nats.url, '--data', dataDir, '--demo', '--store', store],
  env: { LOG_LEVEL: 'warn', CG_API_RATE_PER_S: '1000000', CG_API_BURST: '1000000' },
  readyLine: /central listening on (http:\/\/\S+)/,
  readyTimeoutMs: 240000,
});
const url = match![1];
await new Promise((r) => setTimeout(r, 2000));
let i = 0;
const r = await autocannon({
  url,
  connections: 200,
  amount: ids.length,
  headers: { authorization: 'Bearer demo-operator', 'content-type': 'application/json' },
  requests: [
    {
      method: 'POST',
      setupRequest: (req) => ({
        ...req,
        path: `/api/cases/${ids[i++ % ids.length]}/actions/register`,
        body: '{}',
      }),
    },
  ],
});
console.log('non2xx', r.non2xx, JSON.stringify((r as any).statusCodeStats));
for (const l of proc.output.filter((l) => !l.startsWith('{')).slice(0, 30)) console.log(l.slice(0, 600));
await proc.stop();
await nats.dispose();
