/**
 * Activity factories. Every dependency is passed in, so tests hand over real stores in temp
 * dirs or fakes, and the worker builds the production set once at start.
 */
import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DocumentError, type DocFormat, DOC_FORMATS } from '../core/formats.js';
import type { ParsedDocument } from '../core/parsed.js';
import { chunkDocument, chunkOptionsWith, type ChunkOptions } from '../core/chunking.js';
import type { BlobStore } from '../adapters/blob-store.js';
import type { Catalog } from '../adapters/catalog.js';
import { EmbeddingResponseError } from '../adapters/embedder.js';
import type { LiveSpace, TenantSpaces } from '../adapters/index-spaces.js';
import type { VectorPoint, VectorStore } from '../adapters/vector-store.js';
import { chunkPoints } from './points.js';
import {
  chunkGroupKey,
  chunkManifestKey,
  type ChunkManifest,
  ChunkGroupSchema,
  ChunkManifestSchema,
  decodeVectors,
  documentArtifactPrefix,
  encodeVectors,
  ParsedDocumentSchema,
  parsedKey,
  readJsonArtifact,
  vectorsKey,
  type ChunkGroup,
} from './artifacts.js';
import type {
  ChunkInput,
  ChunkOutput,
  IndexActivities,
  IndexedRange,
  IndexItem,
  ParseActivities,
  ParseInput,
  ParseOutput,
  PipelineStep,
  PreparedDocument,
  PrepareInput,
  PrepareItem,
  StepFailure,
} from './contracts.js';
import { classified } from './failures.js';
import { batchOutcome } from './batch-outcome.js';
import type { BatchStatus } from '../core/progress.js';

/** What the parse step needs from the isolated parser pool. */
export interface DocumentParser {
  parse(filePath: string, format: DocFormat, signal?: AbortSignal): Promise<ParsedDocument>;
}

export interface ParseDeps {
  blobs: BlobStore;
  parser: DocumentParser;
  chunking: { maxTokens: number; overlapTokens: number };
  heartbeatMs?: number;
}

/** Runs `work` while heartbeating, so cancellation and a dead worker are both noticed quickly. */
async function withHeartbeat<T>(everyMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

/** Why one document's step failed, as the workflow needs it: code, message, and whether to retry. */
export function stepFailure(step: PipelineStep, err: unknown): StepFailure {
  if (err instanceof DocumentError) return { step, code: err.code, message: err.message, retryable: false };
  return { step, code: 'internal_error', message: err instanceof Error ? err.message : String(err), retryable: true };
}

/** Rethrows when the activity was cancelled, so a cancelled group ends as cancelled, not as failures. */
function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason;
}

/** Where a document version's chunk groups and manifest are stored. */
const chunksKeyOf = (doc: { tenantId: string; documentId: string; version: number }) => `${documentArtifactPrefix(doc.tenantId, doc.documentId, doc.version)}/chunks`;

