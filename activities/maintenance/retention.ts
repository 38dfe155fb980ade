/**
 * Retention clean-up. Intermediate artifacts (parsed text, chunk groups, vectors) exist to make
 * retries resume and reconciliation cheap; after `artifactDays` a finished document's are
 * removed. Stored uploads are kept unless `uploadDays` is set: a removed upload can no longer
 * be retried or re-parsed, so that is the operator's explicit choice. Uploads are content-
 * addressed and shared, so one is removed only when every document using it, in any tenant,
 * has been finished for longer than the retention period.
 *
 * The same run cleans the store itself: staged uploads and multipart uploads that were never
 * finished (a process died mid-upload) and objects the catalog does not account for
 * (store-audit.ts), so the store never keeps what no record points to.
 */
import type { BlobStore } from '../../adapters/blob-store.js';
import type { Catalog, DocumentRecord } from '../../adapters/catalog.js';
import { isTerminalDocument } from '../../core/progress.js';
import { chunkManifestKey, documentArtifactPrefix, parsedKey } from '../artifacts.js';
import { pages } from '../../core/paging.js';
import { addDocument, emptyReferences, findUnaccounted, removeUnaccounted } from './store-audit.js';

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
  /** Uploads no document refers to (e.g. the API died between storing a file and recording its batch). */
  orphanUploadsRemoved: number;
  /** Document versions whose artifacts outlived their document (an interrupted delete). */
  orphanArtifactsRemoved: number;
  /** Staged uploads never committed or discarded, and local scratch files of dead processes. */
  stagedRemoved: number;
  /** Multipart uploads to the object store that were never completed nor aborted. */
  multipartAborted: number;
}

const DAY_MS = 86_400_000;
// An upload in progress is never older than this; staging left longer was abandoned.
const STAGING_GRACE_MS = DAY_MS;
// Between storing an upload and recording its batch, or writing an artifact and its document
// version being known, only moments pass; an hour keeps any object of a live request safe.
const ORPHAN_GRACE_MS = 60 * 60 * 1000;
/** Applies the policy at time `now` (ms since epoch); idempotent. */
export async function applyRetention(deps: RetentionDeps, policy: RetentionPolicy, now: number, heartbeat: () => void = () => {}): Promise<RetentionReport> {
  const report: RetentionReport = {
    documentsChecked: 0,
    artifactsRemoved: 0,
    uploadsRemoved: 0,
    orphanUploadsRemoved: 0,
    orphanArtifactsRemoved: 0,
    stagedRemoved: 0,
    multipartAborted: 0,
  };
  // Filled during the walk below; whatever is recorded after it is younger than the grace period.
  const references = emptyReferences();
  const finishedBefore = (doc: DocumentRecord, days: number) => isTerminalDocument(doc.status) && doc.finishedAt !== null && doc.finishedAt < now - days * DAY_MS;
  // Per upload: may it go? One document still inside its retention period keeps it.
  const uploadExpired = new Map<string, boolean>();

  for (const tenant of await deps.catalog.listTenants()) {
    for await (const page of pages((offset, limit) => deps.catalog.listDocuments(tenant.id, { limit, offset }))) {
      for (const doc of page) {
        report.documentsChecked++;
        addDocument(references, doc);
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

  const swept = await deps.blobs.sweepStaging(new Date(now - STAGING_GRACE_MS));
  report.stagedRemoved = swept.stagedRemoved;
  report.multipartAborted = swept.multipartAborted;
  const unaccounted = await findUnaccounted(deps.blobs, references, new Date(now - ORPHAN_GRACE_MS));
  await removeUnaccounted(deps.blobs, unaccounted, heartbeat);
  report.orphanUploadsRemoved = unaccounted.blobKeys.length;
  report.orphanArtifactsRemoved = unaccounted.artifactPrefixes.length;
  return report;
}
