import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BlobTooLargeError, createFsBlobStore } from './blob-store.js';

const tempRoot = () => mkdtempSync(path.join(os.tmpdir(), 'blobs-'));
// Node 20 has no Array.fromAsync.
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('filesystem blob store', () => {
  it('stages while hashing and commits content-addressed', async () => {
    const root = tempRoot();
    const blobs = createFsBlobStore(root);
    const bytes = Buffer.from('hello durable world');
    const staged = await blobs.stage(Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]), 1024);
    expect(staged.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(staged.size).toBe(bytes.length);
    const key = await blobs.commit(staged);
    expect(key).toBe(`sha256/${staged.sha256.slice(0, 2)}/${staged.sha256}`);
    expect(readFileSync(blobs.blobPath(key)).equals(bytes)).toBe(true);
    expect(existsSync(staged.tempPath)).toBe(false);
    expect(await blobs.hasBlob(key)).toBe(true);
    await blobs.deleteBlob(key);
    expect(await blobs.hasBlob(key)).toBe(false);
  });

  it('refuses a stream over the limit and keeps nothing', async () => {
    const root = tempRoot();
    const blobs = createFsBlobStore(root);
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 100; i++) yield Buffer.alloc(1024, 1);
      })(),
    );
    await expect(blobs.stage(source, 10 * 1024)).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
  });

  it('writes, reads and deletes artifacts, and rejects keys that could escape the root', async () => {
    const blobs = createFsBlobStore(tempRoot());
    await blobs.writeArtifact('t/doc/v1/parsed.json', '{"a":1}');
    expect((await blobs.readArtifact('t/doc/v1/parsed.json')).toString()).toBe('{"a":1}');
    await blobs.deleteArtifacts('t/doc/v1');
    await expect(blobs.readArtifact('t/doc/v1/parsed.json')).rejects.toThrow();
    expect(() => blobs.blobPath('../../etc/passwd')).toThrow(/invalid storage key/);
    await expect(blobs.writeArtifact('a/../../x', 'x')).rejects.toThrow(/invalid storage key/);
  });

  it('lists uploads with their age, deletes one only when older than asked, and removes old staged files', async () => {
    const root = tempRoot();
    const blobs = createFsBlobStore(root);
    expect(await collect(blobs.listBlobs())).toEqual([]);
    const key = await blobs.commit(await blobs.stage(Readable.from([Buffer.from('kept or not')]), 1024));
    const writtenAt = Date.UTC(2026, 0, 1);
    utimesSync(blobs.blobPath(key), writtenAt / 1000, writtenAt / 1000);
    expect(await collect(blobs.listBlobs())).toEqual([{ blobKey: key, modifiedAt: writtenAt }]);

    expect(await blobs.deleteBlob(key, { onlyIfOlderThan: writtenAt })).toBe(false);
    expect(await blobs.hasBlob(key)).toBe(true);
    expect(await blobs.deleteBlob(key, { onlyIfOlderThan: writtenAt + 1 })).toBe(true);
    expect(await blobs.hasBlob(key)).toBe(false);
    expect(await blobs.deleteBlob(key)).toBe(false);

    const staged = await blobs.stage(Readable.from([Buffer.from('never committed')]), 1024);
    writeFileSync(path.join(root, 'tmp', 'other'), 'x');
    utimesSync(staged.tempPath, writtenAt / 1000, writtenAt / 1000);
    expect(await blobs.removeStagedBefore(writtenAt + 1)).toBe(1);
    expect(readdirSync(path.join(root, 'tmp'))).toEqual(['other']);
  });
});
