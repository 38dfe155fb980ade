/**
 * Durability under a hard crash: a worker process is SIGKILLed in the middle of a batch and a
 * new one takes over. Every document must end indexed exactly once: no duplicates, no gaps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchView } from '../core/contracts.js';
import { makeText } from './fixtures/documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { startStack, type Stack } from './stack.js';

const REPO = path.resolve(import.meta.dirname, '..');

function startWorkerProcess(env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'worker/main.ts'), '--queue', 'all'], {
    env: { ...env, PARSE_CONCURRENCY: '2', INDEX_CONCURRENCY: '4' },
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', () => undefined);
  child.stderr?.on('data', (d) => process.stderr.write(`[worker ${child.pid}] ${d}`));
  return child;
}

async function getView(stack: Stack, batchId: string): Promise<BatchView> {
  const res = await fetch(`${stack.baseUrl}/api/batches/${batchId}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
  return (await res.json()) as BatchView;
}

describe('a worker killed mid-batch', () => {
  let stack: Stack;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    stack = await startStack({ withoutWorkers: true, fanOut: { documentsInFlight: 4, chunksPerStep: 4 } });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await stack?.close();
  });

  it('completes on a new worker with every document indexed once', async () => {
    const files = Array.from({ length: 16 }, (_, i) => ({
      name: `doc-${i}.txt`,
      bytes: makeText(Array.from({ length: 10 }, (_, p) => `Document ${i} paragraph ${p} about subject ${i * 10 + p}. ${'steady words keep coming '.repeat(20)}`).join('\n\n')),
    }));
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, files);
    expect(upload.status).toBe(202);
    const batchId: string = upload.body.batchId;

    const first = startWorkerProcess(stack.workerEnv);
    children.push(first);
    // Kill once some documents are done and others are mid-flight.
    const deadline = Date.now() + 180_000;
    for (;;) {
      const view = await getView(stack, batchId);
      const indexed = view.documents.filter((d) => d.status === 'indexed').length;
      const busy = view.documents.filter((d) => ['parsing', 'chunking', 'embedding'].includes(d.status)).length;
      if (indexed >= 2 && busy > 0) break;
      if (view.status !== 'running') throw new Error('the batch finished before the worker could be killed; make it bigger');
      if (Date.now() > deadline) throw new Error('no progress before the kill');
      await new Promise((r) => setTimeout(r, 100));
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    const second = startWorkerProcess(stack.workerEnv);
    children.push(second);
    const view = await waitForBatch(stack.baseUrl, stack.apiKey, batchId, 300_000);
    expect(view.status).toBe('completed');
    for (const doc of view.documents) {
      expect(doc.status, `${doc.filename}: ${JSON.stringify(doc.error)}`).toBe('indexed');
      const ids = await stack.vectors.listDocumentPointIds('demo', doc.documentId);
      expect(ids.length).toBe(doc.chunksTotal);
      expect(new Set(ids).size).toBe(ids.length);
    }
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
  });
});
