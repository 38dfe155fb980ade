/**
 * The blob store on any S3-compatible object store, so no file has to sit on a disk that the
 * API and the worker pools share. Layout under the configured prefix mirrors the disk store:
 * `blobs/<content address>`, `artifacts/<tenant>/<document>/v<version>/...`, `staging/<uuid>`.
 *
 * Uploads: the content address is known only at the end of the stream, so `stage` streams the
 * bytes to `staging/<uuid>` while hashing (multipart above one part, never the whole file in
 * memory) and, at the same time, to a local scratch file the upload checks read (magic bytes,
 * ZIP directory). `commit` copies the staged object to its content address inside the store
 * and removes the staging object; the file is durable in the store when `commit` returns. An
 * interrupted multipart upload is aborted; staging leftovers of a crashed process are removed
 * by `sweepStaging` (the retention run).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BlobStoreError, BlobTooLargeError, blobKeyFor, checkKey, hashingMeter, removeOldFiles, type BlobStore, type StagedUpload, type StoredObject } from './blob-store.js';
import { describeStore, isMissingKey, storeErrorCode, toStoreError } from './s3-client.js';

/** What the S3 store needs; the client is injected so tests and processes build their own. */
export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** '' or a prefix ending in '/'; every key docflow writes starts with it. */
  prefix: string;
  endpoint: string | undefined;
  /** Local directory for upload scratch files and parse copies (host-local, never shared). */
  scratchDir: string;
  /** A blob larger than this is never copied to local disk (the per-file upload limit). */
  maxCopyBytes: number;
  /** Multipart part size; S3's minimum is 5 MiB. */
  partSizeBytes?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
// Parts in flight per upload: bounds an upload's memory to about partSize × (this + 1).
const PARTS_IN_FLIGHT = 2;
// DeleteObjects takes at most 1,000 keys per request.
const DELETE_BATCH = 1000;

