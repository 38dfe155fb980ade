/**
 * The behaviour every BlobStore must show, written once and run against each implementation
 * (the local disk in the unit suite, a real SeaweedFS through the S3 API in the integration
 * suite), so the two cannot drift apart.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BlobTooLargeError, type BlobStore, type StoredObject } from './blob-store.js';

/** The store under test, plus what only its own suite can see (where scratch files live). */
export interface BlobStoreUnderTest {
  blobs: BlobStore;
  /** Files the store keeps on the local disk right now (staging, scratch copies); empty when none. */
  localFiles(): string[];
  /** Staged-but-uncommitted objects in the store itself (multipart uploads included). */
  pendingUploads(): Promise<number>;
}

/** Builds a fresh, empty store; called once per test. */
export type MakeBlobStore = () => Promise<BlobStoreUnderTest>;

async function collect(objects: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for await (const object of objects) out.push(object);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/** A source that yields `total` bytes in `chunk`-sized pieces, without holding them all. */
function stream(total: number, chunk = 64 * 1024, fill = 7): Readable {
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < total; sent += chunk) yield Buffer.alloc(Math.min(chunk, total - sent), fill);
    })(),
  );
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Registers the contract suite for one implementation. */
export function describeBlobStoreContract(name: string, make: MakeBlobStore): void {
  describe(`BlobStore contract: ${name}`, () => {
    it('stages while hashing, gives a local file to inspect, and commits content-addressed', async () => {
      const { blobs, localFiles } = await make();
      const bytes = Buffer.from(`hello durable world ${randomBytes(8).toString('hex')}`);
      const staged = await blobs.stage(Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]), 1024);
      expect(staged.sha256).toBe(sha256(bytes));
      expect(staged.size).toBe(bytes.length);
      expect(readFileSync(staged.tempPath).equals(bytes)).toBe(true);
      const key = await blobs.commit(staged);
      expect(key).toBe(`sha256/${staged.sha256.slice(0, 2)}/${staged.sha256}`);
      expect(existsSync(staged.tempPath)).toBe(false);
      expect(await blobs.hasBlob(key)).toBe(true);
      const copy = await blobs.localCopy(key);
      expect(readFileSync(copy.path).equals(bytes)).toBe(true);
      await copy.release();
      expect(localFiles()).toEqual([]);
      expect((await collect(blobs.listBlobs())).map((o) => [o.key, o.size])).toEqual([[key, bytes.length]]);
      await blobs.deleteBlob(key);
      expect(await blobs.hasBlob(key)).toBe(false);
      expect(await collect(blobs.listBlobs())).toEqual([]);
    });

    it('keeps one copy of the same bytes committed twice', async () => {
      const { blobs } = await make();
      const bytes = randomBytes(2048);
      const first = await blobs.commit(await blobs.stage(Readable.from([bytes]), 4096));
      const second = await blobs.commit(await blobs.stage(Readable.from([bytes]), 4096));
      expect(second).toBe(first);
      expect(await collect(blobs.listBlobs())).toHaveLength(1);
    });

    it('streams a file larger than one multipart part without changing a byte', async () => {
      const { blobs, localFiles, pendingUploads } = await make();
      const size = 12 * 1024 * 1024 + 123;
      const staged = await blobs.stage(stream(size, 256 * 1024, 3), size);
      expect(staged.size).toBe(size);
      const key = await blobs.commit(staged);
      const copy = await blobs.localCopy(key);
      const read = readFileSync(copy.path);
      expect(read.length).toBe(size);
      expect(sha256(read)).toBe(staged.sha256);
      await copy.release();
      expect(localFiles()).toEqual([]);
      expect(await pendingUploads()).toBe(0);
    });

    it('refuses a stream over the limit and keeps nothing, locally or in the store', async () => {
      const { blobs, localFiles, pendingUploads } = await make();
      await expect(blobs.stage(stream(10 * 1024 * 1024, 64 * 1024), 6 * 1024 * 1024)).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(localFiles()).toEqual([]);
      expect(await pendingUploads()).toBe(0);
      expect(await collect(blobs.listBlobs())).toEqual([]);
    });

    it('keeps nothing when the source fails half-way (a client that disconnects)', async () => {
      const { blobs, localFiles, pendingUploads } = await make();
      const source = Readable.from(
        (function* () {
          for (let i = 0; i < 160; i++) yield Buffer.alloc(64 * 1024, 1);
          throw new Error('client went away');
        })(),
      );
      await expect(blobs.stage(source, 100 * 1024 * 1024)).rejects.toThrow(/client went away/);
      expect(localFiles()).toEqual([]);
      expect(await pendingUploads()).toBe(0);
    });

    it('discards a staged upload completely', async () => {
      const { blobs, localFiles, pendingUploads } = await make();
      const staged = await blobs.stage(Readable.from([Buffer.from('not wanted')]), 1024);
      await blobs.discard(staged);
      expect(localFiles()).toEqual([]);
      expect(await pendingUploads()).toBe(0);
      expect(await collect(blobs.listBlobs())).toEqual([]);
    });

    it('writes, sizes, reads, lists and deletes artifacts by prefix', async () => {
      const { blobs } = await make();
      await blobs.writeArtifact('t/doc/v1/parsed.json', '{"a":1}');
      await blobs.writeArtifact('t/doc/v1/vectors/0.f32', new Uint8Array([1, 2, 3, 4]));
      await blobs.writeArtifact('t/doc10/v1/parsed.json', '{"b":2}');
      expect((await blobs.readArtifact('t/doc/v1/parsed.json')).toString()).toBe('{"a":1}');
      expect(await blobs.artifactSize('t/doc/v1/vectors/0.f32')).toBe(4);
      expect(await blobs.artifactSize('t/doc/v1/missing.json')).toBeNull();
      await blobs.writeArtifact('t/doc/v1/parsed.json', '{"a":2}');
      expect((await blobs.readArtifact('t/doc/v1/parsed.json')).toString()).toBe('{"a":2}');
      expect((await collect(blobs.listArtifacts())).map((o) => o.key)).toEqual(['t/doc/v1/parsed.json', 't/doc/v1/vectors/0.f32', 't/doc10/v1/parsed.json']);
      // A prefix is a path: deleting t/doc leaves t/doc10 alone.
      await blobs.deleteArtifacts('t/doc');
      await expect(blobs.readArtifact('t/doc/v1/parsed.json')).rejects.toThrow();
      expect((await collect(blobs.listArtifacts())).map((o) => o.key)).toEqual(['t/doc10/v1/parsed.json']);
    });

    it('deletes more artifacts under a prefix than one delete request takes', async () => {
      const { blobs } = await make();
      const keys = Array.from({ length: 1030 }, (_, i) => `t/many/v1/chunks/${i}.json`);
      for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => blobs.writeArtifact(k, '[]')));
      expect(await collect(blobs.listArtifacts())).toHaveLength(keys.length);
      await blobs.deleteArtifacts('t/many');
      expect(await collect(blobs.listArtifacts())).toEqual([]);
    });

    it('sweeps staged uploads older than the cut-off and leaves newer ones', async () => {
      const { blobs, localFiles } = await make();
      const staged = await blobs.stage(Readable.from([Buffer.from('abandoned by a crashed API')]), 1024);
      expect(await blobs.sweepStaging(new Date(Date.now() - 60_000))).toEqual({ stagedRemoved: 0, multipartAborted: 0 });
      expect(localFiles()).toHaveLength(1);
      const swept = await blobs.sweepStaging(new Date(Date.now() + 60_000));
      expect(swept.stagedRemoved).toBeGreaterThanOrEqual(1);
      expect(localFiles()).toEqual([]);
      expect(existsSync(staged.tempPath)).toBe(false);
    });

    it('rejects keys that could escape the store', async () => {
      const { blobs } = await make();
      await expect(blobs.localCopy('../../etc/passwd')).rejects.toThrow(/invalid storage key/);
      await expect(blobs.writeArtifact('a/../../x', 'x')).rejects.toThrow(/invalid storage key/);
      await expect(blobs.hasBlob('sha256//x')).rejects.toThrow(/invalid storage key/);
    });

    it('reports itself healthy', async () => {
      const { blobs } = await make();
      expect(await blobs.health()).toMatchObject({ ok: true });
    });
  });
}
