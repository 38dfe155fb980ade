/**
 * The blob store checked against the catalog: every stored upload must belong to a document,
 * every artifact to the current version of an existing document. Anything else is left over by
 * a process that died between two writes (an upload committed but its batch never recorded, a
 * delete interrupted half-way) and is removed by the retention run. Objects younger than a grace
 * period are never judged: they may belong to an upload or a step that is still running.
 */
import type { BlobStore } from '../../adapters/blob-store.js';
import type { Catalog } from '../../adapters/catalog.js';
import { pages } from '../../core/paging.js';
import { documentArtifactPrefix } from '../artifacts.js';

/** What the catalog refers to in the store. */
export interface CatalogReferences {
  blobKeys: Set<string>;
  /** `<tenant>/<document>/v<version>` of every document, as artifact prefixes. */
  artifactPrefixes: Set<string>;
}

/** Objects the catalog does not account for. */
export interface UnaccountedObjects {
  blobKeys: string[];
  /** One document version's artifacts each (`<tenant>/<document>/v<version>`). */
  artifactPrefixes: string[];
}

/** An empty reference set, filled while walking the catalog (retention does it on its own walk). */
export function emptyReferences(): CatalogReferences {
  return { blobKeys: new Set(), artifactPrefixes: new Set() };
}

/** Records one document's references. */
export function addDocument(refs: CatalogReferences, doc: { tenantId: string; id: string; version: number; activeVersion: number; blobKey: string }): void {
  refs.blobKeys.add(doc.blobKey);
  // The newest version (being built, or last built) and the active one, which a failed re-index leaves behind it.
  refs.artifactPrefixes.add(documentArtifactPrefix(doc.tenantId, doc.id, doc.version));
  refs.artifactPrefixes.add(documentArtifactPrefix(doc.tenantId, doc.id, doc.activeVersion));
}

/** Walks every tenant's documents once. */
export async function catalogReferences(catalog: Catalog): Promise<CatalogReferences> {
  const refs = emptyReferences();
  for (const tenant of await catalog.listTenants()) {
    for await (const page of pages((offset, limit) => catalog.listDocuments(tenant.id, { limit, offset }))) for (const doc of page) addDocument(refs, doc);
  }
  return refs;
}

// Artifact keys are `<tenant>/<document>/v<version>/...`; the first three segments name the version.
function versionPrefix(key: string): string {
  return key.split('/').slice(0, 3).join('/');
}

/** Lists what the store holds beyond `refs`, among objects last written before `olderThan`. */
export async function findUnaccounted(blobs: BlobStore, refs: CatalogReferences, olderThan: Date): Promise<UnaccountedObjects> {
  const blobKeys: string[] = [];
  for await (const object of blobs.listBlobs()) {
    if (!refs.blobKeys.has(object.key) && object.lastModified < olderThan) blobKeys.push(object.key);
  }
  // A version counts as left over only when none of its artifacts is recent (a step may be writing).
  const candidates = new Map<string, boolean>();
  for await (const object of blobs.listArtifacts()) {
    const prefix = versionPrefix(object.key);
    if (refs.artifactPrefixes.has(prefix)) continue;
    candidates.set(prefix, (candidates.get(prefix) ?? true) && object.lastModified < olderThan);
  }
  const artifactPrefixes = [...candidates].filter(([, old]) => old).map(([prefix]) => prefix);
  return { blobKeys, artifactPrefixes };
}

/** Removes what {@link findUnaccounted} found. */
export async function removeUnaccounted(blobs: BlobStore, found: UnaccountedObjects, heartbeat: () => void = () => {}): Promise<void> {
  for (const key of found.blobKeys) {
    await blobs.deleteBlob(key);
    heartbeat();
  }
  for (const prefix of found.artifactPrefixes) {
    await blobs.deleteArtifacts(prefix);
    heartbeat();
  }
}
