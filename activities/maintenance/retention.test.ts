import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsBlobStore, type BlobStore } from '../../adapters/blob-store.js';
import type { Catalog } from '../../adapters/catalog.js';
import { contractDocument } from '../../adapters/catalog.contract.js';
import { createSqliteCatalog } from '../../adapters/sqlite-catalog.js';
import { documentArtifactPrefix, parsedKey } from '../artifacts.js';
import { applyRetention } from './retention.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 28);

describe('retention clean-up', () => {
  let dir: string;
  let catalog: Catalog;
  let blobs: BlobStore;
  const store = async (text: string) => blobs.commit(await blobs.stage(Readable.from([Buffer.from(text)]), 1024));
  const finish = (tenantId: string, documentId: string, status: 'indexed' | 'failed' | 'embedding', finishedAt: number | null) =>
    catalog.updateDocuments(tenantId, [{ documentId, status, chunks: 1, errorCode: null, errorMessage: null, attempt: 1, startedAt: 0, finishedAt }]);
  const hasArtifacts = async (tenantId: string, documentId: string) => (await blobs.artifactSize(parsedKey(documentArtifactPrefix(tenantId, documentId, 1)))) !== null;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'docflow-retention-'));
    catalog = createSqliteCatalog(path.join(dir, 'catalog.sqlite'));
    blobs = createFsBlobStore(path.join(dir, 'files'));
    const oldShared = await store('shared by two tenants');
    const oldAlone = await store('old and alone');
    await catalog.ensureTenant('t1');
    await catalog.ensureTenant('t2');
    await catalog.createBatch({ id: 'b1', tenantId: 't1', workflowId: 'w1', documentCount: 3, idempotencyKey: null }, [
      contractDocument('old', 'h1', { blobKey: oldAlone }),
      contractDocument('old-shared', 'h2', { blobKey: oldShared }),
      contractDocument('moving', 'h3', { blobKey: oldAlone }),
    ]);
    await catalog.createBatch({ id: 'b2', tenantId: 't2', workflowId: 'w2', documentCount: 1, idempotencyKey: null }, [contractDocument('young', 'h2', { blobKey: oldShared })]);
    await finish('t1', 'old', 'indexed', NOW - 10 * DAY);
    await finish('t1', 'old-shared', 'failed', NOW - 40 * DAY);
    await finish('t1', 'moving', 'embedding', null);
    await finish('t2', 'young', 'indexed', NOW - 1 * DAY);
    for (const [tenantId, id] of [
      ['t1', 'old'],
      ['t1', 'old-shared'],
      ['t1', 'moving'],
      ['t2', 'young'],
    ]) {
      await blobs.writeArtifact(parsedKey(documentArtifactPrefix(tenantId, id, 1)), '{"sections":[]}');
    }
  });
  afterEach(async () => {
    await catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes only the artifacts of documents finished longer ago than the period, and keeps uploads by default', async () => {
    const report = await applyRetention({ catalog, blobs }, { artifactDays: 7, uploadDays: null }, NOW);
    expect(report).toEqual({ documentsChecked: 4, artifactsRemoved: 2, uploadsRemoved: 0, strayUploadsRemoved: 0, stagedFilesRemoved: 0 });
    expect(await hasArtifacts('t1', 'old')).toBe(false);
    expect(await hasArtifacts('t1', 'old-shared')).toBe(false);
    expect(await hasArtifacts('t1', 'moving')).toBe(true); // still in a run
    expect(await hasArtifacts('t2', 'young')).toBe(true);
    // Idempotent: nothing left to remove.
    expect(await applyRetention({ catalog, blobs }, { artifactDays: 7, uploadDays: null }, NOW)).toMatchObject({ artifactsRemoved: 0 });
  });

  it('removes an upload only when every document using it, in any tenant, has expired', async () => {
    const shared = (await catalog.getDocument('t1', 'old-shared'))!.blobKey;
    const alone = (await catalog.getDocument('t1', 'old'))!.blobKey;
    expect(await applyRetention({ catalog, blobs }, { artifactDays: 7, uploadDays: 5 }, NOW)).toMatchObject({ uploadsRemoved: 0 });
    // `alone` is also used by a document still moving; `shared` by a young document of another tenant.
    expect(await blobs.hasBlob(alone)).toBe(true);
    expect(await blobs.hasBlob(shared)).toBe(true);

    await finish('t1', 'moving', 'indexed', NOW - 6 * DAY);
    expect(await applyRetention({ catalog, blobs }, { artifactDays: 7, uploadDays: 5 }, NOW)).toMatchObject({ uploadsRemoved: 1 });
    expect(await blobs.hasBlob(alone)).toBe(false);
    expect(await blobs.hasBlob(shared)).toBe(true);
  });

  it('sweeps uploads no document uses and staged leftovers once they are older than the grace period', async () => {
    // What an API killed mid-upload leaves: a stored upload whose batch never reached the
    // catalog, and a half-written staged file. Found by the API-kill fault scenario.
    const ageTo = (file: string, at: number) => utimesSync(file, at / 1000, at / 1000);
    const grace = 60 * 60 * 1000;
    const strayOld = await store('stored, then the API died');
    const strayYoung = await store('stored a moment ago, its documents are being written');
    const used = (await catalog.getDocument('t1', 'old'))!.blobKey;
    ageTo(blobs.blobPath(strayOld), NOW - 2 * grace);
    ageTo(blobs.blobPath(strayYoung), NOW - grace / 2);
    ageTo(blobs.blobPath(used), NOW - 100 * DAY);
    const tmp = path.join(dir, 'files', 'tmp');
    writeFileSync(path.join(tmp, 'half-written-old'), 'partial');
    writeFileSync(path.join(tmp, 'uploading-now'), 'partial');
    ageTo(path.join(tmp, 'half-written-old'), NOW - 2 * grace);
    ageTo(path.join(tmp, 'uploading-now'), NOW - grace / 2);

    const report = await applyRetention({ catalog, blobs }, { artifactDays: 7, uploadDays: null, strayFileGraceMs: grace }, NOW);
    expect(report).toMatchObject({ strayUploadsRemoved: 1, stagedFilesRemoved: 1, uploadsRemoved: 0 });
    expect(await blobs.hasBlob(strayOld)).toBe(false);
    expect(await blobs.hasBlob(strayYoung)).toBe(true);
    expect(await blobs.hasBlob(used)).toBe(true);
    expect(readdirSync(tmp)).toEqual(['uploading-now']);
    // Idempotent.
    expect(await applyRetention({ catalog, blobs }, { artifactDays: 7, uploadDays: null, strayFileGraceMs: grace }, NOW)).toMatchObject({
      strayUploadsRemoved: 0,
      stagedFilesRemoved: 0,
    });
  });
});
