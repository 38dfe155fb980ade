/**
 * The guarantees the fault-injection harness checks after every scenario, over the real stores
 * of the run: nothing lost, nothing duplicated, no orphan points or files, and what a watcher
 * saw last is what the catalog says. Pure over injected stores, so the same checks run in the harness and
 * in its unit test.
 */
import type { BlobStore } from '../adapters/blob-store.js';
import type { Catalog, DocumentRecord } from '../adapters/catalog.js';
import type { VectorStore } from '../adapters/vector-store.js';
import type { BatchView } from '../core/contracts.js';
import { pages, readAllPages } from '../core/paging.js';

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
  /** After the retention run: stored uploads no document of any tenant uses, and staged leftovers. */
  orphanFiles: number;
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
  /** Staged upload files still on disk (none may survive the retention run). */
  stagedFiles?: number;
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
    orphanFiles: 0,
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
    // The active version is the one the catalog vouches for (a failed re-index leaves a newer version number behind it).
    const belongs = doc && doc.status === 'indexed' && ref.version === doc.activeVersion && ref.chunkIndex < doc.chunks;
    if (!belongs) {
      report.orphans += 1;
      if (report.problems.length < 200) {
        report.problems.push(
          `point ${ref.id}: orphan (document ${doc ? `${doc.filename} ${doc.status} v${doc.activeVersion}` : `${ref.documentId} unknown`}, v${ref.version} #${ref.chunkIndex})`,
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

  // Every upload a document of any tenant uses; anything else in the store is an orphan file.
  const used = new Set<string>();
  for (const tenant of await catalog.listTenants()) {
    for await (const page of pages((offset, limit) => catalog.listDocuments(tenant.id, { limit, offset }))) for (const doc of page) used.add(doc.blobKey);
  }
  for await (const upload of blobs.listBlobs()) {
    if (used.has(upload.key)) continue;
    report.orphanFiles += 1;
    report.problems.push(`upload ${upload.key}: stored, but no document uses it`);
  }
  if (input.stagedFiles) {
    report.orphanFiles += input.stagedFiles;
    report.problems.push(`${input.stagedFiles} staged upload files left behind`);
  }

  // What a watcher saw last must be the catalog's final word: batch status and every document.
  for (const frame of input.lastFrames ?? []) {
    const batch = await catalog.getBatch(tenantId, frame.batchId);
    if (batch && batch.status !== frame.status) {
      report.sseMismatches += 1;
      report.problems.push(`batch ${frame.batchId}: last SSE frame says ${frame.status}, the catalog ${batch.status}`);
    }
    const shown = new Map(frame.documents.map((d) => [d.documentId, d]));
    for (const doc of await readAllPages((offset, limit) => catalog.listBatchDocuments(tenantId, frame.batchId, offset, limit))) {
      const seen = shown.get(doc.id);
      if (!seen || seen.status !== doc.status || (seen.error?.code ?? null) !== (doc.errorCode ?? null)) {
        report.sseMismatches += 1;
        report.problems.push(
          `${doc.filename}: last SSE frame says ${seen ? `${seen.status} ${seen.error?.code ?? ''}` : 'nothing'}, the catalog ${doc.status} ${doc.errorCode ?? ''}`,
        );
      }
    }
  }
  return report;
}

/** True when a report shows none of the failures the harness exists to catch. */
export function isClean(report: InvariantReport): boolean {
  return report.lost === 0 && report.duplicates === 0 && report.orphans === 0 && report.orphanFiles === 0 && report.missingPoints === 0 && report.sseMismatches === 0;
}
