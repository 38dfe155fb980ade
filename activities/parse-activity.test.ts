import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createFsBlobStore, type BlobStore } from '../adapters/blob-store.js';
import { DocumentError } from '../core/formats.js';
import { createParseActivities } from './index.js';

describe('the parse step', () => {
  it('fails with upload_expired, without parsing, when the retention policy removed the upload', async () => {
    const blobs = createFsBlobStore(mkdtempSync(path.join(os.tmpdir(), 'docflow-parse-')));
    let parsed = 0;
    const activities = createParseActivities({
      blobs,
      parser: {
        parse: async () => {
          parsed++;
          return { sections: [] } as never;
        },
      },
      chunking: { maxTokens: 100, overlapTokens: 10 },
    });
    const failure = await activities
      .parseDocument({ tenantId: 't', batchId: 'b', documentId: 'd', version: 1, format: 'txt', blobKey: 'sha256/ab/abcdef' })
      .catch((err: unknown) => err);
    expect(failure).toMatchObject({ type: 'upload_expired', nonRetryable: true });
    expect((failure as Error).message).toMatch(/retention policy/);
    expect(parsed).toBe(0);
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
