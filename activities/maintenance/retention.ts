/**
 * Retention clean-up. Intermediate artifacts (parsed text, chunk groups, vectors) exist to make
 * retries resume and reconciliation cheap; after `artifactDays` a finished document's are
 * removed. Stored uploads are kept unless `uploadDays` is set: a removed upload can no longer
 * be retried or re-parsed, so that is the operator's explicit choice. Uploads are content-
 * addressed and shared, so one is removed only when every document using it, in any tenant,
 * has been finished for longer than the retention period.
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
}

export interface RetentionDeps {
  catalog: Catalog;
  blobs: BlobStore;
}

export interface RetentionReport {
  documentsChecked: number;
  artifactsRemoved: number;
  uploadsRemoved: number;
}

const DAY_MS = 86_400_000;
/** Applies the policy at time `now` (ms since epoch); idempotent. */
export async function applyRetention(deps: RetentionDeps, policy: RetentionPolicy, now: number, heartbeat: () => void = () => {}): Promise<RetentionReport> {
  const report: RetentionReport = { documentsChecked: 0, artifactsRemoved: 0, uploadsRemoved: 0 };
  const finishedBefore = (doc: DocumentRecord, days: number) => isTerminalDocument(doc.status) && doc.finishedAt !== null && doc.finishedAt < now - days * DAY_MS;
  // Per upload: may it go? One document still inside its retention period keeps it.
  const uploadExpired = new Map<string, boolean>();

  for (const tenant of await deps.catalog.listTenants()) {
    for await (const page of pages((offset, limit) => deps.catalog.listDocuments(tenant.id, { limit, offset }))) {
      for (const doc of page) {
        report.documentsChecked++;
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
  return report;
}
