import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultPlan, type FaultProxy } from './fault-proxy.js';

/** An upstream that embeds every input as [1, 2, 3]. */
async function startUpstream(): Promise<{ server: Server; baseURL: string }> {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      if (req.url?.endsWith('/models')) return res.end(JSON.stringify({ data: [{ id: 'm' }] }));
      const inputs = (JSON.parse(raw) as { input: string[] }).input;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: inputs.map((_, index) => ({ index, embedding: [1, 2, 3] })) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

const NO_FAULTS: FaultPlan = { rateLimited: 0, serverError: 0, hang: 0, retryAfterSeconds: 1 };

describe('startFaultProxy', () => {
  let upstream: { server: Server; baseURL: string };
  let proxy: FaultProxy;

  afterEach(async () => {
    await proxy?.close();
    upstream.server.closeAllConnections();
    await new Promise<void>((resolve) => upstream.server.close(() => resolve()));
  });

  const embed = (inputs: string[], signal?: AbortSignal) =>
    fetch(`${proxy.baseURL}/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'm', input: inputs }), headers: { 'content-type': 'application/json' }, signal });

  it('answers 429 with Retry-After, 500, or forwards, by the roll', async () => {
    upstream = await startUpstream();
    const rolls = [0.1, 0.35, 0.9];
    proxy = await startFaultProxy(upstream.baseURL);
    expect((await embed(['a'])).status).toBe(200); // disarmed until armed
    proxy.arm({ ...NO_FAULTS, rateLimited: 0.3, serverError: 0.1, retryAfterSeconds: 2 }, () => rolls.shift() ?? 0.9);

    const limited = await embed(['a']);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await embed(['a'])).status).toBe(500);
    const ok = await embed(['a', 'b']);
    expect(await ok.json()).toEqual({
      data: [
        { index: 0, embedding: [1, 2, 3] },
        { index: 1, embedding: [1, 2, 3] },
      ],
    });
    // Other routes are never faulted.
    expect((await fetch(`${proxy.baseURL}/models`)).status).toBe(200);
    expect(proxy.counts).toEqual({ forwarded: 2, rateLimited: 1, serverError: 1, hung: 0, wrongDimension: 0 });
  });

  it('leads with the listed faults before rolling', async () => {
    upstream = await startUpstream();
    proxy = await startFaultProxy(upstream.baseURL);
    proxy.arm({ ...NO_FAULTS, leadWith: ['serverError', 'rateLimited'] });
    expect((await embed(['a'])).status).toBe(500);
    expect((await embed(['a'])).status).toBe(429);
    expect((await embed(['a'])).status).toBe(200);
  });

  it('holds a hung request until the client gives up', async () => {
    upstream = await startUpstream();
    proxy = await startFaultProxy(upstream.baseURL);
    proxy.arm({ ...NO_FAULTS, hang: 1 });
    await expect(embed(['a'], AbortSignal.timeout(200))).rejects.toThrow(/timeout|aborted/i);
    expect(proxy.counts.hung).toBe(1);
    proxy.disarm();
    expect((await embed(['a'])).status).toBe(200);
  });

  it('cuts one vector short, once, in the answer to the chosen request', async () => {
    upstream = await startUpstream();
    proxy = await startFaultProxy(upstream.baseURL);
    proxy.arm({ ...NO_FAULTS, wrongDimensionFor: (input) => input.includes('victim') }, () => 0.99);

    const untouched = (await (await embed(['bystander'])).json()) as { data: { embedding: number[] }[] };
    expect(untouched.data[0].embedding).toHaveLength(3);
    const cut = (await (await embed(['victim one', 'victim two', 'bystander'])).json()) as { data: { embedding: number[] }[] };
    expect(cut.data.map((d) => d.embedding.length)).toEqual([3, 2, 3]);
    expect(proxy.wrongDimensionInput).toBe('victim two');
    const again = (await (await embed(['victim three'])).json()) as { data: { embedding: number[] }[] };
    expect(again.data[0].embedding).toHaveLength(3);
    expect(proxy.counts.wrongDimension).toBe(1);
  });
});
