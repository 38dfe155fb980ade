import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createFsBlobStore, type BlobStore } from '../adapters/blob-store.js';
import { DocumentError } from '../core/formats.js';
import type { ParsedDocument } from '../core/parsed.js';
import type { PrepareOutput } from './contracts.js';
import { createParseActivities, type DocumentParser } from './index.js';

function setUp(parse: DocumentParser['parse']) {
  const blobs = createFsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'docflow-parse-')));
  const calls: string[] = [];
  const activities = createParseActivities({
    blobs,
    parser: {
      parse: (file, format, signal) => {
        calls.push(file);
        return parse(file, format, signal);
      },
    },
    chunking: { maxTokens: 100, overlapTokens: 10 },
  });
  return { blobs, calls, activities };
}

const stored = async (blobs: ReturnType<typeof createFsBlobStore>, text: string) => {
  return blobs.commit(await blobs.stage(Readable.from([Buffer.from(text)]), 1024));
};

describe('the parse step', () => {
  it('fails with upload_expired, without parsing, when the retention policy removed the upload', async () => {
    const { calls, activities } = setUp(async () => ({ format: 'txt', sections: [] }));
    const failure = await activities
      .parseDocument({ tenantId: 't', batchId: 'b', documentId: 'd', version: 1, format: 'txt', blobKey: 'sha256/ab/abcdef' })
      .catch((err: unknown) => err);
    expect(failure).toMatchObject({ type: 'upload_expired', nonRetryable: true });
    expect((failure as Error).message).toMatch(/retention policy/);
    expect(calls).toHaveLength(0);
  });
});

describe('the prepare step (parse and chunk a group)', () => {
  const text = (doc: string): ParsedDocument => ({ format: 'txt', sections: [{ text: `${doc} is about lighthouses and the keepers who record passing ships.` }] });

  it('reports each document on its own: chunked, failed for good at parse, failed for good at chunk, or retryable', async () => {
    const { blobs, activities } = setUp(async (file) => {
      const name = path.basename(file);
      if (name === kinds.encrypted) throw new DocumentError('encrypted', 'password protected');
      if (name === kinds.empty) return { format: 'txt', sections: [{ text: '   ' }] };
      if (name === kinds.flaky) throw new Error('parse child could not start');
      return text(name);
    });
    const keys = { good: await stored(blobs, 'good'), encrypted: await stored(blobs, 'encrypted'), empty: await stored(blobs, 'empty'), flaky: await stored(blobs, 'flaky') };
    const kinds = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, path.basename(v)])) as Record<keyof typeof keys, string>;
    const documents = Object.entries(keys).map(([kind, blobKey]) => ({ documentId: kind, version: 1, format: 'txt', blobKey }));

    const out: PrepareOutput = await new MockActivityEnvironment().run(activities.prepareDocuments, { tenantId: 't', batchId: 'b', groupSize: 4, documents });

    expect(out.documents.map((d) => d.documentId)).toEqual(['good', 'encrypted', 'empty', 'flaky']);
    expect(out.documents[0]).toMatchObject({ ok: true, chunkCount: 1, chunksKey: 't/good/v1/chunks' });
    expect(out.documents[1]).toMatchObject({ ok: false, failure: { step: 'parse', code: 'encrypted', retryable: false } });
    expect(out.documents[2]).toMatchObject({ ok: false, failure: { step: 'chunk', code: 'no_extractable_text', retryable: false } });
    expect(out.documents[3]).toMatchObject({ ok: false, failure: { step: 'parse', code: 'internal_error', retryable: true, message: 'parse child could not start' } });
  });

  it('reuses what an earlier attempt stored: a document parsed and chunked once is not parsed again', async () => {
    const { blobs, calls, activities } = setUp(async () => text('reused'));
    const blobKey = await stored(blobs, 'reused');
    const input = { tenantId: 't', batchId: 'b', groupSize: 4, documents: [{ documentId: 'r', version: 1, format: 'txt', blobKey }] };
    const first = await new MockActivityEnvironment().run(activities.prepareDocuments, input);
    const second = await new MockActivityEnvironment().run(activities.prepareDocuments, input);
    expect(second).toEqual(first);
    expect(calls).toHaveLength(1);
  });

  it('gives the parser a local copy of the upload and releases it, whether parsing succeeds or fails', async () => {
    const disk = createFsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'docflow-parse-')));
    const blobKey = await disk.commit(await disk.stage(Readable.from([Buffer.from('plain text')]), 1024));
    const seen: string[] = [];
    let released = 0;
    // The disk store's copy is the stored file itself; count the releases an object store's copy needs.
    const blobs: BlobStore = {
      ...disk,
      localCopy: async (key) => {
        const copy = await disk.localCopy(key);
        return { path: copy.path, release: async () => void released++ };
      },
    };
    let fail = false;
    const activities = createParseActivities({
      blobs,
      parser: {
        parse: async (file, format) => {
          seen.push(file);
          if (fail) throw new DocumentError('corrupt', 'The file is damaged.');
          return { format, sections: [{ text: 'plain text' }] };
        },
      },
      chunking: { maxTokens: 100, overlapTokens: 10 },
    });
    const input = { tenantId: 't', batchId: 'b', version: 1, format: 'txt', blobKey };
    const env = new MockActivityEnvironment();
    await expect(env.run(activities.parseDocument, { ...input, documentId: 'ok' })).resolves.toMatchObject({ sections: 1 });
    fail = true;
    await expect(env.run(activities.parseDocument, { ...input, documentId: 'broken' })).rejects.toMatchObject({ type: 'corrupt' });
    expect(seen.every((file) => existsSync(file))).toBe(true);
    expect(seen).toHaveLength(2);
    expect(released).toBe(2);
  });
});
