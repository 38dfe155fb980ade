import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { findFreePorts, isPortOpen } from './ports.js';

describe('free ports', () => {
  it('hands out distinct ports that are free again once returned', async () => {
    const ports = await findFreePorts(12);
    expect(new Set(ports).size).toBe(12);
    for (const port of ports) expect(await isPortOpen(port)).toBe(false);
    // Each one can be bound by its new owner.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: ports[0] }, resolve));
    expect(await isPortOpen(ports[0])).toBe(true);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
