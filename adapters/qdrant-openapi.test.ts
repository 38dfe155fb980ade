/**
 * Qdrant cannot run on this project's machines, so the Qdrant adapter is checked against Qdrant's
 * own OpenAPI document instead: the real QdrantClient (driven through createQdrantStore) talks to
 * a small local HTTP server that records every request, validates it against the operation the
 * spec defines for that method + path (path and query parameters, JSON body), and answers with
 * Qdrant-shaped responses that are themselves validated against the spec's response schemas.
 * Bodies are checked twice: against the spec as written, and with every documented object closed
 * (no undocumented properties), so a misspelled field cannot slip through an open schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pointId } from '../core/ids.js';
import { keywordTerms, wordSpans } from '../core/keyword-terms.js';
import { createQdrantStore, KEYWORD_CANDIDATES_PER_WORD } from './qdrant-store.js';
import { contractPoint, describeVectorStoreContract } from './vector-store.contract.js';
import type { VectorStore } from './vector-store.js';
import { cosine } from '../test/fixtures/vectors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// QDRANT_OPENAPI_JSON points elsewhere, e.g. from a worktree that is not beside the shared folder.
const specPath = process.env.QDRANT_OPENAPI_JSON ? path.resolve(process.env.QDRANT_OPENAPI_JSON) : path.resolve(repoRoot, '../shared/qdrant/openapi.json');
const specExists = existsSync(specPath);
if (!specExists) {
  console.warn(
    `[qdrant-openapi] skipped: Qdrant's OpenAPI document is not at ${specPath} ` + '(it lives in the shared folder beside the repository: ../shared/qdrant/openapi.json).',
  );
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0 schemas → JSON Schema that ajv understands.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SchemaNode = { [key: string]: Json };

const SPEC_ID = 'qdrant-openapi';
const ANNOTATIONS = new Set(['description', 'default', 'example', 'deprecated', 'title', 'nullable']);

/**
 * Rewrites one schema: `#/...` refs point into the registered document; a bare `{nullable: true}`
 * (schemars' way of writing "or null" inside anyOf) becomes `{type: 'null'}`; with `closeObjects`,
 * an object schema that lists properties but says nothing about others gets
 * `additionalProperties: false`. (The spec uses no allOf, so closing objects cannot reject a
 * valid composition.)
 */
function rewriteSchema(node: Json, closeObjects: boolean): Json {
  if (Array.isArray(node) || node === null || typeof node !== 'object') return node;
  const out: SchemaNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewriteSchema(v, closeObjects)]));
    } else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value)) {
      out[key] = value.map((v) => rewriteSchema(v, closeObjects));
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && typeof value === 'object') {
      out[key] = rewriteSchema(value, closeObjects);
    } else if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) {
      out.$ref = `${SPEC_ID}${value}`;
    } else {
      out[key] = value;
    }
  }
  if (out.nullable === true && out.type === undefined) {
    const constraints = Object.keys(out).filter((k) => !ANNOTATIONS.has(k));
    if (constraints.length === 0) return { type: 'null' };
    const rest = Object.fromEntries(Object.entries(out).filter(([k]) => k !== 'nullable'));
    return { anyOf: [rest, { type: 'null' }] };
  }
  if (closeObjects && out.properties !== undefined && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

const isInt = (n: number) => Number.isInteger(n);
const NUMERIC_FORMATS: Record<string, (n: number) => boolean> = {
  uint: (n) => isInt(n) && n >= 0,
  uint64: (n) => isInt(n) && n >= 0,
  uint32: (n) => isInt(n) && n >= 0 && n <= 0xffff_ffff,
  uint16: (n) => isInt(n) && n >= 0 && n <= 0xffff,
  uint8: (n) => isInt(n) && n >= 0 && n <= 0xff,
  int64: isInt,
  int32: (n) => isInt(n) && Math.abs(n) <= 2 ** 31,
  float: Number.isFinite,
  double: Number.isFinite,
};

function makeAjv(spec: SchemaNode, options: { closeObjects: boolean; coerceTypes: boolean }): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: options.coerceTypes, validateSchema: false });
  const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (a: Ajv) => Ajv;
  addFormats(ajv);
  for (const [name, validate] of Object.entries(NUMERIC_FORMATS)) ajv.addFormat(name, { type: 'number', validate });
  ajv.addFormat('partial-date-time', { type: 'string', validate: () => true });
  const schemas = (spec.components as SchemaNode).schemas as SchemaNode;
  const rewritten = Object.fromEntries(Object.entries(schemas).map(([k, v]) => [k, rewriteSchema(v, options.closeObjects)]));
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: rewritten } });
  return ajv;
}

// ---------------------------------------------------------------------------------------------
// Operations of the spec and a validator for recorded requests.

interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body: unknown;
}

interface Operation {
  operationId: string;
  method: string;
  template: string;
  pattern: RegExp;
  paramNames: string[];
  literalSegments: number;
  pathParams?: ValidateFunction;
  queryParams: ValidateFunction;
  bodyRequired: boolean;
  bodyOpen?: ValidateFunction;
  bodyClosed?: ValidateFunction;
  responses: Map<string, ValidateFunction>;
}

interface MatchedOperation {
  operation: Operation;
  params: Record<string, string>;
}

const formatErrors = (v: ValidateFunction) => (v.errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);

class QdrantSpec {
  readonly operations: Operation[] = [];

