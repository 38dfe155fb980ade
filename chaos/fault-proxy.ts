/**
 * An HTTP proxy in front of the real embedding server that misbehaves on purpose: it answers
 * a share of requests with 429 + Retry-After or 500, holds some past the client's timeout, and
 * once returns a vector of the wrong dimension. Everything else goes through untouched, so the
 * documents still get real embeddings. Harness tooling only.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Shares of requests (0..1) that get each fault; the rest are forwarded. */
export interface FaultPlan {
  rateLimited: number;
  serverError: number;
  /** Held this long before the proxy drops the connection (longer than the client's timeout). */
  hang: number;
  hangMs: number;
  /** How many embedding answers get one vector cut short (a wrong dimension). */
  wrongDimensionAnswers: number;
}

/** What the proxy did, for the results table. */
export interface FaultCounts {
  forwarded: number;
  rateLimited: number;
  serverError: number;
  hung: number;
  wrongDimension: number;
}

/** A running proxy; `baseURL` ends in `/v1` like the upstream's. */
export interface FaultProxy {
  baseURL: string;
  counts: FaultCounts;
  /** Turns the faults off (everything forwarded) or back on. */
  setEnabled(on: boolean): void;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Starts the proxy on a free loopback port in front of `upstreamBaseURL` (ending in `/v1`). */
export async function startFaultProxy(upstreamBaseURL: string, plan: FaultPlan, random: () => number = Math.random): Promise<FaultProxy> {
  const upstream = new URL(upstreamBaseURL.endsWith('/') ? upstreamBaseURL : `${upstreamBaseURL}/`);
  const counts: FaultCounts = { forwarded: 0, rateLimited: 0, serverError: 0, hung: 0, wrongDimension: 0 };
  let enabled = true;
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer(async (req, res) => {
    const payload = await body(req);
    const isEmbedding = req.method === 'POST' && (req.url ?? '').endsWith('/embeddings');
    if (enabled && isEmbedding) {
      const roll = random();
      if (roll < plan.rateLimited) {
        counts.rateLimited += 1;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ error: { message: 'slow down (injected)' } }));
        return;
      }
      if (roll < plan.rateLimited + plan.serverError) {
        counts.serverError += 1;
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'upstream exploded (injected)' } }));
        return;
      }
      if (roll < plan.rateLimited + plan.serverError + plan.hang) {
        counts.hung += 1;
        const timer = setTimeout(() => {
          timers.delete(timer);
          res.destroy();
        }, plan.hangMs);
        timers.add(timer);
        return;
      }
    }
    const target = new URL((req.url ?? '/').replace(/^\/v1\//, ''), upstream);
    let answer: Response;
    try {
      answer = await fetch(target, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'POST' ? payload.toString('utf8') : undefined });
    } catch (err) {
      res.writeHead(502).end(String(err));
      return;
    }
    let text = await answer.text();
    if (enabled && isEmbedding && answer.ok && counts.wrongDimension < plan.wrongDimensionAnswers) {
      const parsed = JSON.parse(text) as { data: { embedding: number[] }[] };
      if (parsed.data?.[0]?.embedding?.length > 1) {
        parsed.data[0].embedding = parsed.data[0].embedding.slice(0, -1);
        text = JSON.stringify(parsed);
        counts.wrongDimension += 1;
      }
    }
    counts.forwarded += 1;
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    counts,
    setEnabled: (on) => {
      enabled = on;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
