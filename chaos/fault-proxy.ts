/**
 * An HTTP proxy in front of the real embedding server that misbehaves on purpose when armed: it answers a
 * share of embedding requests with 429 + Retry-After or 500, holds some without answering until
 * the client gives up (past its timeout), and once cuts one vector of an answer short (a wrong
 * dimension). Everything else goes through untouched, so documents still get real embeddings.
 * Harness tooling only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The faults a request can get instead of an answer. */
export type Fault = 'rateLimited' | 'serverError' | 'hang';

/** Shares of embedding requests (0..1) that get each fault; the rest are forwarded. */
export interface FaultPlan {
  rateLimited: number;
  /** Seconds the 429 answers ask the client to wait. */
  retryAfterSeconds: number;
  serverError: number;
  /** Held without an answer until the client closes the connection (its timeout). */
  hang: number;
  /** Faults the first embedding requests get, in order, so every kind happens even in a short run. */
  leadWith?: Fault[];
  /**
   * Picks the one input whose vector comes back a dimension short: in the first forwarded request
   * with inputs this accepts, a random one of them. Absent: no such fault.
   */
  wrongDimensionFor?: (input: string) => boolean;
}

/** What the proxy did, for the results table. */
export interface FaultCounts {
  forwarded: number;
  rateLimited: number;
  serverError: number;
  hung: number;
  wrongDimension: number;
}

/**
 * A running proxy; `baseURL` ends in `/v1` like the upstream's. It starts disarmed (everything
 * forwarded), so the workers can use it from the start and a scenario arms it when its turn comes.
 */
export interface FaultProxy {
  baseURL: string;
  /** What the proxy did since it was last armed. */
  readonly counts: FaultCounts;
  /** The input whose vector was cut short, once it happened. */
  readonly wrongDimensionInput: string | undefined;
  /** Starts injecting `plan`'s faults (counts start from zero); `random` is injectable for tests. */
  arm(plan: FaultPlan, random?: () => number): void;
  /** Forwards everything again; requests it holds stay held until their clients give up. */
  disarm(): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function inputsOf(payload: Buffer): string[] {
  try {
    const input = (JSON.parse(payload.toString('utf8')) as { input?: unknown }).input;
    return Array.isArray(input) ? input.map(String) : [String(input)];
  } catch {
    return [];
  }
}

function answerJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const zeroCounts = (): FaultCounts => ({ forwarded: 0, rateLimited: 0, serverError: 0, hung: 0, wrongDimension: 0 });

/** Starts the proxy, disarmed, on a free loopback port in front of `upstreamBaseURL` (ending in `/v1`). */
export async function startFaultProxy(upstreamBaseURL: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamBaseURL.endsWith('/') ? upstreamBaseURL : `${upstreamBaseURL}/`);
  let counts = zeroCounts();
  let armed: { plan: FaultPlan; random: () => number; lead: Fault[] } | undefined;
  let wrongDimensionInput: string | undefined;
  const held = new Set<ServerResponse>();

  /** Which fault, if any, this request gets. */
  const pick = ({ plan, random, lead }: NonNullable<typeof armed>): Fault | undefined => {
    if (lead.length > 0) return lead.shift();
    const roll = random();
    if (roll < plan.rateLimited) return 'rateLimited';
    if (roll < plan.rateLimited + plan.serverError) return 'serverError';
    if (roll < plan.rateLimited + plan.serverError + plan.hang) return 'hang';
    return undefined;
  };

  const server: Server = createServer(async (req, res) => {
    const payload = await readBody(req);
    const isEmbedding = req.method === 'POST' && (req.url ?? '').endsWith('/embeddings');
    const plan = armed?.plan;
    const fault = armed && isEmbedding ? pick(armed) : undefined;
    if (fault === 'rateLimited') {
      counts.rateLimited += 1;
      return answerJson(res, 429, { error: { message: 'rate limited (injected)' } }, { 'retry-after': String(plan?.retryAfterSeconds ?? 1) });
    }
    if (fault === 'serverError') {
      counts.serverError += 1;
      return answerJson(res, 500, { error: { message: 'server error (injected)' } });
    }
    if (fault === 'hang') {
      // No answer at all: only the client's own timeout ends this request.
      counts.hung += 1;
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }

    const target = new URL((req.url ?? '/').replace(/^\/v1\//, ''), upstream);
    let answer: Response;
    try {
      answer = await fetch(target, { method: req.method, headers: { 'content-type': 'application/json' }, body: req.method === 'POST' ? payload.toString('utf8') : undefined });
    } catch (err) {
      return answerJson(res, 502, { error: { message: `upstream unreachable: ${String(err)}` } });
    }
    let text = await answer.text();
    const cutFor = plan?.wrongDimensionFor;
    if (armed && cutFor && isEmbedding && answer.ok && wrongDimensionInput === undefined) {
      const inputs = inputsOf(payload);
      const candidates = inputs.flatMap((input, at) => (cutFor(input) ? [at] : []));
      if (candidates.length > 0) {
        const parsed = JSON.parse(text) as { data: { index?: number; embedding: number[] }[] };
        const at = candidates[Math.floor(armed.random() * candidates.length)];
        const victim = parsed.data.find((d, position) => (d.index ?? position) === at)!;
        victim.embedding = victim.embedding.slice(0, -1);
        text = JSON.stringify(parsed);
        counts.wrongDimension += 1;
        wrongDimensionInput = inputs[at];
      }
    }
    counts.forwarded += 1;
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    get counts() {
      return { ...counts };
    },
    get wrongDimensionInput() {
      return wrongDimensionInput;
    },
    arm(plan, random = Math.random) {
      counts = zeroCounts();
      wrongDimensionInput = undefined;
      armed = { plan, random, lead: [...(plan.leadWith ?? [])] };
    },
    disarm() {
      armed = undefined;
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
