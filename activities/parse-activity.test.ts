import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../adapters/blob-store.js';
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
});
