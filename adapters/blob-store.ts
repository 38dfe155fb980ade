/**
 * Durable file storage on the local disk (a shared volume at scale). Uploads are stored
 * content-addressed, so the same bytes are kept once and a key never changes meaning;
 * artifacts are the intermediate results between steps (parsed text, chunks, vectors).
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

export interface StagedUpload {
  /** Where the bytes are now; pass to `commit` or `discard`. */
  tempPath: string;
  sha256: string;
  size: number;
}

export interface BlobStore {
  /** Streams bytes to a temporary file while hashing, never holding the whole file in memory. */
  stage(source: Readable, maxBytes: number): Promise<StagedUpload>;
  /** Moves a staged upload to its content address and returns the blob key. */
  commit(staged: StagedUpload): Promise<string>;
  discard(staged: StagedUpload): Promise<void>;
  /** Local path of a blob, for parsers that need a file. */
  blobPath(blobKey: string): string;
  /** Is the upload still stored? (Retention may have removed it.) */
  hasBlob(blobKey: string): Promise<boolean>;
  /**
   * Removes a stored upload (the caller checks no other document uses it). With
   * `onlyIfOlderThan` (ms since epoch) an upload written at or after that moment is kept: a new
   * upload of the same bytes rewrites the file, so a fresh one may be about to get its document.
   * Returns whether it was removed.
   */
  deleteBlob(blobKey: string, options?: { onlyIfOlderThan?: number }): Promise<boolean>;
  /** Every stored upload with when it was last written, for retention's sweep of uploads no document uses. */
  listBlobs(): AsyncIterable<{ blobKey: string; modifiedAt: number }>;
  /** Removes staged files last written before `cutoff` (ms since epoch): leftovers of uploads whose process died. */
  removeStagedBefore(cutoff: number): Promise<number>;
  writeArtifact(key: string, data: Uint8Array | string): Promise<void>;
  readArtifact(key: string): Promise<Buffer>;
  /** Size in bytes of an artifact, or null when it does not exist; lets a retried step reuse finished work. */
  artifactSize(key: string): Promise<number | null>;
  /** Removes every artifact under a prefix (e.g. one document version). */
  deleteArtifacts(prefix: string): Promise<void>;
  health(): Promise<{ ok: boolean; detail: string }>;
}

const SAFE_KEY = /^[A-Za-z0-9_.\-/]+$/;

/** Rejects keys that could escape the storage root; keys are built by the code, never by users. */
function checkKey(key: string): string {
  if (!SAFE_KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
  }
  return key;
}

/** Names in a directory; none when it does not exist (yet). */
async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Last write time in ms, or null when the file is gone (another sweep may have removed it). */
async function modifiedTime(file: string): Promise<number | null> {
  try {
    return (await stat(file)).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
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
      try {
        await pipeline(source, meter, createWriteStream(tempPath, { flags: 'wx' }));
      } catch (err) {
        await rm(tempPath, { force: true });
        throw err;
      }
      return { tempPath, sha256: hash.digest('hex'), size };
    },
    async commit(staged) {
      const key = `sha256/${staged.sha256.slice(0, 2)}/${staged.sha256}`;
      const target = path.join(blobsDir, key);
      await mkdir(path.dirname(target), { recursive: true });
      // rename is atomic: a reader sees either no blob or the whole blob.
      await rename(staged.tempPath, target);
      return key;
    },
    async discard(staged) {
      await rm(staged.tempPath, { force: true });
    },
    blobPath(blobKey) {
      return path.join(blobsDir, checkKey(blobKey));
    },
    async hasBlob(blobKey) {
      return stat(path.join(blobsDir, checkKey(blobKey))).then(
        () => true,
        () => false,
      );
    },
    async deleteBlob(blobKey, options = {}) {
      const file = path.join(blobsDir, checkKey(blobKey));
      const modifiedAt = await modifiedTime(file);
      if (modifiedAt === null) return false;
      if (options.onlyIfOlderThan !== undefined && modifiedAt >= options.onlyIfOlderThan) return false;
      await rm(file, { force: true });
      return true;
    },
    async *listBlobs() {
      // Layout: blobs/sha256/<first two hex digits>/<sha256>.
      for (const algorithm of await entries(blobsDir)) {
        for (const shard of await entries(path.join(blobsDir, algorithm))) {
          for (const name of await entries(path.join(blobsDir, algorithm, shard))) {
            const modifiedAt = await modifiedTime(path.join(blobsDir, algorithm, shard, name));
            if (modifiedAt !== null) yield { blobKey: `${algorithm}/${shard}/${name}`, modifiedAt };
          }
        }
      }
    },
    async removeStagedBefore(cutoff) {
      let removed = 0;
      for (const name of await entries(tmpDir)) {
        const modifiedAt = await modifiedTime(path.join(tmpDir, name));
        if (modifiedAt === null || modifiedAt >= cutoff) continue;
        await rm(path.join(tmpDir, name), { force: true });
        removed++;
      }
      return removed;
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
    async health() {
      try {
        await mkdir(root, { recursive: true });
        await stat(root);
        return { ok: true, detail: root };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
  };
}
