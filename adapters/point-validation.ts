/**
 * What both vector stores do to points on the way in and out, written once: every point is
 * checked before any store sees it (a store must never hold a point it cannot return faithfully
 * or one filed under the wrong tenant), and stored payloads are read back into PointPayload.
 */
import { assertSafeId, isUuid } from '../core/ids.js';
import type { PointPayload, VectorPoint } from './vector-store.js';

const INT32_MAX = 2 ** 31 - 1;

/** Vector sizes are positive integers; anything else is a caller bug. */
export function assertDimensions(dimensions: number): void {
  if (!Number.isSafeInteger(dimensions) || dimensions < 1) {
    throw new Error(`invalid vector dimensions ${String(dimensions)}: must be a positive integer`);
  }
}

// LanceDB stores these as Int32; the same bound for Qdrant keeps the two stores interchangeable.
function assertInt32(kind: string, value: number | null, allowNull: boolean): void {
  if (value === null && allowNull) return;
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > INT32_MAX) {
    throw new Error(`invalid ${kind} ${String(value)}: must be an integer in 0..${INT32_MAX}`);
  }
}

/** Rejects malformed points and points of another tenant; returns the common vector size. */
export function validatePoints(tenantId: string, points: VectorPoint[]): number {
  const dimensions = points[0].vector.length;
  assertDimensions(dimensions);
  for (const p of points) {
    if (!isUuid(p.id)) throw new Error(`invalid point id ${JSON.stringify(p.id)}: must be a UUID`);
    if (p.vector.length !== dimensions) {
      throw new Error(`point ${p.id} has ${p.vector.length} dimensions, expected ${dimensions}`);
    }
    if (!p.vector.every(Number.isFinite)) throw new Error(`point ${p.id} has a non-finite vector component`);
    if (p.payload.tenantId !== tenantId) {
      throw new Error(`point ${p.id} belongs to tenant ${JSON.stringify(p.payload.tenantId)}, not ${tenantId}`);
    }
    assertSafeId('document id', p.payload.documentId);
    assertSafeId('batch id', p.payload.batchId);
    assertInt32('version', p.payload.version, false);
    assertInt32('chunk index', p.payload.chunkIndex, false);
    assertInt32('page', p.payload.page, true);
    assertInt32('rowStart', p.payload.rowStart, true);
    assertInt32('rowEnd', p.payload.rowEnd, true);
    assertInt32('charStart', p.payload.charStart, true);
    assertInt32('charEnd', p.payload.charEnd, true);
    if (!Array.isArray(p.payload.headingPath) || !p.payload.headingPath.every((h) => typeof h === 'string')) {
      throw new Error(`point ${p.id} has a heading path that is not a list of strings`);
    }
    const confidence = p.payload.ocrConfidence;
    if (confidence !== null && !(Number.isFinite(confidence) && confidence >= 0 && confidence <= 100)) {
      throw new Error(`invalid ocrConfidence ${String(confidence)}: must be a number in 0..100`);
    }
  }
  return dimensions;
}

/** A result count: a non-negative integer (0 asks for nothing). */
export function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`invalid limit ${String(limit)}`);
}

/** A page of one version's chunks: [from, from + limit) of `version`, all non-negative integers. */
export function assertChunkPage(version: number, from: number, limit: number): void {
  for (const [kind, value] of [
    ['version', version],
    ['chunk index', from],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`invalid ${kind} ${String(value)}: must be a non-negative integer`);
  }
  assertLimit(limit);
}

/** Keeps the last point per id: one write that carries an id twice is ambiguous in both stores. */
export function lastPerId(points: VectorPoint[]): VectorPoint[] {
  return [...new Map(points.map((p) => [p.id, p])).values()];
}

const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const nullableString = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** A stored list of strings: a JSON array (Qdrant) or an Arrow list vector (LanceDB); null when absent. */
function stringList(v: unknown): string[] | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(String);
  if (typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function') return Array.from(v as Iterable<unknown>, String);
  return null;
}

/** A stored payload (a LanceDB row, a Qdrant payload) read back as a PointPayload. */
export function payloadFromRecord(raw: Record<string, unknown> | null | undefined): PointPayload {
  const p = raw ?? {};
  return {
    tenantId: String(p.tenantId),
    documentId: String(p.documentId),
    batchId: String(p.batchId),
    version: Number(p.version),
    chunkIndex: Number(p.chunkIndex),
    text: String(p.text),
    filename: String(p.filename),
    page: nullableNumber(p.page),
    heading: nullableString(p.heading),
    // Points indexed before heading paths were kept have none: their nearest heading is the path.
    headingPath: stringList(p.headingPath) ?? (p.heading === null || p.heading === undefined ? [] : [String(p.heading)]),
    sheet: nullableString(p.sheet),
    rowStart: nullableNumber(p.rowStart),
    rowEnd: nullableNumber(p.rowEnd),
    ocrConfidence: nullableNumber(p.ocrConfidence),
    charStart: nullableNumber(p.charStart),
    charEnd: nullableNumber(p.charEnd),
  };
}
