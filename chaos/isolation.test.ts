import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createLanceDbStore } from '../adapters/lancedb-store.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { contractPoint } from '../adapters/vector-store.contract.js';
import { createTestApp, oneFileForm } from '../api/test-app.js';
import { checkIsolation } from './isolation.js';

// The real app and a real LanceDB store (Temporal and the embedder faked): the probes must see
// what the harness sees, and a leak planted in the store must be reported.
describe('checkIsolation', () => {
  let server: ServerType | undefined;
  let vectors: VectorStore | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await vectors?.close();
  });

  async function twoTenants() {
    vectors = await createLanceDbStore({ dir: mkdtempSync(path.join(tmpdir(), 'chaos-isolation-')) });
    const { app, catalog, keys } = await createTestApp({ vectors });
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server!.once('listening', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const uploadAs = async (tenantId: string, name: string) => {
      const res = await fetch(`${baseUrl}/api/batches`, { method: 'POST', body: oneFileForm(name, `${name} text`), headers: { authorization: `Bearer ${keys[tenantId]}` } });
      const body = (await res.json()) as { batchId: string; documents: { documentId: string }[] };
      const [doc] = body.documents;
      await vectors!.upsert(tenantId, [contractPoint(tenantId, doc.documentId, 0, [1, 0, 0])]);
      return { batchIds: [body.batchId], documentIds: [doc.documentId] };
    };
    const alpha = { tenantId: 'alpha', apiKey: keys.alpha, ...(await uploadAs('alpha', 'a.txt')), searchText: 'a.txt text' };
    const beta = { tenantId: 'beta', apiKey: keys.beta, ...(await uploadAs('beta', 'b.txt')) };
    return { baseUrl, catalog, alpha, beta };
  }

  it('finds nothing to report when every route and store keeps tenants apart', async () => {
    const { baseUrl, catalog, alpha, beta } = await twoTenants();
    const report = await checkIsolation({ baseUrl, owner: alpha, other: beta, catalog, vectors: vectors! });
    expect(report.problems).toEqual([]);
    // By id both ways (batch, its events, the document), two listings, three searches, two collections.
    expect(report.attempts).toBe(6 + 2 + 3 + 2);
  });

  it("reports a point of one tenant filed in the other tenant's collection, and the search hit it leaks", async () => {
    const { baseUrl, catalog, alpha, beta } = await twoTenants();
    const planted = contractPoint('beta', alpha.documentIds[0], 1, [1, 0, 0]);
    await vectors!.upsert('beta', [planted]);
    const report = await checkIsolation({ baseUrl, owner: alpha, other: beta, catalog, vectors: vectors! });
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`beta search returned ${alpha.documentIds[0]}`)),
        expect.stringMatching(new RegExp(`beta's collection holds point ${planted.id} of document ${alpha.documentIds[0]}`)),
      ]),
    );
  });
});
