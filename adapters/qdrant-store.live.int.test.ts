/**
 * The VectorStore contract against a real Qdrant. Qdrant cannot run on this project's own
 * machines, so this suite runs only where QDRANT_URL points at one (QDRANT_API_KEY if it needs a
 * key); everywhere else it is skipped, and qdrant-openapi.test.ts checks the adapter's requests
 * against Qdrant's OpenAPI document instead. Collections it creates are dropped afterwards.
 */
import { QdrantClient } from '@qdrant/js-client-rest';
import { describe } from 'vitest';
import { collectionName } from '../core/ids.js';
import { createQdrantStore } from './qdrant-store.js';
import { describeVectorStoreContract } from './vector-store.contract.js';

const url = process.env.QDRANT_URL;
const apiKey = process.env.QDRANT_API_KEY || undefined;

if (!url) {
  console.warn(
    '[qdrant live] skipped: QDRANT_URL is not set. Point it at a Qdrant server ' + '(e.g. QDRANT_URL=http://127.0.0.1:6333) to run the VectorStore contract against it.',
  );
}

// Skipped unless QDRANT_URL is set. Why it is skipped in CI: no Qdrant server can be installed
// there. Qdrant ships as a container image or a release binary, and CI has no Docker engine and
// reaches only package registries, none of which carries the server (only clients). What still
// runs everywhere: the same contract suite on LanceDB, and every request this adapter sends,
// validated against Qdrant's own OpenAPI document (qdrant-openapi.test.ts).
describe.skipIf(!url)('Qdrant live', () => {
  describeVectorStoreContract(`Qdrant at ${url}`, () => createQdrantStore({ url: url!, apiKey }), {
    tenantPrefix: 'docflow-test',
    async dropTenants(tenantIds) {
      const client = new QdrantClient({ url: url!, apiKey, checkCompatibility: false });
      for (const id of tenantIds) {
        // A tenant whose test never wrote has no collection: nothing to drop. The contract's
        // index-generation tests write generations up to 5.
        for (const generation of [1, 2, 3, 4, 5]) await client.deleteCollection(collectionName(id, generation)).catch(() => undefined);
      }
    },
  });
});