  constructor(spec: SchemaNode) {
    const open = makeAjv(spec, { closeObjects: false, coerceTypes: false });
    const closed = makeAjv(spec, { closeObjects: true, coerceTypes: false });
    const params = makeAjv(spec, { closeObjects: false, coerceTypes: true });
    for (const [template, item] of Object.entries(spec.paths as Record<string, SchemaNode>)) {
      for (const [method, raw] of Object.entries(item)) {
        if (!['get', 'put', 'post', 'patch', 'delete'].includes(method)) continue;
        const op = raw as SchemaNode;
        const parameters = ((op.parameters ?? []) as SchemaNode[]).concat((item.parameters ?? []) as SchemaNode[]);
        const paramSchema = (where: string) => {
          const ps = parameters.filter((p) => p.in === where);
          return {
            type: 'object',
            properties: Object.fromEntries(ps.map((p) => [p.name as string, rewriteSchema(p.schema, false)])),
            required: ps.filter((p) => p.required === true).map((p) => p.name as string),
            additionalProperties: false,
          };
        };
        const paramNames = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        const body = ((op.requestBody as SchemaNode | undefined)?.content as SchemaNode | undefined)?.['application/json'] as SchemaNode | undefined;
        const responses = new Map<string, ValidateFunction>();
        for (const [code, response] of Object.entries((op.responses ?? {}) as Record<string, SchemaNode>)) {
          const schema = ((response.content as SchemaNode | undefined)?.['application/json'] as SchemaNode | undefined)?.schema;
          if (schema) responses.set(code, open.compile(rewriteSchema(schema, false) as SchemaNode));
        }
        this.operations.push({
          operationId: op.operationId as string,
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`),
          paramNames,
          literalSegments: template.split('/').filter((s) => s && !s.startsWith('{')).length,
          pathParams: paramNames.length > 0 ? params.compile(paramSchema('path')) : undefined,
          queryParams: params.compile(paramSchema('query')),
          bodyRequired: (op.requestBody as SchemaNode | undefined)?.required === true,
          bodyOpen: body?.schema ? open.compile(rewriteSchema(body.schema, false) as SchemaNode) : undefined,
          bodyClosed: body?.schema ? closed.compile(rewriteSchema(body.schema, true) as SchemaNode) : undefined,
          responses,
        });
      }
    }
  }

  /** The operation for method + path; the most literal template wins (`/points/query` over `/points/{id}`). */
  match(method: string, urlPath: string): MatchedOperation | { error: string } {
    const candidates = this.operations.map((operation) => ({ operation, m: operation.pattern.exec(urlPath) })).filter((c) => c.m !== null);
    if (candidates.length === 0) return { error: `unknown path: ${method} ${urlPath}` };
    const withMethod = candidates.filter((c) => c.operation.method === method);
    if (withMethod.length === 0) return { error: `no ${method} operation for ${urlPath}` };
    withMethod.sort((a, b) => b.operation.literalSegments - a.operation.literalSegments);
    const { operation, m } = withMethod[0];
    const params = Object.fromEntries(operation.paramNames.map((n, i) => [n, decodeURIComponent(m![i + 1])]));
    return { operation, params };
  }

  /** Every way `request` departs from the spec; empty when it conforms. */
  validateRequest(request: RecordedRequest): string[] {
    const where = `${request.method} ${request.path}`;
    const matched = this.match(request.method, request.path);
    if ('error' in matched) return [matched.error];
    const { operation, params } = matched;
    const errors: string[] = [];
    if (operation.pathParams && !operation.pathParams({ ...params })) {
      errors.push(...formatErrors(operation.pathParams).map((e) => `${where} path param ${e}`));
    }
    if (!operation.queryParams({ ...request.query })) {
      errors.push(...formatErrors(operation.queryParams).map((e) => `${where} query ${e}`));
    }
    if (request.body === undefined) {
      if (operation.bodyRequired) errors.push(`${where}: request body required`);
    } else if (!operation.bodyOpen) {
      errors.push(`${where}: operation ${operation.operationId} takes no request body`);
    } else {
      if (!operation.bodyOpen(request.body)) {
        errors.push(...formatErrors(operation.bodyOpen).map((e) => `${where} body ${e}`));
      }
      if (!operation.bodyClosed!(request.body)) {
        errors.push(...formatErrors(operation.bodyClosed!).map((e) => `${where} body (undocumented field?) ${e}`));
      }
    }
    return errors;
  }

  /** Checks a fake response against the schema the spec gives for its status (200, 4XX, default). */
  validateResponse(operation: Operation, status: number, body: unknown): string[] {
    const key = status === 200 ? '200' : status >= 400 && status < 500 ? '4XX' : 'default';
    const validate = operation.responses.get(String(status)) ?? operation.responses.get(key);
    if (!validate) return [`${operation.operationId}: spec has no ${status} response schema`];
    return validate(body) ? [] : formatErrors(validate).map((e) => `${operation.operationId} response ${status} ${e}`);
  }
}

// ---------------------------------------------------------------------------------------------
// A small in-memory Qdrant speaking the spec's request and response shapes.

interface FakePoint {
  vector: number[];
  payload: Record<string, unknown>;
}
interface FakeCollection {
  size: number;
  /** Payload indexes by field: 'keyword' or 'text'. */
  indexes: Map<string, string>;
  points: Map<string, FakePoint>;
}
type Reply = { status: number; body: unknown };
type Condition = {
  key?: string;
  match?: { any?: unknown[]; value?: unknown; text?: string };
  range?: { gte?: number; lt?: number };
  /** A nested filter used as a condition. */
  must?: Condition | Condition[];
  must_not?: Condition | Condition[];
};
type Prefetch = { filter?: unknown; limit?: number };
type Formula = number | Condition | { sum: Formula[] } | { mult: Formula[] };

class FakeQdrant {
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly collections = new Map<string, FakeCollection>();
  /** operationId → statuses to answer with before handling normally (simulates races and hiccups). */
  readonly injected = new Map<string, number[]>();
  /** Runs before create_collection is handled: lets a test play "another worker got there first". */
  beforeCreate?: (name: string) => void;
  private server?: Server;
  private operationSeq = 0;

  constructor(private readonly spec: QdrantSpec) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  operationIds(): string[] {
    return this.requests.map((r) => {
      const m = this.spec.match(r.method, r.path);
      return 'error' in m ? `?${r.method} ${r.path}` : m.operation.operationId;
    });
  }

  reset(): void {
    this.requests.length = 0;
    this.violations.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const all = url.searchParams.getAll(key);
      query[key] = all.length === 1 ? all[0] : all;
    }
    let body: unknown;
    let reply: Reply;
    try {
      body = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      this.violations.push(`${req.method} ${url.pathname}: body is not JSON`);
    }
    const request: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query, body };
    this.requests.push(request);
    const problems = this.spec.validateRequest(request);
    const matched = this.spec.match(request.method, request.path);
    if (problems.length > 0 || 'error' in matched) {
      this.violations.push(...problems);
      reply = errorReply(400, `request does not match the OpenAPI spec: ${problems.join('; ')}`);
    } else {
      const injected = this.injected.get(matched.operation.operationId);
      const status = injected?.shift();
      reply = status !== undefined ? errorReply(status, 'injected failure') : this.route(matched.operation.operationId, matched.params, request);
      this.violations.push(...this.spec.validateResponse(matched.operation, reply.status, reply.body));
    }
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  }

  private route(operationId: string, params: Record<string, string>, request: RecordedRequest): Reply {
    const name = params.collection_name;
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (operationId === 'root') return { status: 200, body: { title: 'qdrant - vector search engine', version: '1.16.0' } };
    if (operationId === 'create_collection') {
      this.beforeCreate?.(name);
      if (this.collections.has(name)) return errorReply(409, `Wrong input: Collection \`${name}\` already exists!`);
      const vectors = body.vectors as { size: number };
      this.collections.set(name, { size: vectors.size, indexes: new Map(), points: new Map() });
      return ok(true);
    }
    // Qdrant answers `false` for a collection that was not there.
    if (operationId === 'delete_collection') return ok(this.collections.delete(name));
    const collection = this.collections.get(name);
    if (!collection) return errorReply(404, `Not found: Collection \`${name}\` doesn't exist!`);
    switch (operationId) {
      case 'get_collection':
        return ok(collectionInfo(collection));
      case 'create_field_index': {
        const schema = body.field_schema as string | { type: string };
        collection.indexes.set(body.field_name as string, typeof schema === 'string' ? schema : schema.type);
        return ok(this.updated());
      }
      case 'upsert_points': {
        for (const p of body.points as { id: string; vector: number[]; payload: Record<string, unknown> }[]) {
          if (p.vector.length !== collection.size) {
            return errorReply(400, `Wrong input: Vector dimension error: expected dim: ${collection.size}, got ${p.vector.length}`);
          }
          collection.points.set(p.id, { vector: p.vector, payload: p.payload });
        }
        return ok(this.updated());
      }
      case 'query_points': {
        const limit = (body.limit as number | undefined) ?? 10;
        let scored: { id: string; score: number; payload: Record<string, unknown> }[];
        if (body.prefetch !== undefined) {
          // Prefetches without a query return their points in id order up to their limit; the
          // formula then rescores the union of them all.
          const union = new Map<string, FakePoint>();
          for (const prefetch of ([] as Prefetch[]).concat(body.prefetch as Prefetch | Prefetch[])) {
            const ids = [...matching(collection, prefetch.filter)].map(([id]) => id).sort();
            for (const id of ids.slice(0, prefetch.limit ?? 10)) union.set(id, collection.points.get(id)!);
          }
          const formula = (body.query as { formula: Formula }).formula;
          scored = [...union].map(([id, p]) => ({ id, score: evaluate(formula, p.payload), payload: p.payload }));
        } else {
          const query = body.query as number[];
          scored = [...matching(collection, body.filter)].map(([id, p]) => ({ id, score: cosine(query, p.vector), payload: p.payload }));
        }
        const hits = scored
          .sort((a, b) => b.score - a.score)
          .slice(0, limit)
          .map((h) => ({ ...h, version: 1 }));
        return ok({ points: body.with_payload === true ? hits : hits.map(({ payload: _p, ...rest }) => rest) });
      }
      case 'count_points':
        return ok({ count: [...matching(collection, body.filter)].length });
      case 'delete_points':
        if (Array.isArray(body.points)) for (const id of body.points) collection.points.delete(String(id));
        else for (const [id] of [...matching(collection, body.filter)]) collection.points.delete(id);
        return ok(this.updated());
      case 'scroll_points': {
        const limit = (body.limit as number | undefined) ?? 10;
        const ids = [...matching(collection, body.filter)].map(([id]) => id).sort();
        const start = body.offset === undefined || body.offset === null ? 0 : ids.indexOf(String(body.offset));
        const page = ids.slice(start, start + limit);
        const next = ids[start + limit];
        // with_payload as a key list returns just those keys, as Qdrant does; `true` all of them.
        const keys = Array.isArray(body.with_payload) ? (body.with_payload as string[]) : [];
        const payloadOf = (id: string) =>
          body.with_payload === true ? collection.points.get(id)!.payload : Object.fromEntries(keys.map((k) => [k, collection.points.get(id)?.payload[k]]));
        const withPayload = keys.length > 0 || body.with_payload === true;
        return ok({ points: page.map((id) => (withPayload ? { id, payload: payloadOf(id) } : { id })), next_page_offset: next ?? null });
      }
      default:
        return errorReply(500, `fake Qdrant does not implement ${operationId}`);
    }
  }

  private updated() {
    return { operation_id: ++this.operationSeq, status: 'completed' };
  }
}

function ok(result: unknown): Reply {
  return { status: 200, body: { result, status: 'ok', time: 0.0001 } };
}

function errorReply(status: number, error: string): Reply {
  return { status, body: { status: { error }, time: 0.0001 } };
}

function listOf(value: Condition | Condition[] | undefined): Condition[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** A filter (or a nested one): every `must` condition holds and no `must_not` one does. */
function filterHolds(filter: unknown, payload: Record<string, unknown>): boolean {
  const f = (filter ?? {}) as Pick<Condition, 'must' | 'must_not'>;
  return listOf(f.must).every((c) => holds(c, payload)) && !listOf(f.must_not).some((c) => holds(c, payload));
}

/** One condition on a payload; `text` is a full-text match: every word of it is in the field (word tokenizer, folded). */
function holds(c: Condition, payload: Record<string, unknown>): boolean {
  if (c.must !== undefined || c.must_not !== undefined) return filterHolds(c, payload);
  const value = payload[c.key ?? ''];
  if (c.match?.any) return c.match.any.includes(value);
  if (c.match && 'value' in c.match) return c.match.value === value;
  if (c.match && typeof c.match.text === 'string') {
    const words = new Set(wordSpans(String(value ?? '')).map((w) => w.folded));
    return keywordTerms(c.match.text, Infinity).every((w) => words.has(w));
  }
  if (c.range) return typeof value === 'number' && (c.range.gte === undefined || value >= c.range.gte) && (c.range.lt === undefined || value < c.range.lt);
  throw new Error(`fake Qdrant cannot evaluate condition ${JSON.stringify(c)}`);
}

function* matching(collection: FakeCollection, filter: unknown): Generator<[string, FakePoint]> {
  for (const entry of collection.points) {
    if (filterHolds(filter, entry[1].payload)) yield entry;
  }
}

/** A score formula: numbers, conditions (1 when they hold, else 0), sums and products. */
function evaluate(formula: Formula, payload: Record<string, unknown>): number {
  if (typeof formula === 'number') return formula;
  if ('sum' in formula) return formula.sum.reduce((acc: number, f) => acc + evaluate(f, payload), 0);
  if ('mult' in formula) return formula.mult.reduce((acc: number, f) => acc * evaluate(f, payload), 1);
  return holds(formula, payload) ? 1 : 0;
}

function collectionInfo(c: FakeCollection) {
  return {
    status: 'green',
    optimizer_status: 'ok',
    points_count: c.points.size,
    indexed_vectors_count: 0,
    segments_count: 1,
    config: {
      params: { vectors: { size: c.size, distance: 'Cosine' }, shard_number: 1, replication_factor: 1 },
      hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000 },
      optimizer_config: { default_segment_number: 0, flush_interval_sec: 5 },
    },
    payload_schema: Object.fromEntries([...c.indexes].map(([f, type]) => [f, { data_type: type, points: c.points.size }])),
  };
}

// ---------------------------------------------------------------------------------------------

/** What a tenant's first write sends: look, create the collection, look again, index its payload fields, upsert. */
const FIRST_WRITE = ['get_collection', 'create_collection', 'get_collection', 'create_field_index', 'create_field_index', 'create_field_index', 'upsert_points'];

// Skipped only when ../shared/qdrant/openapi.json is absent (a clone outside the workspace);
// CI has it beside the repository, so there this suite always runs.
describe.skipIf(!specExists)("Qdrant adapter requests conform to Qdrant's OpenAPI document", () => {
  let spec: QdrantSpec;
  let fake: FakeQdrant;
  let url: string;
  let store: VectorStore;
  const exercised = new Set<string>();

  beforeAll(async () => {
    spec = new QdrantSpec(JSON.parse(readFileSync(specPath, 'utf8')) as SchemaNode);
    fake = new FakeQdrant(spec);
    url = await fake.start();
    store = createQdrantStore({ url, scrollPageSize: 2 });
  });

  afterAll(async () => {
    await store?.close();
    await fake?.stop();
  });

  afterEach(() => {
    // Every request any test sent must have matched the spec (and every fake answer too).
    expect(fake.violations).toEqual([]);
    for (const id of fake.operationIds()) exercised.add(id);
    fake.reset();
  });

  describe('the validator itself', () => {
    const upsert = (body: unknown, query: Record<string, string> = { wait: 'true' }): RecordedRequest => ({
      method: 'PUT',
      path: '/collections/tenant_acme_docs/points',
      query,
      body,
    });
    const goodPoint = { id: pointId('acme', 'doc-a', 1, 0), vector: [1, 0], payload: { documentId: 'doc-a' } };

    it('accepts a well-formed request', () => {
      expect(spec.validateRequest(upsert({ points: [goodPoint] }))).toEqual([]);
    });

    it('rejects a deliberately wrong body', () => {
      expect(spec.validateRequest(upsert({ points: [{ ...goodPoint, vector: 'not a vector' }] }))).not.toEqual([]);
      expect(spec.validateRequest(upsert({ points: [{ ...goodPoint, id: 'not-a-uuid' }] }))).not.toEqual([]);
      expect(spec.validateRequest(upsert({ point: [goodPoint] }))).not.toEqual([]);
      // Qdrant requires `match.any` values to be unique: the same filter with a repeated id fails.
      const countWith = (any: string[]) => ({
        method: 'POST',
        path: '/collections/c/points/count',
        query: {},
        body: { exact: true, filter: { must: [{ key: 'documentId', match: { any } }] } },
      });
      expect(spec.validateRequest(countWith(['a', 'b']))).toEqual([]);
      expect(spec.validateRequest(countWith(['a', 'a']))).not.toEqual([]);
    });

    it('rejects an undocumented body field that the open schema would let through', () => {
      const request = {
        method: 'POST',
        path: '/collections/c/points/query',
        query: {},
        body: { query: [1, 0], limit: 3, with_payloads: true },
      };
      expect(spec.validateRequest(request).join('\n')).toMatch(/undocumented field/);
    });

    it('rejects unknown paths and methods (Qdrant master has no /points/search any more)', () => {
      const search = { method: 'POST', path: '/collections/c/points/search', query: {}, body: { vector: [1], limit: 1 } };
      expect(spec.validateRequest(search)).toEqual(['no POST operation for /collections/c/points/search']);
      expect(spec.validateRequest({ method: 'GET', path: '/nope', query: {}, body: undefined })[0]).toMatch(/unknown path/);
      expect(spec.validateRequest({ method: 'DELETE', path: '/collections/c/points', query: {}, body: undefined })[0]).toMatch(/no DELETE operation/);
    });

    it('rejects bad and unknown query parameters', () => {
      expect(spec.validateRequest(upsert({ points: [goodPoint] }, { wait: 'maybe' }))).not.toEqual([]);
      expect(spec.validateRequest(upsert({ points: [goodPoint] }, { wiat: 'true' }))).not.toEqual([]);
    });

    it('prefers the literal route over a templated one', () => {
      const m = spec.match('GET', '/collections/c/exists');
      expect('error' in m ? m.error : m.operation.operationId).toBe('collection_exists');
    });

    it('is wired into the fake server: a non-conforming request is recorded and answered 400', async () => {
      const res = await fetch(`${url}/collections/tenant_x_docs/points?wait=true`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ points: [{ id: 'nope', vector: 'x' }] }),
      });
      expect(res.status).toBe(400);
      expect(fake.violations.length).toBeGreaterThan(0);
      fake.reset(); // expected; afterEach checks and counts only the adapter's own requests
    });
  });

