/**
 * Durable file storage for uploads and artifacts, behind one interface with two
 * implementations: the local disk (this file, the embedded default) and any S3-compatible
 * object store (s3-blob-store.ts), so the API and the worker pools can run on different hosts.
 * Uploads are stored content-addressed, so the same bytes are kept once and a key never changes
 * meaning; artifacts are the intermediate results between steps (parsed text, chunks, vectors).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

/** Thrown when a stream is longer than the caller allowed; nothing is kept. */
export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`file is larger than the ${limit}-byte limit`);
  }
}

/**
 * A staged upload. Treat it as a handle: read `tempPath` (a local copy, for inspection),
 * `sha256` and `size`, and pass the same object to `commit` or `discard`.
 */
export interface StagedUpload {
  /** A local file holding the bytes, for checks that need a file (magic bytes, ZIP directory). */
  readonly tempPath: string;
  readonly sha256: string;
  readonly size: number;
  /** Where the store keeps the staged bytes; meaningful to the store that made the handle only. */
  readonly stagingRef: string;
}

/** A blob available as a local file until `release` (which removes it when it is a copy). */
export interface LocalCopy {
  path: string;
  release(): Promise<void>;
}

/** One stored object, as listed for reconciliation. */
export interface StoredObject {
  /** The key as the BlobStore methods take it (blob key, or artifact key). */
  key: string;
  size: number;
  lastModified: Date;
}

/** What a staging sweep removed: leftovers of uploads that were never committed or discarded. */
export interface StagingSweep {
  stagedRemoved: number;
  multipartAborted: number;
}

/** A store's state for `/api/health` and the start-up check; `code` says why when it is unusable. */
export interface BlobStoreHealth {
  ok: boolean;
  detail: string;
  code?: BlobStoreErrorCode;
}

/** Why the store refused, for errors the operator must fix (nothing is retried for these). */
export type BlobStoreErrorCode = 'store_unreachable' | 'store_bucket_missing' | 'store_access_denied' | 'store_error';

/** An error from the store that is not "the key does not exist"; carries a reason code. */
export class BlobStoreError extends Error {
  constructor(
    readonly code: BlobStoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
    this.name = 'BlobStoreError';
  }
}

export interface BlobStore {
  /** Streams bytes into staging while hashing, never holding the whole file in memory. */
  stage(source: Readable, maxBytes: number): Promise<StagedUpload>;
  /** Makes a staged upload durable at its content address and returns the blob key. */
  commit(staged: StagedUpload): Promise<string>;
  discard(staged: StagedUpload): Promise<void>;
  /**
   * A blob as a local file, for parsers that need one: the stored file itself on disk, a
   * bounded temporary copy with an object store. Always `release` it when done.
   */
  localCopy(blobKey: string): Promise<LocalCopy>;
  /** Is the upload still stored? (Retention may have removed it.) */
  hasBlob(blobKey: string): Promise<boolean>;
  /** Removes a stored upload (the caller checks no other document uses it). */
  deleteBlob(blobKey: string): Promise<void>;
  writeArtifact(key: string, data: Uint8Array | string): Promise<void>;
  readArtifact(key: string): Promise<Buffer>;
  /** Size in bytes of an artifact, or null when it does not exist; lets a retried step reuse finished work. */
  artifactSize(key: string): Promise<number | null>;
  /** Removes every artifact under a prefix (e.g. one document version). */
  deleteArtifacts(prefix: string): Promise<void>;
  /** Every stored upload, for reconciliation against the catalog. */
  listBlobs(): AsyncIterable<StoredObject>;
  /** Every artifact, for reconciliation against the catalog. */
  listArtifacts(): AsyncIterable<StoredObject>;
  /** Removes staged uploads (and interrupted multipart uploads) last touched before `olderThan`. */
  sweepStaging(olderThan: Date): Promise<StagingSweep>;
  health(): Promise<BlobStoreHealth>;
}

const SAFE_KEY = /^[A-Za-z0-9_.\-/]+$/;

/** Rejects keys that could escape the storage root; keys are built by the code, never by users. */
export function checkKey(key: string): string {
  if (!SAFE_KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
  }
  return key;
}