/** Parse and chunk: CPU-bound, served by the parse worker pool. */
export function createParseActivities(deps: ParseDeps): ParseActivities {
  const heartbeatMs = deps.heartbeatMs ?? 5_000;

  /**
   * Parses one document, or reuses the parsed artifact an earlier attempt stored. Inside a group
   * the group's heartbeat and signal are used; alone, it heartbeats itself. `store` writes the
   * result as an artifact; a group stores it only when chunking fails (see prepareOne).
   */
  const parseOne = async (input: ParseInput, signal?: AbortSignal, store = true): Promise<ParseOutput & { parsed: ParsedDocument; stored: boolean }> => {
    if (!(DOC_FORMATS as readonly string[]).includes(input.format)) {
      throw new DocumentError('unsupported_type', `format ${input.format} is not supported`);
    }
    const key = parsedKey(documentArtifactPrefix(input.tenantId, input.documentId, input.version));
    const stored = (await deps.blobs.artifactSize(key)) !== null;
    if (!stored && !(await deps.blobs.hasBlob(input.blobKey))) {
      throw new DocumentError('upload_expired', 'The uploaded file is no longer stored (removed by the retention policy); upload it again.');
    }
    // A retry of a document that got past parsing reuses the stored result instead of parsing again.
    let parsed: ParsedDocument;
    if (stored) parsed = await readJsonArtifact(deps.blobs, key, ParsedDocumentSchema);
    else {
      // A local file for the parser: the stored file itself on disk, a temporary copy from an object store,
      // released once parsed.
      const parse = async (abort: AbortSignal) => {
        const file = await deps.blobs.localCopy(input.blobKey);
        return deps.parser.parse(file.path, input.format as DocFormat, abort).finally(() => file.release());
      };
      parsed = signal ? await parse(signal) : await withHeartbeat(heartbeatMs, parse);
      if (store) await deps.blobs.writeArtifact(key, JSON.stringify(parsed));
    }
    const characters = parsed.sections.reduce((n, s) => n + s.text.length, 0);
    return { parsedKey: key, sections: parsed.sections.length, characters, parsed, stored: stored || store };
  };

  /** The finished chunk step of an earlier attempt or run (its manifest, for the same group size), or null. */
  const chunkedBefore = async (chunksKey: string, groupSize: number): Promise<ChunkOutput | null> => {
    if ((await deps.blobs.artifactSize(chunkManifestKey(chunksKey))) === null) return null;
    const manifest = await readJsonArtifact(deps.blobs, chunkManifestKey(chunksKey), ChunkManifestSchema);
    return manifest.groupSize === groupSize ? { chunksKey, chunkCount: manifest.chunkCount } : null;
  };

  /**
   * Chunks a parsed document into stored groups of `groupSize`, unless a finished manifest says
   * it is done. `parsed` is the document when the caller has it in memory (no second read).
   */
  const chunkOne = async (input: ChunkInput, parsed?: ParsedDocument, chunking: ChunkOptions = deps.chunking): Promise<ChunkOutput> => {
    const chunksKey = chunksKeyOf(input);
    // In a group the caller looked for an earlier result already, before parsing.
    const before = parsed ? null : await chunkedBefore(chunksKey, input.groupSize);
    if (before) return before;
    const chunks = chunkDocument(parsed ?? (await readJsonArtifact(deps.blobs, input.parsedKey, ParsedDocumentSchema)), chunking);
    if (chunks.length === 0) {
      throw new DocumentError('no_extractable_text', 'The file contains no text that could be extracted (is it a scan or empty?).');
    }
    const groups: Promise<void>[] = [];
    for (let start = 0; start < chunks.length; start += input.groupSize) {
      const group: ChunkGroup = chunks.slice(start, start + input.groupSize);
      groups.push(deps.blobs.writeArtifact(chunkGroupKey(chunksKey, start), JSON.stringify(group)));
    }
    await Promise.all(groups);
    // Written last: its presence means every group is stored.
    const manifest: ChunkManifest = { chunkCount: chunks.length, groupSize: input.groupSize };
    await deps.blobs.writeArtifact(chunkManifestKey(chunksKey), JSON.stringify(manifest));
    return { chunksKey, chunkCount: chunks.length };
  };

  /**
   * Parse then chunk one document of a group; its failure is its own, reported with the step.
   * Chunks from an earlier attempt are reused without parsing. The parsed text is stored only if
   * chunking fails retryably, for the retry: once the chunks are stored nothing reads it, and
   * every file write counts when a group holds many small documents.
   */
  const prepareOne = async (input: PrepareInput, item: PrepareItem, signal: AbortSignal): Promise<PreparedDocument> => {
    const base = { tenantId: input.tenantId, batchId: input.batchId, documentId: item.documentId, version: item.version };
    let step: PipelineStep = 'parse';
    try {
      const before = await chunkedBefore(chunksKeyOf(base), input.groupSize);
      if (before) return { documentId: item.documentId, ok: true, ...before };
      const parsed = await parseOne({ ...base, format: item.format, blobKey: item.blobKey }, signal, false);
      step = 'chunk';
      try {
        const chunked = await chunkOne({ ...base, parsedKey: parsed.parsedKey, groupSize: input.groupSize }, parsed.parsed, chunkOptionsWith(deps.chunking, input.chunking));
        return { documentId: item.documentId, ok: true, ...chunked };
      } catch (err) {
        if (!parsed.stored && !(err instanceof DocumentError)) await deps.blobs.writeArtifact(parsed.parsedKey, JSON.stringify(parsed.parsed)).catch(() => undefined);
        throw err;
      }
    } catch (err) {
      throwIfCancelled(signal);
      return { documentId: item.documentId, ok: false, failure: stepFailure(step, err) };
    }
  };

  return {
    // The documents go to the parse pool together; the pool runs as many at once as it has children.
    prepareDocuments: (input) =>
      withHeartbeat(heartbeatMs, async (signal) => {
        // Every document of the group listens for the activity's cancellation while it waits for a child.
        setMaxListeners(Math.max(10, input.documents.length + 2), signal);
        return { documents: await Promise.all(input.documents.map((item) => prepareOne(input, item, signal))) };
      }),
    parseDocument: (input) =>
      classified(async () => {
        const { parsedKey: key, sections, characters } = await parseOne(input);
        return { parsedKey: key, sections, characters };
      }),
    chunkDocument: (input) => classified(() => chunkOne(input)),
  };
}

