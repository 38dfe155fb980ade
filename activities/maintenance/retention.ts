/**
 * Retention clean-up. Intermediate artifacts (parsed text, chunk groups, vectors) exist to make
 * retries resume and reconciliation cheap; after `artifactDays` a finished document's are
 * removed. Stored uploads are kept unless `uploadDays` is set: a removed upload can no longer
 * be retried or re-parsed, so that is the operator's explicit choice. Uploads are content-
 * addressed and shared, so one is removed only when every document using it, in any tenant,
 * has been finished for longer than the retention period.
 *
 * Stray files are swept too: an API process that dies in the middle of an upload leaves a staged
 * file, or a stored upload whose batch was never written to the catalog. Both are removed once
 * they are older than `strayFileGraceMs`, which must outlast the slowest upload request (an
 * upload in flight stores its files before it writes their documents).
 */
import type { BlobStore } from '../../adapters/blob-store.js';
import type { Catalog, DocumentRecord } from '../../adapters/catalog.js';
import { isTerminalDocument } from '../../core/progress.js';
import { chunkManifestKey, documentArtifactPrefix, parsedKey } from '../artifacts.js';
import { pages } from '../../core/paging.js';

export interface RetentionPolicy {
  /** Days after a document finished that its intermediate artifacts are kept. */
  artifactDays: number;
  /** Days after every user of an upload finished that the upload is kept; null keeps uploads forever. */
  uploadDays: number | null;
  /** Age after which a staged file, or an upload no document uses, is a leftover (default a day). */
  strayFileGraceMs?: number;
}

/** Far longer than any upload request takes. */
export const STRAY_FILE_GRACE_MS = 24 * 60 * 60 * 1000;

export interface RetentionDeps {
  catalog: Catalog;
  blobs: BlobStore;
}

export interface RetentionReport {
  documentsChecked: number;
  artifactsRemoved: number;
  uploadsRemoved: number;
  /** Stored uploads no document in any tenant uses (the batch that stored them was never recorded). */
  strayUploadsRemoved: number;
  /** Staged files of uploads that never finished. */
  stagedFilesRemoved: number;
}

const DAY_MS = 86_400_000;
/** Applies the policy at time `now` (ms since epoch); idempotent. */
export async function applyRetention(deps: RetentionDeps, policy: RetentionPolicy, now: number, heartbeat: () => void = () => {}): Promise<RetentionReport> {
  const report: RetentionReport = { documentsChecked: 0, artifactsRemoved: 0, uploadsRemoved: 0, strayUploadsRemoved: 0, stagedFilesRemoved: 0 };
  const finishedBefore = (doc: DocumentRecord, days: number) => isTerminalDocument(doc.status) && doc.finishedAt !== null && doc.finishedAt < now - days * DAY_MS;
  // Per upload: may it go? One document still inside its retention period keeps it.
  const uploadExpired = new Map<string, boolean>();
  const referenced = new Set<string>();

  for (const tenant of await deps.catalog.listTenants()) {
    for await (const page of pages((offset, limit) => deps.catalog.listDocuments(tenant.id, { limit, offset }))) {
      for (const doc of page) {
        report.documentsChecked++;
        referenced.add(doc.blobKey);
        if (finishedBefore(doc, policy.artifactDays)) {
          const prefix = documentArtifactPrefix(doc.tenantId, doc.id, doc.version);
          if ((await deps.blobs.artifactSize(parsedKey(prefix))) !== null || (await deps.blobs.artifactSize(chunkManifestKey(`${prefix}/chunks`))) !== null) {
            await deps.blobs.deleteArtifacts(`${doc.tenantId}/${doc.id}`);
            report.artifactsRemoved++;
          }
        }
        if (policy.uploadDays !== null) {
          const expired = finishedBefore(doc, policy.uploadDays);
          uploadExpired.set(doc.blobKey, (uploadExpired.get(doc.blobKey) ?? true) && expired);
        }
      }
      heartbeat();
    }
  }
  for (const [blobKey, expired] of uploadExpired) {
    if (!expired || !(await deps.blobs.hasBlob(blobKey))) continue;
    await deps.blobs.deleteBlob(blobKey);
    report.uploadsRemoved++;
  }

  // Uploads younger than the grace may belong to an upload whose documents are being written now.
  const strayBefore = now - (policy.strayFileGraceMs ?? STRAY_FILE_GRACE_MS);
  for await (const upload of deps.blobs.listBlobs()) {
    if (referenced.has(upload.blobKey) || upload.modifiedAt >= strayBefore) continue;
    if (await deps.blobs.deleteBlob(upload.blobKey, { onlyIfOlderThan: strayBefore })) report.strayUploadsRemoved++;
  }
  heartbeat();
  report.stagedFilesRemoved = await deps.blobs.removeStagedBefore(strayBefore);
  return report;
}
