/**
 * The blob store on a real S3 server (SeaweedFS): the shared contract, then what only an
 * object store has (a missing bucket, refused credentials, an unreachable endpoint, interrupted
 * multipart uploads, bounded local copies) and the start-up refusal built on it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config.js';
import { openBlobStore } from '../runtime/stores.js';
import { startTestS3, type TestS3 } from '../test/s3-server.js';
import { BlobStoreError, BlobTooLargeError } from './blob-store.js';
import { describeBlobStoreContract } from './blob-store.contract.js';
import { createS3BlobStore } from './s3-blob-store.js';
import { createS3Client, type S3Settings } from './s3-client.js';

let s3: TestS3;
let shared: S3Settings;
const scratchRoot = mkdtempSync(path.join(os.tmpdir(), 'docflow-s3-scratch-'));

beforeAll(async () => {
  s3 = await startTestS3('blob-store');
  shared = await s3.newBucket();
});
afterAll(async () => {
  await s3?.stop();
});

const filesIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => e.name)
    : [];

/** A store over the shared bucket under its own prefix, with its own scratch dir. */
function storeFor(settings: S3Settings, overrides: { maxCopyBytes?: number } = {}) {
  const scratchDir = mkdtempSync(path.join(scratchRoot, 'store-'));
  const blobs = createS3BlobStore({
    client: createS3Client(settings),
    bucket: settings.bucket,
    prefix: settings.prefix,
    endpoint: settings.endpoint,
    scratchDir,
    maxCopyBytes: overrides.maxCopyBytes ?? 64 * 1024 * 1024,
    partSizeBytes: 5 * 1024 * 1024,
  });
  return { blobs, scratchDir };
}

describeBlobStoreContract('S3 API on SeaweedFS', async () => {
  const settings = { ...shared, prefix: `contract-${randomBytes(4).toString('hex')}/` };
  const { blobs, scratchDir } = storeFor(settings);
  return {
    blobs,
    localFiles: () => filesIn(scratchDir),
    pendingUploads: async () => (await s3.keys(settings, 'staging/')).length + (await s3.multipartUploads(settings)),
  };
});

describe('S3 blob store specifics', () => {
  it('lays objects out under the prefix: blobs/, artifacts/, and nothing left in staging/', async () => {
    const settings = { ...shared, prefix: `layout-${randomBytes(4).toString('hex')}/` };
    const { blobs } = storeFor(settings);
    const key = await blobs.commit(await blobs.stage(Readable.from([Buffer.from('laid out')]), 1024));
    await blobs.writeArtifact('t/d/v1/parsed.json', '{}');
    expect(await s3.keys(settings)).toEqual([`${settings.prefix}artifacts/t/d/v1/parsed.json`, `${settings.prefix}blobs/${key}`]);
  });

  it('aborts multipart uploads left behind by a crashed process, and only old ones', async () => {
    const settings = { ...shared, prefix: `sweep-${randomBytes(4).toString('hex')}/` };
    const { blobs } = storeFor(settings);
    await s3.admin.send(new CreateMultipartUploadCommand({ Bucket: settings.bucket, Key: `${settings.prefix}staging/crashed-upload` }));
    await s3.admin.send(new PutObjectCommand({ Bucket: settings.bucket, Key: `${settings.prefix}staging/crashed-put`, Body: 'x' }));
    expect(await blobs.sweepStaging(new Date(Date.now() - 3_600_000))).toEqual({ stagedRemoved: 0, multipartAborted: 0 });
    expect(await blobs.sweepStaging(new Date(Date.now() + 60_000))).toEqual({ stagedRemoved: 1, multipartAborted: 1 });
    expect(await s3.multipartUploads(settings)).toBe(0);
    expect(await s3.keys(settings)).toEqual([]);
  });

  it('never copies more than the limit to local disk', async () => {
    const settings = { ...shared, prefix: `bounded-${randomBytes(4).toString('hex')}/` };
    const { blobs, scratchDir } = storeFor(settings, { maxCopyBytes: 1024 });
    const key = await blobs.commit(await blobs.stage(Readable.from([randomBytes(4096)]), 8192));
    await expect(blobs.localCopy(key)).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(filesIn(scratchDir)).toEqual([]);
  });

  it('says the bucket is missing, with its reason code, and never reports a blob as merely gone', async () => {
    const settings = { ...shared, bucket: `docflow-missing-${randomBytes(3).toString('hex')}` };
    const { blobs } = storeFor(settings);
    const health = await blobs.health();
    expect(health).toMatchObject({ ok: false, code: 'store_bucket_missing' });
    expect(health.detail).toMatch(/does not exist/);
    // "Not there" would fail the document for good (upload_expired): a missing bucket is an error.
    await expect(blobs.hasBlob('sha256/ab/abcdef')).rejects.toMatchObject({ code: 'store_bucket_missing' });
    await expect(blobs.writeArtifact('t/d/v1/parsed.json', '{}')).rejects.toBeInstanceOf(BlobStoreError);
  });

  it('says access is denied when the credentials are wrong, without echoing the secret', async () => {
    const secret = `wrong-${randomBytes(8).toString('hex')}`;
    const { blobs } = storeFor({ ...shared, secretAccessKey: secret });
    const health = await blobs.health();
    expect(health).toMatchObject({ ok: false, code: 'store_access_denied' });
    const failure = await blobs.writeArtifact('t/d/v1/parsed.json', '{}').catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'store_access_denied' });
    expect(`${health.detail} ${(failure as Error).message}`).not.toContain(secret);
  });

  it('says the store is unreachable when nothing listens at the endpoint', async () => {
    const { blobs } = storeFor({ ...shared, endpoint: 'http://127.0.0.1:9' });
    expect(await blobs.health()).toMatchObject({ ok: false, code: 'store_unreachable' });
  });

  it('makes the processes refuse to start on a store they cannot use, saying why', async () => {
    const dataDir = mkdtempSync(path.join(scratchRoot, 'data-'));
    const env = {
      DATA_DIR: dataDir,
      S3_ENDPOINT: shared.endpoint,
      S3_BUCKET: shared.bucket,
      S3_ACCESS_KEY_ID: shared.accessKeyId,
      S3_SECRET_ACCESS_KEY: shared.secretAccessKey,
    };
    await expect(openBlobStore(loadConfig(env))).resolves.toBeDefined();
    await expect(openBlobStore(loadConfig({ ...env, S3_BUCKET: 'docflow-not-created' }))).rejects.toThrow(
      /file store cannot be used: store_bucket_missing: bucket "docflow-not-created" does not exist/,
    );
    await expect(openBlobStore(loadConfig({ ...env, S3_SECRET_ACCESS_KEY: 'not-the-secret' }))).rejects.toThrow(/store_access_denied/);
    // Nothing was written to the local disk store.
    expect(existsSync(path.join(dataDir, 'files'))).toBe(false);
  });
});
