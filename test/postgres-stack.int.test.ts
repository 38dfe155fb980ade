/**
 * The whole stack on the PostgreSQL catalog: a small batch uploaded over HTTP is processed by
 * real workers under the real Temporal server, and every catalog write (batch, documents,
 * outcomes, final status, duplicate detection, delete) lands in a real PostgreSQL database,
 * checked with SQL. Needs TEST_DATABASE_URL (skipped without it, failing under CI).
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPostgresCatalog } from '../adapters/postgres-catalog.js';
import type { BatchView } from '../core/contracts.js';
import { createScratchDatabase, describeWithPostgres, type ScratchDatabase } from '../scripts/services/postgres-scratch.js';
import { makeCsv, makeText } from './fixtures/documents.js';
import { uploadBatch, waitForBatch } from './http.js';
import { startStack, type Stack } from './stack.js';

describeWithPostgres('a batch end to end on the PostgreSQL catalog', (adminUrl) => {
  let db: ScratchDatabase;
  let stack: Stack;
  let sql: pg.Pool;
  beforeAll(async () => {
    db = await createScratchDatabase(adminUrl);
    stack = await startStack({ catalog: () => openPostgresCatalog({ connectionString: db.url, poolSize: 4 }) });
    sql = new pg.Pool({ connectionString: db.url, max: 1 });
  });
  afterAll(async () => {
    await sql?.end();
    await stack?.close();
    await db?.drop();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${stack.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.apiKey}`, ...(init.headers ?? {}) } });

  it('indexes the batch, records every outcome in PostgreSQL, detects duplicates and deletes', async () => {
    expect(await stack.catalog.health()).toEqual({ ok: true, detail: 'postgresql' });
    const files = [
      { name: 'bread.txt', bytes: makeText('To bake sourdough bread, feed the starter the night before and let the dough rise slowly.') },
      { name: 'harbour.txt', bytes: makeText('The harbour master counts the fishing boats that return before the storm.') },
      {
        name: 'cities.csv',
        bytes: makeCsv([
          ['city', 'country'],
          ['Lisbon', 'Portugal'],
          ['Turin', 'Italy'],
        ]),
      },
    ];
    const upload = await uploadBatch(stack.baseUrl, stack.apiKey, files);
    expect(upload.status).toBe(202);
    const batchId: string = upload.body.batchId;
    const view = (await waitForBatch(stack.baseUrl, stack.apiKey, batchId)) as BatchView;
    expect(view.status).toBe('completed');
    for (const doc of view.documents) expect(doc.status, `${doc.filename}: ${JSON.stringify(doc.error)}`).toBe('indexed');

    // The rows themselves, read with SQL rather than through the catalog under test.
    const batch = await sql.query('SELECT status, document_count, finished_at FROM batches WHERE id = $1', [batchId]);
    expect(batch.rows).toHaveLength(1);
    expect(batch.rows[0]).toMatchObject({ status: 'completed', document_count: 3 });
    expect(batch.rows[0].finished_at).toBeInstanceOf(Date);
    const docs = await sql.query('SELECT filename, status, chunks, finished_at FROM documents WHERE batch_id = $1 ORDER BY position', [batchId]);
    expect(docs.rows.map((r) => [r.filename, r.status])).toEqual([
      ['bread.txt', 'indexed'],
      ['harbour.txt', 'indexed'],
      ['cities.csv', 'indexed'],
    ]);
    for (const row of docs.rows) {
      expect(row.chunks).toBeGreaterThan(0);
      expect(Number(row.finished_at)).toBeGreaterThan(0);
    }

    const listed = (await (await api(`/api/documents?batchId=${batchId}`)).json()) as { documents: { filename: string; status: string; chunks: number }[] };
    expect(listed.documents.map((d) => d.filename).sort()).toEqual(['bread.txt', 'cities.csv', 'harbour.txt']);

    const search = await api('/api/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'who counts the boats coming back to port?', limit: 1 }),
    });
    expect(((await search.json()) as { results: { filename: string }[] }).results[0].filename).toBe('harbour.txt');

    // The same content again is a duplicate, found through the PostgreSQL catalog.
    const again = await uploadBatch(stack.baseUrl, stack.apiKey, [files[0]]);
    expect(again.status).toBe(202);
    expect(again.body.documents[0].status).toBe('skipped');
    await waitForBatch(stack.baseUrl, stack.apiKey, again.body.batchId);

    const harbour = view.documents.find((d) => d.filename === 'harbour.txt')!;
    const deleted = await api(`/api/documents/${harbour.documentId}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect((await sql.query('SELECT count(*)::int AS n FROM documents WHERE id = $1', [harbour.documentId])).rows[0].n).toBe(0);
  });
});
