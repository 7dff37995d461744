/**
 * @module test/support/tcp-proxy
 * A loopback TCP proxy (node:net) in front of a server, which a test can cut and restore: the
 * fault tests use it to take PostgreSQL away from central without stopping the machine's own
 * PostgreSQL service (other tests use it). `cut()` resets every proxied connection and resets
 * each new one at once until `restore()`, which is what a client sees of a server gone away.
 * @example
 *   const proxy = await startTcpProxy(5432);
 *   const url = `postgres://postgres@127.0.0.1:${proxy.port}/db`;
 *   proxy.cut(); ...; proxy.restore();
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** connections proxied so far */
  readonly connections: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let down = false;
  let connections = 0;
  const server = createServer((client) => {
    if (down) return void client.resetAndDestroy();
    connections++;
    const upstream = createConnection({ port: targetPort, host: targetHost });
    open.add(client);
    open.add(upstream);
    const end = () => {
      for (const s of [client, upstream]) {
        open.delete(s);
        if (!s.destroyed) s.resetAndDestroy();
      }
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  const port = (server.address() as { port: number }).port;
  const cut = () => {
    down = true;
    for (const s of open) s.resetAndDestroy();
    open.clear();
  };
  return {
    port,
    get connections() {
      return connections;
    },
    cut,
    restore() {
      down = false;
    },
    close() {
      cut();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
