/**
 * LanceDB with its tables on the object store (SeaweedFS), the arrangement that lets the API
 * and index workers on several hosts share one vector index: the VectorStore contract, and
 * concurrent writers in separate connections, which is what several processes are to Lance.
 * Lance commits a new table version with a conditional PUT (If-None-Match), so a writer that
 * loses a race notices and retries instead of overwriting; these tests would lose points on a
 * store that ignored the condition.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config.js';
import { lanceDbLocation } from '../runtime/stores.js';
import { startTestS3, type TestS3 } from '../test/s3-server.js';
import { createLanceDbStore } from './lancedb-store.js';
import type { S3Settings } from './s3-client.js';
import { contractPoint, describeVectorStoreContract } from './vector-store.contract.js';
import type { VectorStore } from './vector-store.js';

let s3: TestS3;
let bucket: S3Settings;

beforeAll(async () => {
  s3 = await startTestS3('lancedb');
  bucket = await s3.newBucket();
});
afterAll(async () => {
  await s3?.stop();
});

/** A LanceDB store at a fresh prefix of the bucket, configured the way the processes configure it. */
function openStore(prefix: string): Promise<VectorStore> {
  const config = loadConfig({
    S3_ENDPOINT: bucket.endpoint,
    S3_BUCKET: bucket.bucket,
    S3_ACCESS_KEY_ID: bucket.accessKeyId,
    S3_SECRET_ACCESS_KEY: bucket.secretAccessKey,
    S3_PREFIX: prefix,
  });
  return createLanceDbStore(lanceDbLocation(config));
}

describeVectorStoreContract('LanceDB on the S3 API (SeaweedFS)', () => openStore(`contract-${randomBytes(4).toString('hex')}`));

describe('LanceDB on the object store, several writers', () => {
  it('keeps the tables under <prefix>vectors/ in the bucket', async () => {
    const prefix = `layout-${randomBytes(4).toString('hex')}`;
    const store = await openStore(prefix);
    await store.upsert('acme', [contractPoint('acme', 'doc-a', 0, [1, 0, 0, 0])]);
    const keys = await s3.keys({ ...bucket, prefix: `${prefix}/` });
    expect(keys.filter((k) => !k.startsWith(`${prefix}/vectors/`))).toEqual([]);
    expect(keys.some((k) => k.startsWith(`${prefix}/vectors/tenant_acme_docs.lance/`))).toBe(true);
    await store.close();
  });

  it('loses no write when four connections upsert and delete in one table at once', async () => {
    const prefix = `writers-${randomBytes(4).toString('hex')}`;
    const stores = await Promise.all([1, 2, 3, 4].map(() => openStore(prefix)));
    await stores[0].ensureCollection('acme', 4);
    // Every writer: 6 documents of 20 points of its own, one of them deleted again, and the
    // same 20 shared points as all the others (same ids: must stay 20, not 80).
    await Promise.all(
      stores.map(async (store, w) => {
        for (let d = 0; d < 6; d++)
          await store.upsert(
            'acme',
            Array.from({ length: 20 }, (_, i) => contractPoint('acme', `doc-${w}-${d}`, i, [1, w, d, i])),
          );
        await store.upsert(
          'acme',
          Array.from({ length: 20 }, (_, i) => contractPoint('acme', 'doc-shared', i, [0, 1, w, i])),
        );
        await store.deleteDocument('acme', `doc-${w}-0`);
      }),
    );
    const reader = await openStore(prefix);
    expect(await reader.countAll('acme')).toBe(4 * 5 * 20 + 20);
    expect(await reader.countDocument('acme', 'doc-shared')).toBe(20);
    for (let w = 0; w < 4; w++) {
      expect(await reader.countDocument('acme', `doc-${w}-0`)).toBe(0);
      expect(await reader.countDocument('acme', `doc-${w}-5`)).toBe(20);
    }
    await Promise.all([...stores, reader].map((s) => s.close()));
  });
});