/** The content address of an upload: the same bytes always get the same key. */
export function blobKeyFor(sha256: string): string {
  return `sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/** A pass-through that hashes and counts, and fails with BlobTooLargeError past `maxBytes`. */
export function hashingMeter(maxBytes: number): { meter: Transform; result(): { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new BlobTooLargeError(maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { meter, result: () => ({ sha256: hash.digest('hex'), size }) };
}

/** Files under `dir` (recursively) as StoredObjects keyed relative to `dir`; nothing when it is missing. */
async function* listFiles(dir: string, skip: (name: string) => boolean = () => false): AsyncIterable<StoredObject> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true })) as string[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const name of names.sort()) {
    if (skip(name)) continue;
    const info = await stat(path.join(dir, name)).catch(() => null);
    if (!info?.isFile()) continue;
    yield { key: name.split(path.sep).join('/'), size: info.size, lastModified: info.mtime };
  }
}

/** Removes files directly under `dir` last modified before `olderThan`; returns how many. */
export async function removeOldFiles(dir: string, olderThan: Date): Promise<number> {
  let removed = 0;
  for await (const file of listFiles(dir)) {
    if (file.lastModified >= olderThan) continue;
    await rm(path.join(dir, file.key), { force: true });
    removed++;
  }
  return removed;
}

/** Filesystem blob store rooted at `root` (created on demand). */
export function createFsBlobStore(root: string): BlobStore {
  const tmpDir = path.join(root, 'tmp');
  const blobsDir = path.join(root, 'blobs');
  const artifactsDir = path.join(root, 'artifacts');

  return {
    async stage(source, maxBytes) {
      await mkdir(tmpDir, { recursive: true });
      const tempPath = path.join(tmpDir, randomUUID());
      const { meter, result } = hashingMeter(maxBytes);
      try {
        await pipeline(source, meter, createWriteStream(tempPath, { flags: 'wx' }));
      } catch (err) {
        await rm(tempPath, { force: true });
        throw err;
      }
      return { tempPath, stagingRef: tempPath, ...result() };
    },
    async commit(staged) {
      const key = blobKeyFor(staged.sha256);
      const target = path.join(blobsDir, key);
      await mkdir(path.dirname(target), { recursive: true });
      // rename is atomic: a reader sees either no blob or the whole blob.
      await rename(staged.stagingRef, target);
      return key;
    },
    async discard(staged) {
      await rm(staged.stagingRef, { force: true });
    },
    async localCopy(blobKey) {
      // The stored file is already local: hand it out as is; there is nothing to release.
      return { path: path.join(blobsDir, checkKey(blobKey)), release: async () => {} };
    },
    async hasBlob(blobKey) {
      return stat(path.join(blobsDir, checkKey(blobKey))).then(
        () => true,
        () => false,
      );
    },
    async deleteBlob(blobKey) {
      await rm(path.join(blobsDir, checkKey(blobKey)), { force: true });
    },
    async writeArtifact(key, data) {
      const target = path.join(artifactsDir, checkKey(key));
      await mkdir(path.dirname(target), { recursive: true });
      const temp = `${target}.${randomUUID()}.tmp`;
      await writeFile(temp, data);
      await rename(temp, target);
    },
    async readArtifact(key) {
      return readFile(path.join(artifactsDir, checkKey(key)));
    },
    async artifactSize(key) {
      try {
        return (await stat(path.join(artifactsDir, checkKey(key)))).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async deleteArtifacts(prefix) {
      await rm(path.join(artifactsDir, checkKey(prefix)), { recursive: true, force: true });
    },
    listBlobs: () => listFiles(blobsDir),
    // A writer's half-written `<key>.<uuid>.tmp` is not an artifact yet.
    listArtifacts: () => listFiles(artifactsDir, (name) => name.endsWith('.tmp')),
    async sweepStaging(olderThan) {
      return { stagedRemoved: await removeOldFiles(tmpDir, olderThan), multipartAborted: 0 };
    },
    async health() {
      try {
        await mkdir(root, { recursive: true });
        await stat(root);
        return { ok: true, detail: `local disk at ${root}` };
      } catch (err) {
        return { ok: false, code: 'store_error', detail: `local disk at ${root} unusable: ${(err as Error).message}` };
      }
    },
  };
}
