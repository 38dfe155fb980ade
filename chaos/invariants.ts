/**
 * The guarantees the fault-injection harness checks after every scenario, over the real stores
 * of the run: nothing lost, nothing duplicated, nothing orphaned, and reconciliation finds
 * nothing left to repair. Pure over injected stores, so the same checks run in the harness and
 * in its unit test.
 */
import type { BlobStore } from '../adapters/blob-store.js';
import type { Catalog, DocumentRecord } from '../adapters/catalog.js';
import type { VectorStore } from '../adapters/vector-store.js';
import type { BatchView } from '../core/contracts.js';

/** Terminal document states: every accepted file must end in exactly one of them. */
const TERMINAL = new Set(['indexed', 'failed', 'cancelled', 'skipped']);

/** What one scenario's stores must satisfy, with counts for the results table. */
export interface InvariantReport {
  accepted: number;
  indexed: number;
  failed: number;
  cancelled: number;
  /** Accepted documents missing from the catalog, left non-terminal, failed without a reason, or whose upload is gone. */
  lost: number;
  /** Point ids stored more than once, or indexed documents with more points than chunks. */
  duplicates: number;
  /** Points of documents that are not indexed, unknown, of another version, or past the chunk count. */
  orphans: number;
  /** Indexed documents with fewer points than chunks. */
  missingPoints: number;
  /** The last SSE frame and the catalog disagree about these documents. */
  sseMismatches: number;
  /** One line per violation, for the report. */
  problems: string[];
}

/** The stores and what the clients saw, for {@link checkInvariants}. */
export interface InvariantInput {
  catalog: Catalog;
  vectors: VectorStore;
  blobs: BlobStore;
  tenantId: string;
  /** Every document id an upload answered 202 for. */
  acceptedDocumentIds: string[];
  /** The final `done` frame of each batch's SSE stream, when the scenario followed it. */
  lastFrames?: BatchView[];
}

/** Checks every invariant; never throws for a violation, it counts it. */
export async function checkInvariants(input: InvariantInput): Promise<InvariantReport> {
  const { catalog, vectors, blobs, tenantId } = input;
  const report: InvariantReport = {
    accepted: input.acceptedDocumentIds.length,
    indexed: 0,
    failed: 0,
    cancelled: 0,
    lost: 0,
    duplicates: 0,
    orphans: 0,
    missingPoints: 0,
    sseMismatches: 0,
    problems: [],
  };
  const docs = new Map<string, DocumentRecord>();
  for (const id of input.acceptedDocumentIds) {
    const doc = await catalog.getDocument(tenantId, id);
    if (!doc) {
      report.lost += 1;
      report.problems.push(`${id}: accepted but not in the catalog`);
      continue;
    }
    docs.set(id, doc);
    if (!TERMINAL.has(doc.status)) {
      report.lost += 1;
      report.problems.push(`${doc.filename}: still ${doc.status}`);
    } else if (doc.status !== 'indexed' && doc.status !== 'skipped' && !doc.errorCode) {
      report.lost += 1;
      report.problems.push(`${doc.filename}: ${doc.status} without a reason`);
    }
    if (!(await blobs.hasBlob(doc.blobKey))) {
      report.lost += 1;
      report.problems.push(`${doc.filename}: its upload ${doc.blobKey} is not stored`);
    }
    if (doc.status === 'indexed') report.indexed += 1;
    else if (doc.status === 'failed') report.failed += 1;
    else if (doc.status === 'cancelled') report.cancelled += 1;
  }

  // Every point of the tenant, against what the catalog says should exist.
  const seen = new Map<string, number>();
  const perDocument = new Map<string, number>();
  for (const ref of await vectors.listPointRefs(tenantId)) {
    seen.set(ref.id, (seen.get(ref.id) ?? 0) + 1);
    const doc = docs.get(ref.documentId) ?? (await catalog.getDocument(tenantId, ref.documentId)) ?? undefined;
    const belongs = doc && doc.status === 'indexed' && ref.version === doc.version && ref.chunkIndex < doc.chunks;
    if (!belongs) {
      report.orphans += 1;
      if (report.problems.length < 200) {
        report.problems.push(
          `point ${ref.id}: orphan (document ${doc ? `${doc.filename} ${doc.status} v${doc.version}` : `${ref.documentId} unknown`}, v${ref.version} #${ref.chunkIndex})`,
        );
      }
      continue;
    }
    perDocument.set(ref.documentId, (perDocument.get(ref.documentId) ?? 0) + 1);
  }
  for (const [id, count] of seen) {
    if (count > 1) {
      report.duplicates += count - 1;
      report.problems.push(`point ${id}: stored ${count} times`);
    }
  }
  for (const doc of docs.values()) {
    if (doc.status !== 'indexed') continue;
    const points = perDocument.get(doc.id) ?? 0;
    if (points < doc.chunks) {
      report.missingPoints += doc.chunks - points;
      report.problems.push(`${doc.filename}: indexed with ${points} of ${doc.chunks} points`);
    }
  }

  for (const frame of input.lastFrames ?? []) {
    for (const shown of frame.documents) {
      const doc = docs.get(shown.documentId);
      if (doc && doc.status !== shown.status) {
        report.sseMismatches += 1;
        report.problems.push(`${doc.filename}: last SSE frame says ${shown.status}, the catalog ${doc.status}`);
      }
    }
  }
  return report;
}

/** True when a report shows none of the failures the harness exists to catch. */
export function isClean(report: InvariantReport): boolean {
  return report.lost === 0 && report.duplicates === 0 && report.orphans === 0 && report.missingPoints === 0 && report.sseMismatches === 0;
}
