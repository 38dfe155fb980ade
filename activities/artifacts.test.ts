import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../adapters/blob-store.js';
import { chunkDocument } from '../core/chunking.js';
import { ChunkGroupSchema, ChunkManifestSchema, ParsedDocumentSchema, readJsonArtifact } from './artifacts.js';

const dir = mkdtempSync(path.join(tmpdir(), 'docflow-artifacts-'));
const blobs = createFsBlobStore(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JSON artifacts', () => {
  it('reads back what the parse and chunk steps write', async () => {
    const parsed = {
      format: 'pdf' as const,
      sections: [
        { text: 'Revenue grew in the north.', page: 1 },
        { text: 'A scanned page.', page: 2, ocrConfidence: 88.4 },
      ],
      pageCount: 2,
    };
    await blobs.writeArtifact('t/d/v1/parsed.json', JSON.stringify(parsed));
    expect(await readJsonArtifact(blobs, 't/d/v1/parsed.json', ParsedDocumentSchema)).toEqual(parsed);
    const chunks = chunkDocument(parsed, { maxTokens: 50, overlapTokens: 5 });
    await blobs.writeArtifact('t/d/v1/chunks/0.json', JSON.stringify(chunks));
    expect(await readJsonArtifact(blobs, 't/d/v1/chunks/0.json', ChunkGroupSchema)).toEqual(chunks);
  });

  it('names the key and the problem when an artifact is not what it should be', async () => {
    await blobs.writeArtifact('t/d/v1/chunks/manifest.json', JSON.stringify({ chunkCount: '12', groupSize: 128 }));
    await expect(readJsonArtifact(blobs, 't/d/v1/chunks/manifest.json', ChunkManifestSchema)).rejects.toThrow(/t\/d\/v1\/chunks\/manifest.json.*chunkCount/s);
    await blobs.writeArtifact('t/d/v1/parsed.json', '{"format":"pdf","sections":[');
    await expect(readJsonArtifact(blobs, 't/d/v1/parsed.json', ParsedDocumentSchema)).rejects.toThrow(/t\/d\/v1\/parsed.json is not valid JSON/);
  });
});