/** Creates the S3-backed store; nothing is contacted until the first call. */
export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { client, bucket, prefix } = options;
  if (prefix !== '') {
    if (!prefix.endsWith('/')) throw new Error(`invalid S3 prefix ${JSON.stringify(prefix)}: it must end with "/"`);
    checkKey(prefix.slice(0, -1));
  }
  const where = describeStore({ endpoint: options.endpoint, bucket, prefix });
  const partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
  const uploadsScratch = path.join(options.scratchDir, 'uploads');
  const copiesScratch = path.join(options.scratchDir, 'copies');
  const blobsPrefix = `${prefix}blobs/`;
  const artifactsPrefix = `${prefix}artifacts/`;
  const stagingPrefix = `${prefix}staging/`;

  const blobObject = (blobKey: string) => blobsPrefix + checkKey(blobKey);
  const artifactObject = (key: string) => artifactsPrefix + checkKey(key);

  /** Runs one SDK call, turning its failures into BlobStoreErrors that say what and where. */
  async function call<T>(action: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw toStoreError(err, action, where);
    }
  }

  /** Size of an object, or null when it does not exist. */
  async function objectSize(key: string): Promise<number | null> {
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isMissingKey(err)) return null;
      throw toStoreError(err, `HEAD ${key}`, where);
    }
  }

  async function checkBucket(): Promise<void> {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (err) {
      // HEAD answers carry no error body: a 404 on the bucket is the bucket missing.
      if (isMissingKey(err)) throw new BlobStoreError('store_bucket_missing', `bucket ${JSON.stringify(bucket)} does not exist on ${where}: create it, or fix S3_BUCKET`);
      throw toStoreError(err, `HEAD bucket ${bucket}`, where);
    }
  }

  async function* listObjects(listPrefix: string): AsyncIterable<{ key: string; size: number; lastModified: Date }> {
    let token: string | undefined;
    do {
      const page = await call(`LIST ${listPrefix}`, () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: listPrefix, ContinuationToken: token })));
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        yield { key: item.Key, size: item.Size ?? 0, lastModified: item.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async function deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const result = await call(`DELETE ${batch.length} objects`, () =>
        client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
      );
      const failed = (result.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        throw new BlobStoreError(
          'store_error',
          `deleting ${failed.length} of ${batch.length} objects on ${where} failed, e.g. ${failed[0].Key}: ${failed[0].Code} ${failed[0].Message ?? ''}`,
        );
      }
    }
  }

  async function deleteByPrefix(listPrefix: string): Promise<number> {
    // Collected a page at a time and deleted in batches, so memory stays bounded by a page.
    let pending: string[] = [];
    let removed = 0;
    for await (const object of listObjects(listPrefix)) {
      pending.push(object.key);
      if (pending.length >= DELETE_BATCH) {
        await deleteKeys(pending);
        removed += pending.length;
        pending = [];
      }
    }
    await deleteKeys(pending);
    return removed + pending.length;
  }

  async function* listUnder(listPrefix: string): AsyncIterable<StoredObject> {
    for await (const object of listObjects(listPrefix)) yield { ...object, key: object.key.slice(listPrefix.length) };
  }

  return {
    async stage(source, maxBytes) {
      await mkdir(uploadsScratch, { recursive: true });
      const id = randomUUID();
      const tempPath = path.join(uploadsScratch, id);
      const stagingKey = stagingPrefix + id;
      const { meter, result } = hashingMeter(maxBytes);
      const toStore = new PassThrough();
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: stagingKey, Body: toStore },
        partSize,
        queueSize: PARTS_IN_FLIGHT,
        // On failure the SDK aborts the multipart upload, so no invisible parts stay behind.
        leavePartsOnError: false,
      });
      const uploaded = upload.done();
      const toDisk = createWriteStream(tempPath, { flags: 'wx' });
      const both = fanOut(toDisk, toStore);
      // Failures reach us through the pipeline and `uploaded`; these listeners keep a stream's
      // 'error' event from crashing the process on the way.
      toDisk.on('error', (err) => both.destroy(err));
      toStore.on('error', () => undefined);
      // A store failure stops the whole stream at once instead of waiting on a body nobody reads.
      uploaded.catch((err: unknown) => both.destroy(err instanceof Error ? err : new Error(String(err))));
      try {
        await pipeline(source, meter, both);
        await uploaded;
      } catch (err) {
        // An error (never a plain end) on the body, so the SDK cannot complete a partial object;
        // it then aborts its multipart upload before `uploaded` settles.
        if (!toStore.destroyed) toStore.destroy(new Error('upload interrupted'));
        await uploaded.catch(() => undefined);
        await rm(tempPath, { force: true });
        // Belt and braces: an upload whose id the SDK had not learnt yet, or an object that was
        // completed just before the failure, must not stay behind either.
        await abortMultipartUploads(stagingKey, null).catch(() => undefined);
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: stagingKey })).catch(() => undefined);
        if (err instanceof BlobTooLargeError) throw err;
        if (isStoreFailure(err)) throw toStoreError(err, `upload to ${stagingKey}`, where);
        throw err;
      }
      return { tempPath, stagingRef: stagingKey, ...result() };
    },

    async commit(staged) {
      const stagingKey = ownStagingKey(staged, stagingPrefix);
      const blobKey = blobKeyFor(staged.sha256);
      const target = blobObject(blobKey);
      // Copied even when the address is taken (same bytes): the fresh write time tells the
      // orphan sweep (store-audit.ts) that a new document is about to refer to it.
      await call(`COPY ${stagingKey} to ${target}`, () => client.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: copySource(bucket, stagingKey) })));
      await call(`DELETE ${stagingKey}`, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: stagingKey })));
      await rm(staged.tempPath, { force: true });
      return blobKey;
    },

    async discard(staged) {
      const stagingKey = ownStagingKey(staged, stagingPrefix);
      await rm(staged.tempPath, { force: true });
      await call(`DELETE ${stagingKey}`, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: stagingKey })));
    },

    async localCopy(blobKey) {
      const key = blobObject(blobKey);
      const object = await call(`GET ${key}`, () => client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
      const body = object.Body as Readable | undefined;
      if (!body) throw new BlobStoreError('store_error', `GET ${key} on ${where} returned no body`);
      if ((object.ContentLength ?? 0) > options.maxCopyBytes) {
        body.destroy();
        throw new BlobTooLargeError(options.maxCopyBytes);
      }
      await mkdir(copiesScratch, { recursive: true });
      const copyPath = path.join(copiesScratch, randomUUID());
      // Bounded even if the store's length header lies: the meter stops the copy at the limit.
      const { meter } = hashingMeter(options.maxCopyBytes);
      try {
        await pipeline(body, meter, createWriteStream(copyPath, { flags: 'wx' }));
      } catch (err) {
        await rm(copyPath, { force: true });
        if (err instanceof BlobTooLargeError) throw err;
        throw toStoreError(err, `GET ${key}`, where);
      }
      return { path: copyPath, release: () => rm(copyPath, { force: true }) };
    },

    async hasBlob(blobKey) {
      if ((await objectSize(blobObject(blobKey))) !== null) return true;
      // HEAD cannot tell a missing object from a missing bucket; "gone" must mean the object.
      await checkBucket();
      return false;
    },

    async deleteBlob(blobKey) {
      const key = blobObject(blobKey);
      await call(`DELETE ${key}`, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    },

    async writeArtifact(key, data) {
      const object = artifactObject(key);
      const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      // A single PUT is atomic: readers see the old artifact or the new one, never a part.
      await call(`PUT ${object}`, () => client.send(new PutObjectCommand({ Bucket: bucket, Key: object, Body: body, ContentLength: body.byteLength })));
    },

    async readArtifact(key) {
      const object = artifactObject(key);
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: object }));
        return Buffer.from(await answer.Body!.transformToByteArray());
      } catch (err) {
        if (isMissingKey(err)) throw Object.assign(new Error(`artifact ${key} does not exist`), { code: 'ENOENT' });
        throw toStoreError(err, `GET ${object}`, where);
      }
    },

    artifactSize: (key) => objectSize(artifactObject(key)),

    async deleteArtifacts(artifactPrefix) {
      const exact = artifactObject(artifactPrefix);
      await deleteByPrefix(`${exact}/`);
      await call(`DELETE ${exact}`, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: exact })));
    },

    listBlobs: () => listUnder(blobsPrefix),
    listArtifacts: () => listUnder(artifactsPrefix),

    async sweepStaging(olderThan) {
      let stagedRemoved = 0;
      const old: string[] = [];
      for await (const object of listObjects(stagingPrefix)) if (object.lastModified < olderThan) old.push(object.key);
      await deleteKeys(old);
      stagedRemoved += old.length;
      // Scratch files of a process that died mid-upload or mid-parse on this host.
      stagedRemoved += await removeOldFiles(uploadsScratch, olderThan);
      stagedRemoved += await removeOldFiles(copiesScratch, olderThan);
      return { stagedRemoved, multipartAborted: await abortMultipartUploads(prefix, olderThan) };
    },

    async health() {
      try {
        await checkBucket();
        return { ok: true, detail: where };
      } catch (err) {
        const error = err instanceof BlobStoreError ? err : toStoreError(err, 'HEAD bucket', where);
        return { ok: false, code: error.code, detail: error.message };
      }
    },
  };

  /** Aborts multipart uploads of keys under `keyPrefix` started before `olderThan` (null: all); returns how many. */
  async function abortMultipartUploads(keyPrefix: string, olderThan: Date | null): Promise<number> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await call('LIST multipart uploads', () =>
        client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: keyPrefix || undefined, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })),
      );
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || (olderThan && upload.Initiated && upload.Initiated >= olderThan)) continue;
        await call(`ABORT multipart ${upload.Key}`, () => client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId })));
        aborted++;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return aborted;
  }
}

