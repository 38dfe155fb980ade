/**
 * The steps of an embedding-model switch (workflows/model-switch.ts). The new space is filled
 * from the active space's own points: their payloads hold each chunk's text and provenance, so a
 * switch re-embeds text and never parses or chunks a document again, and the new points keep the
 * same ids, versions and payloads. Every step is idempotent, so Temporal can retry any of them.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Catalog, DocumentRecord } from '../adapters/catalog.js';
import type { LiveSpace, TenantSpaces } from '../adapters/index-spaces.js';
import type { PointPayload, VectorPoint, VectorStore } from '../adapters/vector-store.js';
import { DocumentError } from '../core/formats.js';
import { pointId } from '../core/ids.js';
import { pages } from '../core/paging.js';
import { isTerminalDocument } from '../core/progress.js';
import type { CopyToSpaceOutput, ModelSwitchActivities } from './contracts.js';
import { belongsToIndex } from './maintenance/reconcile.js';

export interface ModelSwitchDeps {
  catalog: Catalog;
  /** The store over every generation (forGeneration, dropCollection). */
  vectors: VectorStore;
  spaces: TenantSpaces;
}

/** Chunks read and embedded per request while copying one document. */
const COPY_SLICE = 256;

/** Heartbeats inside an activity; a no-op when called directly (tests). */
function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // not in an activity context
  }
}

/** The version a re-index is building, whose points are copied too (its run may have written them before the switch began). */
function versionsToCopy(doc: DocumentRecord): number[] {
  return doc.pendingVersion !== null && doc.pendingVersion > doc.activeVersion ? [doc.activeVersion, doc.pendingVersion] : [doc.activeVersion];
}

