/**
 * Identifiers that must be computed identically everywhere: point ids (workflows and activities
 * both derive them) and per-tenant collection names. Pure and free of Node built-ins, because
 * workflow code imports this module and the workflow bundle may not contain `node:` modules
 * (the `uuid` package resolves to its pure-JS SHA-1 there).
 */
import { v5 as uuidv5 } from 'uuid';

/**
 * Namespace of every docflow point id. Fixed forever: changing it would give every existing chunk
 * a new id, so a re-index would duplicate instead of overwrite.
 */
export const POINT_ID_NAMESPACE = '16eaa472-1ff0-486b-bc72-7c4f68bf04eb';

/** Tenant ids double as collection/table-name fragments, so only this safe alphabet is allowed. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * Ids that may be embedded in a store query (documents, batches): a UUID or a plain token. UUIDs
 * are a subset of this alphabet, so one pattern covers both.
 */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws unless `tenantId` is a valid tenant id; called before any I/O so a bad id never reaches a store. */
export function assertTenantId(tenantId: string): void {
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
    throw new Error(`invalid tenant id ${JSON.stringify(tenantId)}: must match ${TENANT_ID_PATTERN}`);
  }
}

/**
 * Throws unless `value` is a UUID or a `[A-Za-z0-9_-]` token: the guard that keeps document and
 * batch ids from ever carrying query syntax into a vector store filter.
 */
export function assertSafeId(kind: string, value: string): void {
  if (typeof value !== 'string' || !SAFE_ID_PATTERN.test(value)) {
    throw new Error(`invalid ${kind} ${JSON.stringify(value)}: must be a UUID or match ${SAFE_ID_PATTERN}`);
  }
}

/** True for a canonical UUID string; point ids must be UUIDs for Qdrant to accept them. */
export function isUuid(value: string): boolean {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/** Throws unless `generation` is an index generation: a positive safe integer. */
export function assertGeneration(generation: number): void {
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 1) {
    throw new Error(`invalid index generation ${String(generation)}: must be a positive integer`);
  }
}

/**
 * The collection (Qdrant) / table (LanceDB) holding a tenant's points of one index generation:
 * isolation by name. Generation 1 keeps the name every tenant had before model switches existed
 * (`tenant_<id>_docs`); a switch's generation n ≥ 2 is `tenant_<id>_docs_g<n>`.
 */
export function collectionName(tenantId: string, generation = 1): string {
  assertTenantId(tenantId);
  assertGeneration(generation);
  return generation === 1 ? `tenant_${tenantId}_docs` : `tenant_${tenantId}_docs_g${generation}`;
}

const COLLECTION_NAME_PATTERN = /^tenant_([a-z0-9][a-z0-9_-]{0,62})_docs(?:_g([1-9][0-9]*))?$/;

/**
 * The tenant and generation a collection name stands for, or null for a name collectionName never
 * makes. Unambiguous: a tenant id may itself contain `_docs_g2`, but generation 1 names end in
 * `_docs` and later ones in `_docs_g<n>` (canonical digits, n ≥ 2), and the pattern is anchored at
 * both ends, so every name maps back to exactly the (tenant, generation) that made it. Anything
 * listing collections must use this, never a prefix/suffix test, so a `_g<n>` collection is not
 * taken for another tenant's (or skipped).
 */
export function parseCollectionName(name: string): { tenantId: string; generation: number } | null {
  const match = COLLECTION_NAME_PATTERN.exec(name);
  if (!match) return null;
  const generation = match[2] === undefined ? 1 : Number(match[2]);
  // `_g1` is never made (generation 1 has no suffix), and digits beyond a safe integer are no generation.
  if (match[2] !== undefined && (!Number.isSafeInteger(generation) || generation < 2)) return null;
  const parsed = { tenantId: match[1], generation };
  return collectionName(parsed.tenantId, parsed.generation) === name ? parsed : null;
}

function assertNonNegativeInteger(kind: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`invalid ${kind} ${String(value)}: must be a non-negative integer`);
  }
}

/**
 * Deterministic id of one chunk's point, so a retried or repeated upsert overwrites rather than
 * duplicates. The fields are serialised as a JSON array, which cannot be ambiguous whatever
 * characters a document id contains. The format is a stored contract: never change it.
 */
export function pointId(tenantId: string, documentId: string, version: number, chunkIndex: number): string {
  assertTenantId(tenantId);
  if (typeof documentId !== 'string' || documentId.length === 0) {
    throw new Error('invalid document id: must be a non-empty string');
  }
  assertNonNegativeInteger('version', version);
  assertNonNegativeInteger('chunk index', chunkIndex);
  return uuidv5(JSON.stringify([tenantId, documentId, version, chunkIndex]), POINT_ID_NAMESPACE);
}
