/**
 * The core promise end to end: five real documents uploaded over HTTP are parsed, chunked,
 * embedded by the real model and indexed in LanceDB by real workers under a real Temporal
 * server; the SSE stream reports progress to `done`; search finds the right document; the
 * runs are findable by search attributes.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { ensurePythonTools } from '../scripts/services/python-tools.js';
import { testEnv } from './env.js';
import type { BatchView } from '../core/contracts.js';
import { fiveFormatBatch } from './fixtures/documents.js';
import { readSse, uploadBatch, viewFromFrames, waitForBatch } from './http.js';
import { startStack, type Stack } from './stack.js';

describe('ingesting a batch end to end', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('indexes PDF, DOCX, XLSX, CSV and TXT, streams progress to done, and finds them by meaning', async () => {
    const files = fiveFormatBatch();
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, files);
    expect(upload.status).toBe(202);
    expect(upload.body.documents).toHaveLength(5);
    expect(upload.body.documents.every((d: { status: string }) => d.status === 'queued')).toBe(true);
    const batchId: string = upload.body.batchId;

    const frames = await readSse(`${stack.baseUrl}/api/batches/${batchId}/events`, { authorization: `Bearer ${stack.apiKey}` }, (f) => f.event === 'done');
    expect(frames.at(-1)?.event).toBe('done');
    expect(frames[0].event).toBe('snapshot');
    const progress = frames.filter((f) => f.event === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    const seqs = progress.map((f) => Number(f.id));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);

    const view = (await waitForBatch(stack.baseUrl, stack.apiKey, batchId)) as BatchView;
    expect(view.status).toBe('completed');
    // Snapshot plus deltas end exactly where the catalog's record is.
    expect(viewFromFrames(frames)).toEqual(view);
    for (const doc of view.documents) {
      expect(doc.status, `${doc.filename}: ${JSON.stringify(doc.error)}`).toBe('indexed');
      expect(doc.chunks).toBeGreaterThan(0);
      expect(await stack.vectors.countDocument('demo', doc.documentId)).toBe(doc.chunks);
    }
    // Where the files went: the five uploads are stored, and with an S3 store (S3_* set) nothing
    // at all was written under DATA_DIR/files.
    const stored: string[] = [];
    for await (const blob of stack.blobs.listBlobs()) stored.push(blob.key);
    expect(stored).toHaveLength(5);
    expect(existsSync(path.join(stack.dataDir, 'files'))).toBe(!stack.onObjectStore);

    const search = await fetch(`${stack.baseUrl}/api/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'who records the ships passing by the lighthouse?', limit: 3 }),
    });
    expect(search.status).toBe(200);
    const { results } = (await search.json()) as { results: { filename: string; text: string; page: number | null }[] };
    expect(results[0].filename).toBe('notes.docx');
    expect(results[0].text).toContain('lighthouse keeper');

    const pdfHit = await fetch(`${stack.baseUrl}/api/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'solar panel supply chain', limit: 1 }),
    });
    const pdfResults = ((await pdfHit.json()) as { results: { filename: string; page: number | null }[] }).results;
    expect(pdfResults[0]).toMatchObject({ filename: 'report.pdf', page: 2 });

    // Findable by tenant and batch through search attributes: the batch run and its shard.
    const listRuns = async () => {
      const found = [];
      for await (const run of stack.client.workflow.list({ query: `DocflowTenant = 'demo' AND DocflowBatch = '${batchId}'` })) found.push(run);
      return found;
    };
    let runs = await listRuns();
    for (let i = 0; i < 20 && runs.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 250)); // visibility is eventually consistent
      runs = await listRuns();
    }
    expect(runs.map((r) => r.type).sort()).toEqual(['ingestBatchV2', 'ingestShardV2']);

    if (process.env.RECORD_HISTORIES === '1') {
      const dir = path.resolve(import.meta.dirname, '../workflows/__histories__');
      mkdirSync(dir, { recursive: true });
      // The CLI's JSON export is the format Worker.runReplayHistories reads (and what an audit export uses).
      const { temporalBin } = await ensurePythonTools();
      for (const run of runs) {
        const json = execFileSync(
          temporalBin,
          ['workflow', 'show', '--workflow-id', run.workflowId, '--run-id', run.runId, '--output', 'json', '--address', testEnv().TEMPORAL_ADDRESS],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        writeFileSync(path.join(dir, `${run.type}.json`), json);
      }
    }
  });

  it('answers health with every dependency up', async () => {
    const res = await fetch(`${stack.baseUrl}/api/health`);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(Object.keys(body.checks).sort()).toEqual(['catalog', 'embedder', 'fileStore', 'temporal', 'vectorStore']);
  });

  it('refuses requests without a valid key', async () => {
    const res = await fetch(`${stack.baseUrl}/api/batches/anything`, { headers: { authorization: 'Bearer dfk_not-a-real-key-at-all' } });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.requestId).toBeTruthy();
  });
});