export function createModelSwitchActivities(deps: ModelSwitchDeps): ModelSwitchActivities {
  const target = async (tenantId: string, generation: number): Promise<LiveSpace> => {
    const space = await deps.spaces.generation(tenantId, generation);
    if (!space) throw ApplicationFailure.nonRetryable(`index space ${generation} of tenant ${tenantId} no longer exists`, 'IndexSpaceGone');
    return space;
  };

  /** Every stored chunk of one version, a slice at a time. */
  async function* storedChunks(store: VectorStore, tenantId: string, documentId: string, version: number): AsyncGenerator<PointPayload[]> {
    for (let from = 0; ; from += COPY_SLICE) {
      const slice = await store.documentChunks(tenantId, documentId, version, from, COPY_SLICE);
      if (slice.length > 0) yield slice;
      if (slice.length < COPY_SLICE) return;
    }
  }

  const copyDocument = async (source: LiveSpace, into: LiveSpace, doc: DocumentRecord) => {
    for (const version of versionsToCopy(doc)) {
      for await (const slice of storedChunks(source.vectors, doc.tenantId, doc.id, version)) {
        const vectors = await into.embedder.embed(
          slice.map((p) => p.text),
          'passage',
        );
        const points: VectorPoint[] = slice.map((payload, i) => ({ id: pointId(doc.tenantId, doc.id, payload.version, payload.chunkIndex), vector: vectors[i], payload }));
        await into.vectors.upsert(doc.tenantId, points);
        heartbeat();
      }
    }
  };

  /** Whether the new space already holds every chunk of the document's active version. */
  const complete = async (into: LiveSpace, doc: DocumentRecord) => {
    const present = await into.vectors.documentChunks(doc.tenantId, doc.id, doc.activeVersion, 0, doc.chunks + 1);
    return present.length === doc.chunks;
  };

  return {
    async openIndexSpace({ tenantId, model, workflowId }) {
      const spaces = await deps.catalog.listIndexSpaces(tenantId);
      const mine = spaces.find((s) => s.workflowId === workflowId && s.state === 'building');
      const active = await deps.spaces.active(tenantId);
      let generation = mine?.generation;
      if (generation === undefined) {
        // Temporal runs one switch per tenant at a time, so a space another run was building or
        // retiring belongs to a run that ended without cleaning up (terminated): finish its clean-up.
        for (const leftover of spaces.filter((s) => s.state === 'building' || s.state === 'retiring')) {
          await deps.vectors.forGeneration(leftover.generation).dropCollection(tenantId);
          await deps.catalog.closeIndexSpace(tenantId, leftover.generation);
        }
        if (!deps.spaces.models.names.includes(model)) {
          throw ApplicationFailure.nonRetryable(`embedding model ${JSON.stringify(model)} is not configured; available: ${deps.spaces.models.names.join(', ')}`, 'UnknownModel');
        }
        if (active.model === model) throw ApplicationFailure.nonRetryable(`the tenant already uses ${model}`, 'SameModel');
        // Asking the endpoint for the vector size also proves the new model answers before anything is built.
        const dimensions = await deps.spaces.models.forModel(model).dimensions();
        const opened = await deps.catalog.beginIndexSpace(tenantId, { model, dimensions, workflowId }, { model: active.model, dimensions: await active.embedder.dimensions() });
        if (!opened) throw ApplicationFailure.nonRetryable('another embedding-model switch of this tenant is still running or retiring its old collection', 'SwitchInProgress');
        generation = opened.generation;
      }
      const space = await target(tenantId, generation);
      await space.vectors.ensureCollection(tenantId, await space.embedder.dimensions());
      let documents = 0;
      for await (const page of pages((offset, limit) => deps.catalog.listDocuments(tenantId, { limit, offset, status: 'indexed' }))) documents += page.length;
      return { generation, previousGeneration: active.generation, previousModel: active.model, documents };
    },

    async copyToIndexSpace({ tenantId, generation, after, limit, verify }) {
      const into = await target(tenantId, generation);
      const source = await deps.spaces.active(tenantId);
      if (source.generation === generation) throw ApplicationFailure.nonRetryable(`index space ${generation} is already active`, 'IndexSpaceActive');
      const page = await deps.catalog.listDocumentsAfter(tenantId, after, limit);
      const out: CopyToSpaceOutput = { next: page.length === limit ? page[page.length - 1].id : null, documents: 0, copied: 0, failed: [] };
      for (const doc of page) {
        if (doc.status !== 'indexed') continue;
        out.documents++;
        if (verify && (await complete(into, doc))) continue;
        try {
          await copyDocument(source, into, doc);
          out.copied++;
        } catch (err) {
          // The new model refuses this text for good: the switch must not swap to an index without it.
          if (!(err instanceof DocumentError)) throw err;
          out.failed.push({ documentId: doc.id, filename: doc.filename, reason: err.message });
        }
      }
      return out;
    },

    async pruneIndexSpace({ tenantId, generation }) {
      const into = await target(tenantId, generation);
      const refs = await into.vectors.listPointRefs(tenantId);
      const stale: string[] = [];
      const docs = new Map<string, DocumentRecord | null>();
      for (const ref of refs) {
        if (!docs.has(ref.documentId)) docs.set(ref.documentId, await deps.catalog.getDocument(tenantId, ref.documentId));
        const doc = docs.get(ref.documentId);
        // Documents still in a run are left to it; the verification pass checks them again.
        if (doc && !isTerminalDocument(doc.status)) continue;
        if (!doc || doc.status !== 'indexed' || !belongsToIndex(doc, ref)) stale.push(ref.id);
      }
      await into.vectors.deletePoints(tenantId, stale);
      return { removed: stale.length };
    },

    async activateIndexSpace({ tenantId, generation }) {
      if (await deps.catalog.activateIndexSpace(tenantId, generation)) return;
      const row = (await deps.catalog.listIndexSpaces(tenantId)).find((s) => s.generation === generation);
      // A retry after the write landed finds it done.
      if (row?.state === 'active') return;
      throw ApplicationFailure.nonRetryable(`index space ${generation} is ${row?.state ?? 'missing'}, not being built`, 'IndexSpaceNotBuilding');
    },

    async dropIndexSpace({ tenantId, generation }) {
      const row = (await deps.catalog.listIndexSpaces(tenantId)).find((s) => s.generation === generation);
      if (row?.state === 'active') throw ApplicationFailure.nonRetryable(`index space ${generation} serves search; it cannot be dropped`, 'IndexSpaceActive');
      await deps.vectors.forGeneration(generation).dropCollection(tenantId);
      await deps.catalog.closeIndexSpace(tenantId, generation);
    },
  };
}