/** The staging key inside a handle, checked to be one this store made (a handle is not user input, but a mix-up must not delete other objects). */
function ownStagingKey(staged: StagedUpload, stagingPrefix: string): string {
  if (!staged.stagingRef.startsWith(stagingPrefix)) throw new Error('this staged upload was not made by this S3 blob store');
  return staged.stagingRef;
}

/** CopySource is `bucket/key`, URL-encoded per segment. */
function copySource(bucket: string, key: string): string {
  return [bucket, ...key.split('/')].map(encodeURIComponent).join('/');
}

/** Errors from the SDK (or the network under it), as opposed to our own or the source stream's. */
function isStoreFailure(err: unknown): boolean {
  return (err as { $metadata?: unknown } | undefined)?.$metadata !== undefined || storeErrorCode(err) === 'store_unreachable';
}

/**
 * One writable feeding two: the local scratch file and the body of the upload to the store.
 * A chunk counts as written when both accepted it, so the slower side paces the upload.
 */
function fanOut(file: Writable, store: PassThrough): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      let waiting = 2;
      let failed = false;
      const settle = (err?: Error | null) => {
        if (failed) return;
        if (err) {
          failed = true;
          done(err);
        } else if (--waiting === 0) done();
      };
      file.write(chunk, settle);
      if (store.write(chunk)) settle();
      else store.once('drain', () => settle());
    },
    final(done) {
      store.end();
      file.end(done);
    },
    destroy(err, done) {
      file.destroy();
      if (err) store.destroy(err);
      done(err);
    },
  });
}
