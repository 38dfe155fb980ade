/**
 * An OpenAI-compatible embeddings endpoint for the benchmark: `POST /v1/embeddings` answers
 * deterministic unit vectors (seeded by a hash of each input, so the same text always gets the
 * same vector) after a fixed latency per request, and `GET /v1/models` names its one model. It
 * stands for an endpoint that is not the bottleneck (0 ms: a GPU server; 20 ms: a hosted API),
 * so the benchmark measures docflow, not a model. The latency can be changed between passes.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const LOOPBACK_MODEL = 'docflow-bench-loopback';

export interface LoopbackEmbedder {
  baseURL: string;
  dimensions: number;
  /** Latency added to every embeddings request from now on. */
  setLatency(ms: number): void;
  /** Requests and inputs answered so far. */
  stats(): { requests: number; inputs: number };
  close(): Promise<void>;
}

/** A unit vector of `dimensions` floats derived from the text only (xorshift32 seeded by SHA-1). */
export function vectorFor(text: string, dimensions: number): number[] {
  let state = createHash('sha1').update(text).digest().readUInt32LE(0) || 1;
  const out = new Array<number>(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state / 0xffffffff - 0.5;
    norm += out[i] * out[i];
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) out[i] = Math.round(out[i] * scale * 1e6) / 1e6;
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A bag-of-words unit vector: each lower-cased word adds 1 to the component its hash picks. Texts
 * sharing words point the same way, so dense search over these vectors finds documents by their
 * words: a second, entirely different "model" for tests that switch a tenant's embedding model.
 */
export function wordVector(text: string, dimensions: number): number[] {
  const out = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    out[createHash('sha1').update(word).digest().readUInt32LE(0) % dimensions] += 1;
  }
  const norm = Math.sqrt(out.reduce((a, v) => a + v * v, 0)) || 1;
  return out.map((v) => Math.round((v / norm) * 1e6) / 1e6);
}

export interface LoopbackOptions {
  latencyMs?: number;
  dimensions?: number;
  /** The model name it answers to (default: the benchmark's). */
  model?: string;
  /** How a text becomes a vector (default: vectorFor, seeded by the whole text). */
  vectorOf?: (text: string, dimensions: number) => number[];
  /** Inputs answered with a 400, as an endpoint refusing them would (tests of refusals). */
  refuses?: (text: string) => boolean;
}

/** Starts the endpoint on a free loopback port. */
export async function startLoopbackEmbedder(options: LoopbackOptions = {}): Promise<LoopbackEmbedder> {
  const dimensions = options.dimensions ?? 384;
  const model = options.model ?? LOOPBACK_MODEL;
  const vectorOf = options.vectorOf ?? vectorFor;
  let latencyMs = options.latencyMs ?? 0;
  const counters = { requests: 0, inputs: 0 };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === '/v1/models') {
        return reply(200, { object: 'list', data: [{ id: model, object: 'model', owned_by: 'docflow-bench' }] });
      }
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') return reply(404, { error: { message: 'not found' } });
      let inputs: string[];
      try {
        const body = JSON.parse(await readBody(req)) as { input?: unknown };
        inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input.map(String) : [];
      } catch {
        return reply(400, { error: { message: 'invalid JSON' } });
      }
      if (inputs.length === 0) return reply(400, { error: { message: 'input must not be empty' } });
      if (options.refuses && inputs.some(options.refuses)) return reply(400, { error: { message: 'this input is refused' } });
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      counters.requests++;
      counters.inputs += inputs.length;
      const tokens = inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0);
      reply(200, {
        object: 'list',
        model,
        data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: vectorOf(text, dimensions) })),
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    dimensions,
    setLatency(ms) {
      latencyMs = ms;
    },
    stats: () => ({ ...counters }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