  // The whole contract through the real client, every request checked against the spec.
  describeVectorStoreContract('Qdrant adapter against the spec-checked fake', () => createQdrantStore({ url, scrollPageSize: 2 }));

  describe('every VectorStore method through the real QdrantClient', () => {
    const T = 'acme';
    const C = 'tenant_acme_docs';

    it('health asks the server for its version', async () => {
      const h = await store.health();
      expect(h).toEqual({ ok: true, detail: `qdrant 1.16.0 at ${url}` });
      expect(fake.operationIds()).toEqual(['root']);
    });

    it('maps a missing collection to empty answers', async () => {
      expect(await store.countAll('ghost')).toBe(0);
      expect(await store.countDocument('ghost', 'doc-a')).toBe(0);
      expect(await store.search('ghost', [1, 0, 0, 0], 3)).toEqual([]);
      expect(await store.listDocumentPointIds('ghost', 'doc-a')).toEqual([]);
      await store.deleteDocument('ghost', 'doc-a');
      expect(fake.operationIds()).toEqual(['count_points', 'count_points', 'query_points', 'scroll_points', 'delete_points']);
    });

    it('ensureCollection creates a cosine collection with keyword indexes and a full-text index, once', async () => {
      await store.ensureCollection(T, 4);
      await store.ensureCollection(T, 4);
      expect(fake.operationIds()).toEqual(['get_collection', 'create_collection', 'get_collection', 'create_field_index', 'create_field_index', 'create_field_index']);
      const [, create, , indexA, indexB, indexText] = fake.requests;
      expect(create.path).toBe(`/collections/${C}`);
      expect(create.body).toEqual({ vectors: { size: 4, distance: 'Cosine' } });
      expect([indexA.body, indexB.body, indexText.body]).toEqual([
        { field_name: 'documentId', field_schema: 'keyword' },
        { field_name: 'batchId', field_schema: 'keyword' },
        { field_name: 'text', field_schema: { type: 'text', tokenizer: 'word', lowercase: true, ascii_folding: true, max_token_len: 40 } },
      ]);
      expect(indexA.query).toEqual({ wait: 'true' });
    });

    it('gives a collection made before keyword search its full-text index on the next write, or before the first keyword query', async () => {
      const older = () => ({
        size: 4,
        indexes: new Map([
          ['documentId', 'keyword'],
          ['batchId', 'keyword'],
        ]),
        points: new Map(),
      });
      fake.collections.set('tenant_older_docs', older());
      await store.upsert('older', [contractPoint('older', 'doc-a', 0, [1, 0, 0, 0])]);
      expect(fake.operationIds()).toEqual(['get_collection', 'create_field_index', 'upsert_points']);
      expect((fake.requests[1].body as { field_name: string }).field_name).toBe('text');
      fake.reset();
      fake.collections.set('tenant_oldest_docs', older());
      expect(await store.keywordSearch('oldest', 'pump', 5)).toEqual([]);
      expect(await store.keywordSearch('oldest', 'valve', 5)).toEqual([]);
      expect(fake.operationIds()).toEqual(['get_collection', 'create_field_index', 'count_points', 'count_points']);
      expect([...fake.collections.get('tenant_oldest_docs')!.indexes.keys()]).toContain('text');
      fake.reset();
      expect(await store.keywordSearch('never-written', 'pump', 5)).toEqual([]);
      expect(fake.operationIds()).toEqual(['get_collection']);
    });

    it('upsert sends UUID ids, vectors and the full payload with wait=true', async () => {
      const points = [
        contractPoint(T, 'doc-a', 0, [1, 0, 0, 0], { batchId: 'b1' }),
        contractPoint(T, 'doc-a', 1, [0.8, 0.6, 0, 0], { batchId: 'b1', heading: 'H', sheet: 'S', rowStart: 1, rowEnd: 9 }),
        contractPoint(T, 'doc-a', 2, [0, 1, 0, 0], { batchId: 'b1' }),
        contractPoint(T, 'doc-b', 0, [0.9, 0.1, 0, 0], { batchId: 'b2' }),
        contractPoint(T, 'doc-b', 1, [-1, 0, 0, 0], { batchId: 'b2' }),
      ];
      await store.upsert(T, points);
      expect(fake.operationIds()).toEqual(['upsert_points']);
      expect(fake.requests[0].query).toEqual({ wait: 'true' });
      expect(fake.requests[0].body).toEqual({
        points: points.map((p) => ({ id: p.id, vector: p.vector, payload: p.payload })),
      });
    });

    it('search queries by vector with a must/any filter and maps hits', async () => {
      const hits = await store.search(T, [1, 0, 0, 0], 2, { documentIds: ['doc-a', 'doc-b', 'doc-a'], batchIds: ['b1'] });
      expect(fake.operationIds()).toEqual(['query_points']);
      expect(fake.requests[0].body).toEqual({
        query: [1, 0, 0, 0],
        limit: 2,
        filter: {
          must: [
            { key: 'documentId', match: { any: ['doc-a', 'doc-b'] } },
            { key: 'batchId', match: { any: ['b1'] } },
          ],
        },
        with_payload: true,
        with_vector: false,
      });
      expect(hits.map((h) => [h.payload.documentId, h.payload.chunkIndex])).toEqual([
        ['doc-a', 0],
        ['doc-a', 1],
      ]);
      expect(hits[0].score).toBeCloseTo(1, 6);
      expect(hits[1].payload).toMatchObject({ heading: 'H', sheet: 'S', rowStart: 1, rowEnd: 9, page: 2 });
      const unfiltered = await store.search(T, [1, 0, 0, 0], 10);
      expect(unfiltered.map((h) => h.score)).toEqual([...unfiltered.map((h) => h.score)].sort((a, b) => b - a));
    });

    it('keyword search counts each word exactly, then ranks the points holding any of them by IDF with one formula query', async () => {
      const hits = await store.keywordSearch(T, 'Pump XR-7734 pump?', 3, { batchIds: ['b1'] });
      const scope = { key: 'batchId', match: { any: ['b1'] } };
      const word = (w: string) => ({ key: 'text', match: { text: w } });
      // The points of batch b1 say "text of doc-a #i": none of the words is there, so no query follows the counts.
      expect(fake.operationIds()).toEqual(['count_points', 'count_points', 'count_points', 'count_points']);
      // The total first, then one count per word, sent together (in any order).
      expect(fake.requests[0].body).toEqual({ filter: { must: [scope] }, exact: true });
      expect(fake.requests.slice(1).map((r) => r.body)).toEqual(expect.arrayContaining(['pump', 'xr', '7734'].map((w) => ({ filter: { must: [scope, word(w)] }, exact: true }))));
      expect(hits).toEqual([]);
      fake.reset();

      await store.upsert(T, [
        contractPoint(T, 'doc-k', 0, [0, 0, 1, 0], { batchId: 'b1', text: 'Pump XR-7734 is the spare for the bilge pump.' }),
        contractPoint(T, 'doc-k', 1, [0, 0, 1, 0], { batchId: 'b1', text: 'The pump XR-7735 is another model.' }),
      ]);
      fake.reset();
      const found = await store.keywordSearch(T, 'Pump XR-7734 pump?', 3, { batchIds: ['b1'] });
      expect(fake.operationIds()).toEqual(['count_points', 'count_points', 'count_points', 'count_points', 'query_points']);
      const query = fake.requests[4];
      // 5 points of b1: "pump" and "xr" are in 2 of them, "7734" in 1.
      const idf = (n: number) => Math.log(1 + (5 - n + 0.5) / (n + 0.5));
      expect(query.body).toEqual({
        prefetch: ['pump', 'xr', '7734'].map((w) => ({ filter: { must: [scope, word(w)] }, limit: KEYWORD_CANDIDATES_PER_WORD })),
        query: { formula: { sum: [{ mult: [idf(2), word('pump')] }, { mult: [idf(2), word('xr')] }, { mult: [idf(1), word('7734')] }] } },
        limit: 3,
        with_payload: true,
        with_vector: false,
      });
      expect(found.map((h) => [h.payload.chunkIndex, h.score])).toEqual([
        [0, expect.closeTo(2 * idf(2) + idf(1), 5)],
        [1, expect.closeTo(2 * idf(2), 5)],
      ]);
      await store.deleteDocument(T, 'doc-k');
    });

    it('keyword search asks nothing when the query has no words, and nothing more when the scope is empty', async () => {
      expect(await store.keywordSearch(T, ' -- ?', 5)).toEqual([]);
      expect(await store.keywordSearch(T, 'pump', 5, { documentIds: [] })).toEqual([]);
      expect(fake.requests).toEqual([]);
      expect(await store.keywordSearch(T, 'pump', 5, { documentIds: ['nobody'] })).toEqual([]);
      expect(fake.operationIds()).toEqual(['count_points']);
    });

    it('reads a page of one version of a document with a range filter', async () => {
      const page = await store.documentChunks(T, 'doc-a', 1, 1, 5);
      expect(fake.operationIds()).toEqual(['scroll_points']);
      expect(fake.requests[0].body).toEqual({
        filter: {
          must: [
            { key: 'documentId', match: { value: 'doc-a' } },
            { key: 'version', match: { value: 1 } },
            { key: 'chunkIndex', range: { gte: 1, lt: 6 } },
          ],
        },
        limit: 5,
        with_payload: true,
        with_vector: false,
      });
      expect(page.map((c) => c.chunkIndex)).toEqual([1, 2]);
      expect(page[1]).toEqual(contractPoint(T, 'doc-a', 2, [0, 1, 0, 0], { batchId: 'b1' }).payload);
      expect(await store.documentChunks('ghost', 'doc-a', 1, 0, 5)).toEqual([]);
    });

    it('counts exactly, per document and in total', async () => {
      expect(await store.countDocument(T, 'doc-a')).toBe(3);
      expect(await store.countAll(T)).toBe(5);
      expect(fake.requests.map((r) => r.body)).toEqual([{ filter: { must: [{ key: 'documentId', match: { value: 'doc-a' } }] }, exact: true }, { exact: true }]);
    });

    it('lists a document’s point ids across scroll pages', async () => {
      const ids = await store.listDocumentPointIds(T, 'doc-a');
      expect(ids).toEqual([0, 1, 2].map((i) => pointId(T, 'doc-a', 1, i)).sort());
      expect(fake.operationIds()).toEqual(['scroll_points', 'scroll_points']);
      expect(fake.requests[0].body).toEqual({
        filter: { must: [{ key: 'documentId', match: { value: 'doc-a' } }] },
        limit: 2,
        with_payload: false,
        with_vector: false,
      });
      expect((fake.requests[1].body as { offset?: unknown }).offset).toBe(ids[2]);
    });

    it('lists point references with only the payload keys reconciliation reads, and deletes points by id', async () => {
      const refs = await store.listPointRefs(T);
      expect(refs).toHaveLength(5);
      expect(refs.find((r) => r.id === pointId(T, 'doc-a', 1, 2))).toEqual({ id: pointId(T, 'doc-a', 1, 2), documentId: 'doc-a', version: 1, chunkIndex: 2 });
      expect(fake.requests[0].body).toEqual({ limit: 2, with_payload: ['documentId', 'version', 'chunkIndex'], with_vector: false });
      fake.requests.length = 0;
      await store.deletePoints(T, [pointId(T, 'doc-a', 1, 0), pointId(T, 'doc-a', 1, 1)]);
      expect(fake.operationIds()).toEqual(['delete_points']);
      expect(fake.requests[0].query).toEqual({ wait: 'true' });
      expect(fake.requests[0].body).toEqual({ points: [pointId(T, 'doc-a', 1, 0), pointId(T, 'doc-a', 1, 1)] });
      expect(await store.countDocument(T, 'doc-a')).toBe(1);
      await expect(store.deletePoints(T, ["x' OR 1=1"])).rejects.toThrow(/invalid point id/);
    });

    it('deletes a document by filter with wait=true', async () => {
      await store.deleteDocument(T, 'doc-a');
      expect(fake.operationIds()).toEqual(['delete_points']);
      expect(fake.requests[0].query).toEqual({ wait: 'true' });
      expect(fake.requests[0].body).toEqual({ filter: { must: [{ key: 'documentId', match: { value: 'doc-a' } }] } });
      expect(await store.countDocument(T, 'doc-a')).toBe(0);
      expect(await store.countAll(T)).toBe(2);
    });

    it('an empty id filter or zero limit sends nothing', async () => {
      expect(await store.search(T, [1, 0, 0, 0], 5, { documentIds: [] })).toEqual([]);
      expect(await store.search(T, [1, 0, 0, 0], 0)).toEqual([]);
      expect(fake.requests).toEqual([]);
    });

    it('an invalid tenant id or unsafe document id never reaches the server', async () => {
      await expect(store.countAll('Bad Tenant')).rejects.toThrow(/invalid tenant id/);
      await expect(store.upsert('../x', [contractPoint('x', 'doc-a', 0, [1, 0, 0, 0])])).rejects.toThrow(/invalid tenant id/);
      await expect(store.deleteDocument(T, "doc' OR 1=1")).rejects.toThrow(/invalid document id/);
      expect(fake.requests).toEqual([]);
    });

    it('upsert creates a missing collection first (first write for a tenant)', async () => {
      await store.upsert('fresh', [contractPoint('fresh', 'doc-a', 0, [1, 0, 0, 0])]);
      expect(fake.operationIds()).toEqual(FIRST_WRITE);
    });

    it('losing a creation race (409) and a briefly unready collection (500) are fine', async () => {
      fake.beforeCreate = (name) => {
        // Another worker creates the collection between our existence check and our create.
        if (!fake.collections.has(name)) fake.collections.set(name, { size: 4, indexes: new Map(), points: new Map() });
      };
      fake.injected.set('get_collection', [404, 500]); // 404: not there yet; 500: not ready after the 409
      try {
        await store.ensureCollection('raced', 4);
      } finally {
        fake.beforeCreate = undefined;
        fake.injected.clear();
      }
      expect(fake.operationIds()).toEqual([
        'get_collection',
        'create_collection',
        'get_collection',
        'get_collection',
        'create_field_index',
        'create_field_index',
        'create_field_index',
      ]);
      expect([...fake.collections.get('tenant_raced_docs')!.indexes.keys()]).toEqual(['documentId', 'batchId', 'text']);
    });

    it('refuses a collection whose vector size differs', async () => {
      await expect(store.ensureCollection('fresh', 8)).rejects.toThrow(/4-dimensional/);
      await expect(store.upsert('fresh', [contractPoint('fresh', 'doc-a', 0, [1, 0])])).rejects.toThrow(/dimensional/);
    });

    it('recreates a collection dropped behind its cache and retries the upsert', async () => {
      fake.collections.delete('tenant_fresh_docs');
      await store.upsert('fresh', [contractPoint('fresh', 'doc-a', 0, [1, 0, 0, 0])]);
      expect(fake.operationIds()).toEqual([
        'upsert_points',
        'get_collection',
        'create_collection',
        'get_collection',
        'create_field_index',
        'create_field_index',
        'create_field_index',
        'upsert_points',
      ]);
      expect(await store.countAll('fresh')).toBe(1);
    });

    it('addresses a later index generation as its own collection, named tenant_<id>_docs_g<n>', async () => {
      const g2 = store.forGeneration(2);
      await g2.upsert(T, [contractPoint(T, 'doc-a', 0, [1, 0])]);
      expect(fake.requests.map((r) => r.path)).toEqual([
        `/collections/${C}_g2`,
        `/collections/${C}_g2`,
        `/collections/${C}_g2`,
        `/collections/${C}_g2/index`,
        `/collections/${C}_g2/index`,
        `/collections/${C}_g2/index`,
        `/collections/${C}_g2/points`,
      ]);
      expect(fake.collections.get(`${C}_g2`)?.size).toBe(2);
      fake.reset();
      expect(await g2.countAll(T)).toBe(1);
      expect(await store.countAll(T)).toBe(fake.collections.get(C)!.points.size);
      expect(fake.requests.map((r) => r.path)).toEqual([`/collections/${C}_g2/points/count`, `/collections/${C}/points/count`]);
    });

    it('drops a generation’s collection with one delete, idempotently, and creates it afresh on the next write', async () => {
      const g2 = store.forGeneration(2);
      await g2.dropCollection(T);
      expect(fake.operationIds()).toEqual(['delete_collection']);
      expect(fake.requests[0].path).toBe(`/collections/${C}_g2`);
      expect(fake.requests[0].body).toBeUndefined();
      expect(fake.collections.has(`${C}_g2`)).toBe(false);
      expect(fake.collections.has(C)).toBe(true);
      fake.reset();
      // Missing already: `false` from the server, or a 404, is success.
      await g2.dropCollection(T);
      fake.injected.set('delete_collection', [404]);
      await g2.dropCollection(T);
      fake.injected.clear();
      expect(fake.operationIds()).toEqual(['delete_collection', 'delete_collection']);
      fake.reset();
      // Other failures are reported.
      fake.injected.set('delete_collection', [403]);
      await expect(g2.dropCollection(T)).rejects.toThrow();
      fake.injected.clear();
      fake.reset();
      // The dropped collection is no longer taken for existing: the next write creates it (another size is fine).
      await g2.upsert(T, [contractPoint(T, 'doc-a', 0, [1, 0, 0])]);
      expect(fake.operationIds()).toEqual(FIRST_WRITE);
      expect(fake.collections.get(`${C}_g2`)?.size).toBe(3);
      await g2.dropCollection(T);
      await expect(g2.dropCollection('Bad Tenant')).rejects.toThrow(/invalid tenant id/);
    });

    it('health reports an unreachable server as not ok', async () => {
      const dead = createQdrantStore({ url: 'http://127.0.0.1:9' });
      const h = await dead.health();
      expect(h.ok).toBe(false);
      expect(h.detail).toMatch(/unreachable/);
    });

    it('covered every operation the adapter uses', () => {
      // Guard against a refactor silently dropping one of the validated paths above.
      expect([...exercised].sort()).toEqual(
        [
          'count_points',
          'create_collection',
          'create_field_index',
          'delete_collection',
          'delete_points',
          'get_collection',
          'query_points',
          'root',
          'scroll_points',
          'upsert_points',
        ].sort(),
      );
    });
  });
});
