import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createFsBlobStore } from './blob-store.js';
import { describeBlobStoreContract } from './blob-store.contract.js';

const tempRoot = () => mkdtempSync(path.join(os.tmpdir(), 'blobs-'));
const filesIn = (dir: string) => (existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]) : []);

describeBlobStoreContract('local disk', async () => {
  const root = tempRoot();
  // On disk, staging is a file under tmp/ and there is no separate upload state in the store.
  return { blobs: createFsBlobStore(root), localFiles: () => filesIn(path.join(root, 'tmp')), pendingUploads: async () => filesIn(path.join(root, 'tmp')).length };
});

describe('filesystem blob store specifics', () => {
  it('hands parsers the stored file itself, with nothing to clean up', async () => {
    const root = tempRoot();
    const blobs = createFsBlobStore(root);
    const key = await blobs.commit(await blobs.stage(Readable.from([Buffer.from('on disk already')]), 1024));
    const copy = await blobs.localCopy(key);
    expect(copy.path).toBe(path.join(root, 'blobs', key));
    await copy.release();
    expect(existsSync(copy.path)).toBe(true);
  });

  it('does not list an artifact that is still being written', async () => {
    const root = tempRoot();
    const blobs = createFsBlobStore(root);
    await blobs.writeArtifact('t/d/v1/parsed.json', '{}');
    writeFileSync(path.join(root, 'artifacts', 't/d/v1/chunks.json.1234.tmp'), 'half');
    const keys: string[] = [];
    for await (const object of blobs.listArtifacts()) keys.push(object.key);
    expect(keys).toEqual(['t/d/v1/parsed.json']);
  });
});
