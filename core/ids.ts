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

/** The one collection (Qdrant) / table (LanceDB) holding a tenant's points: isolation by name. */
export function collectionName(tenantId: string): string {
  assertTenantId(tenantId);
  return `tenant_${tenantId}_docs`;
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
