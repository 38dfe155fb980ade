import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

describe('startTcpProxy', () => {
  let target: Server;
  let proxy: TcpProxy;

  afterEach(async () => {
    await proxy?.close();
    target?.closeAllConnections();
    await new Promise<void>((resolve) => (target ? target.close(() => resolve()) : resolve()));
  });

  async function start(handler: Parameters<typeof createServer>[1]) {
    target = createServer(handler);
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    proxy = await startTcpProxy('127.0.0.1', (target.address() as AddressInfo).port);
  }

  const get = (path = '/') => fetch(`http://${proxy.address}${path}`, { headers: { connection: 'close' } });

  it('forwards while up, refuses while down, and forwards again after up', async () => {
    await start((req, res) => res.end(`hello ${req.url}`));
    expect(await (await get('/a')).text()).toBe('hello /a');

    proxy.down();
    await expect(get('/b')).rejects.toThrow();
    // The request's connection, and the first one if the client kept it alive.
    expect(proxy.refused).toBeGreaterThanOrEqual(1);

    proxy.up();
    expect(await (await get('/c')).text()).toBe('hello /c');
  });

  it('cuts a request that is in flight when it goes down', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    // The target never answers; only the cut can end the request.
    await start(() => arrived());
    const pending = get('/slow');
    await requestArrived;
    proxy.down();
    await expect(pending).rejects.toThrow();
    expect(proxy.refused).toBe(1);
  });
});