/** One range of an index pack while it is being worked on. */
interface PackRange {
  item: IndexItem;
  key: string;
  chunks: ChunkGroup;
  vectors: number[][] | null;
  /** The vectors came from storage (an earlier attempt), so they need no writing. */
  stored: boolean;
}

/** The document whose chunk is text number `input` of the ranges' texts, in order. */
function documentOfInput(ranges: PackRange[], input: number): string | undefined {
  let before = 0;
  for (const r of ranges) {
    if (input < before + r.chunks.length) return r.item.documentId;
    before += r.chunks.length;
  }
  return undefined;
}

export interface IndexDeps {
  blobs: BlobStore;
  catalog: Catalog;
  /** The store as routed by index space (adapters/index-spaces.ts): deletes reach every space. */
  vectors: VectorStore;
  /** Which space (collection and embedding model) each write goes to. */
  spaces: TenantSpaces;
  heartbeatMs?: number;
}

/** Embed, upsert and bookkeeping: I/O-bound, served by the index worker pool. */
export function createIndexActivities(deps: IndexDeps): IndexActivities {
  const heartbeatMs = deps.heartbeatMs ?? 5_000;
  const readGroup = async (chunksKey: string, start: number, end: number): Promise<ChunkGroup> => {
    const group = await readJsonArtifact(deps.blobs, chunkGroupKey(chunksKey, start), ChunkGroupSchema);
    if (group.length !== end - start) throw new Error(`chunk group ${start} has ${group.length} chunks, expected ${end - start}`);
    return group;
  };
  const vectorsKeyOf = (space: LiveSpace, tenantId: string, documentId: string, version: number, start: number) =>
    vectorsKey(documentArtifactPrefix(tenantId, documentId, version), start, space.generation);
  /** Vectors stored for a range by an earlier attempt or run: never paid for twice. */
  const hasVectors = async (key: string, rows: number, dimensions: number) => (await deps.blobs.artifactSize(key)) === rows * dimensions * Float32Array.BYTES_PER_ELEMENT;

  /**
   * Embeds the ranges that have no stored vectors, all texts in one call (the embedder splits it
   * into requests within the endpoint's limits). A refusal the endpoint will repeat is pinned on
   * the document that caused it, and the others are embedded again without it: directly when the
   * error names the bad input (a vector of the wrong size), else by embedding each document on its
   * own. A bad answer is never retried for the document it hit: the endpoint may well answer
   * correctly the second time, and the document would index on an answer nobody can vouch for.
   * Anything transient is thrown, so the whole pack is retried; except once a document has been
   * refused: its failure must be reported, or the pack's retry would embed it again, so the
   * ranges not embedded yet come back as retryable failures of their own instead.
   */
  const embedMissing = async (space: LiveSpace, ranges: PackRange[], failures: Map<PackRange, StepFailure>, signal: AbortSignal): Promise<void> => {
    try {
      await embedPinningRefusals(space, ranges, failures, signal);
    } catch (err) {
      if (failures.size === 0 || signal.aborted) throw err;
      for (const r of ranges) if (!r.vectors && !failures.has(r)) failures.set(r, stepFailure('embed', err));
    }
  };

  const embedPinningRefusals = async (space: LiveSpace, ranges: PackRange[], failures: Map<PackRange, StepFailure>, signal: AbortSignal): Promise<void> => {
    const embedInto = async (some: PackRange[]) => {
      const vectors = await space.embedder.embed(
        some.flatMap((r) => r.chunks.map((c) => c.text)),
        'passage',
        signal,
      );
      let at = 0;
      for (const r of some) {
        r.vectors = vectors.slice(at, at + r.chunks.length);
        at += r.chunks.length;
      }
    };
    const fail = (documentId: string, err: unknown) => {
      for (const r of ranges) if (r.item.documentId === documentId) failures.set(r, stepFailure('embed', err));
    };
    let pending = ranges;
    while (pending.length > 0) {
      try {
        await embedInto(pending);
        return;
      } catch (err) {
        if (!(err instanceof DocumentError)) throw err;
        const documents = [...new Set(pending.map((r) => r.item.documentId))];
        const culprit = err instanceof EmbeddingResponseError && err.input !== undefined ? documentOfInput(pending, err.input) : documents.length === 1 ? documents[0] : undefined;
        if (culprit === undefined) break;
        fail(culprit, err);
        pending = pending.filter((r) => r.item.documentId !== culprit);
      }
    }
    if (pending.length === 0) return;
    // A refusal that names no input: each document on its own finds out which of them it was.
    for (const documentId of new Set(pending.map((r) => r.item.documentId))) {
      try {
        await embedInto(pending.filter((r) => r.item.documentId === documentId));
      } catch (err) {
        if (!(err instanceof DocumentError)) throw err;
        fail(documentId, err);
      }
    }
  };

  /**
   * During an embedding-model switch the pack's chunks also go to the space being built, embedded
   * by that space's model. Written after the active space, then the tenant's spaces are read
   * again: a switch that began (or swapped) while this pack ran gets the pack too, so the switch's
   * copy, which starts after its space exists, and this write between them miss nothing.
   * The space being built never holds up indexing: if its model refuses a document or its
   * endpoint is down, the document is still indexed in the space that serves search, and the
   * switch's verification pass copies it (or reports it) before any swap. A space that became
   * active while the pack ran is different: it serves search now, so failing to write it fails
   * the pack, which is retried.
   */
  const writeOtherSpaces = async (tenantId: string, batchId: string, written: LiveSpace, building: LiveSpace[], ready: PackRange[], signal: AbortSignal) => {
    const done = new Set([written.generation]);
    const writeTo = async (target: LiveSpace) => {
      done.add(target.generation);
      const points = await embedForSpace(target, tenantId, batchId, ready, signal);
      if (points.length === 0) return;
      await target.vectors.ensureCollection(tenantId, await target.embedder.dimensions());
      await target.vectors.upsert(tenantId, points);
    };
    for (const target of building) {
      try {
        await writeTo(target);
      } catch (err) {
        if (signal.aborted) throw err;
        Context.current().log.warn('writing the index space being built failed; its switch will copy these documents', {
          generation: target.generation,
          model: target.model,
          error: String(err),
        });
      }
    }
    for (const target of await deps.spaces.writable(tenantId)) if (!done.has(target.generation)) await writeTo(target);
  };

  /** The ranges' points as `target`'s model embeds them; ranges of documents it refuses are left out. */
  const embedForSpace = async (target: LiveSpace, tenantId: string, batchId: string, ranges: PackRange[], signal: AbortSignal): Promise<VectorPoint[]> => {
    const pointsOf = async (some: PackRange[]) => {
      const vectors = await target.embedder.embed(
        some.flatMap((r) => r.chunks.map((c) => c.text)),
        'passage',
        signal,
      );
      let at = 0;
      return some.flatMap((r) => {
        const rows = vectors.slice(at, at + r.chunks.length);
        at += r.chunks.length;
        return chunkPoints({ ...r.item, tenantId, batchId }, r.chunks, rows);
      });
    };
    try {
      return await pointsOf(ranges);
    } catch (err) {
      if (!(err instanceof DocumentError)) throw err;
    }
    const points: VectorPoint[] = [];
    for (const documentId of new Set(ranges.map((r) => r.item.documentId))) {
      try {
        points.push(...(await pointsOf(ranges.filter((r) => r.item.documentId === documentId))));
      } catch (err) {
        if (!(err instanceof DocumentError)) throw err;
      }
    }
    return points;
  };

  return {
    async loadShardDocuments({ tenantId, batchId, run, offset, limit }) {
      const docs = await deps.catalog.listBatchDocuments(tenantId, batchId, offset, limit, run);
      return docs.map((d) => ({
        documentId: d.id,
        filename: d.filename,
        format: d.format,
        blobKey: d.blobKey,
        version: d.version,
        duplicateOf: d.duplicateOf,
        size: d.size,
      }));
    },
    indexChunks: (input) =>
      classified(() =>
        withHeartbeat(heartbeatMs, async (signal) => {
          const [space, ...building] = await deps.spaces.writable(input.tenantId);
          const dimensions = await space.embedder.dimensions();
          const ranges: PackRange[] = await Promise.all(
            input.items.map(async (item) => {
              const key = vectorsKeyOf(space, input.tenantId, item.documentId, item.version, item.start);
              const chunks = await readGroup(item.chunksKey, item.start, item.end);
              const vectors = (await hasVectors(key, chunks.length, dimensions)) ? decodeVectors(await deps.blobs.readArtifact(key), dimensions) : null;
              return { item, key, chunks, vectors, stored: vectors !== null };
            }),
          );
          const failures = new Map<PackRange, StepFailure>();
          await embedMissing(
            space,
            ranges.filter((r) => !r.vectors),
            failures,
            signal,
          );
          const ready = ranges.filter((r) => r.vectors && !failures.has(r));
          // Stored before the upsert, so a retry after a failed write does not embed again.
          await Promise.all(ready.filter((r) => !r.stored).map((r) => deps.blobs.writeArtifact(r.key, encodeVectors(r.vectors!))));
          if (ready.length > 0) {
            const points = ready.flatMap((r) => chunkPoints({ ...r.item, tenantId: input.tenantId, batchId: input.batchId }, r.chunks, r.vectors!));
            await space.vectors.ensureCollection(input.tenantId, dimensions);
            // One write for the whole pack: every commit costs the store far more than its rows.
            await space.vectors.upsert(input.tenantId, points);
            await writeOtherSpaces(input.tenantId, input.batchId, space, building, ready, signal);
          }
          return {
            items: ranges.map((r): IndexedRange => {
              const failure = failures.get(r);
              const at = { documentId: r.item.documentId, start: r.item.start };
              return failure ? { ...at, ok: false, failure } : { ...at, ok: true, upserted: r.chunks.length };
            }),
          };
        }),
      ),
    embedChunks: (input) =>
      classified(async () => {
        const space = await deps.spaces.active(input.tenantId);
        const key = vectorsKeyOf(space, input.tenantId, input.documentId, input.version, input.start);
        const dimensions = await space.embedder.dimensions();
        if (await hasVectors(key, input.end - input.start, dimensions)) return { vectorsKey: key, dimensions };
        const group = await readGroup(input.chunksKey, input.start, input.end);
        const vectors = await withHeartbeat(heartbeatMs, (signal) =>
          space.embedder.embed(
            group.map((c) => c.text),
            'passage',
            signal,
          ),
        );
        await deps.blobs.writeArtifact(key, encodeVectors(vectors));
        return { vectorsKey: key, dimensions: vectors[0].length };
      }),
    upsertChunks: (input) =>
      classified(async () => {
        const space = await deps.spaces.active(input.tenantId);
        const group = await readGroup(input.chunksKey, input.start, input.end);
        const dimensions = await space.embedder.dimensions();
        const vectors = decodeVectors(await deps.blobs.readArtifact(input.vectorsKey), dimensions);
        if (vectors.length !== group.length) throw new Error(`vectors artifact has ${vectors.length} rows, expected ${group.length}`);
        const points = chunkPoints(input, group, vectors);
        await space.vectors.ensureCollection(input.tenantId, dimensions);
        await space.vectors.upsert(input.tenantId, points);
        return { upserted: points.length };
      }),
    async recordOutcomes({ tenantId, outcomes, reindex }) {
      const updates = (list: typeof outcomes) =>
        list.map((o) => ({
          documentId: o.documentId,
          status: o.status,
          chunks: o.chunks,
          errorCode: o.error?.code ?? null,
          errorMessage: o.error?.message ?? null,
          attempt: o.attempt,
          startedAt: o.startedAt,
          finishedAt: o.finishedAt,
        }));
      if (reindex) {
        await deps.catalog.activateVersions(tenantId, updates(outcomes.filter((o) => o.status === 'indexed')));
        // A document whose new version failed or was cancelled stays indexed at its active
        // version, as it was; only the reason is kept, since its status cannot tell it.
        const failures = outcomes
          .filter((o) => o.status !== 'indexed' && o.status !== 'skipped')
          .map((o) => ({
            documentId: o.documentId,
            code: o.error?.code ?? 'internal_error',
            message: o.error?.message ?? 'The new version did not complete.',
          }));
        if (failures.length > 0) await deps.catalog.recordReindexFailures(tenantId, failures);
        return;
      }
      await deps.catalog.updateDocuments(tenantId, updates(outcomes));
    },
    async removeDocumentVectors({ tenantId, documentIds, inactiveOnly }) {
      if (inactiveOnly) {
        for (const documentId of documentIds) {
          const doc = await deps.catalog.getDocument(tenantId, documentId);
          // A document deleted meanwhile has no active version to keep.
          const keep = doc?.activeVersion;
          await deps.vectors.deleteDocument(tenantId, documentId, keep);
          const left = await deps.vectors.countDocument(tenantId, documentId, keep);
          if (left !== 0) throw new Error(`document ${documentId} still has ${left} vectors of inactive versions after delete`);
        }
        // Verified above: search need not hold these documents to their active version any more.
        await deps.catalog.settleVersions(tenantId, documentIds);
        return;
      }
      for (const documentId of documentIds) {
        await deps.vectors.deleteDocument(tenantId, documentId);
        const left = await deps.vectors.countDocument(tenantId, documentId);
        // Verified, not assumed: a retry of this activity runs until the store agrees.
        if (left !== 0) throw new Error(`document ${documentId} still has ${left} vectors after delete`);
      }
    },
    async cancelOpenDocuments({ tenantId, batchId, run }) {
      await deps.catalog.cancelOpenDocuments(tenantId, batchId, run, 'The batch was cancelled before this document was processed.');
    },
    async markBatchRunning({ tenantId, batchId, run }) {
      const batch = await deps.catalog.getBatch(tenantId, batchId);
      if (!batch) throw ApplicationFailure.nonRetryable(`batch ${batchId} is not in the catalog`, 'BatchNotFound');
      if (batch.currentRun !== run) {
        // A reset of an old run must not take the batch back from the newer run that replaced it.
        throw ApplicationFailure.nonRetryable(`run ${run} of batch ${batchId} was superseded by run ${batch.currentRun}`, 'RunSuperseded');
      }
      if (batch.status !== 'running') await deps.catalog.setBatchStatus(tenantId, batchId, 'running');
      return { seqBase: batch.finalSeq ?? 0 };
    },
    async finalizeBatch({ tenantId, batchId, status, finalSeq }) {
      await deps.catalog.setBatchStatus(tenantId, batchId, await batchOutcome(deps.catalog, tenantId, batchId, status as BatchStatus), finalSeq);
    },
  };
}
