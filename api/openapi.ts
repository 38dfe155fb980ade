/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests and type
 * responses, so the published contract cannot drift from the code. Each route is one entry in
 * OPERATIONS; api/openapi.test.ts fails when a route registered in the app has no entry here.
 * OpenAPI 3.1 schemas are JSON Schema draft 2020-12, which is zod's native `toJSONSchema` target.
 */
import { z } from 'zod';
import { CreateBatchResultSchema, HealthResponseSchema, LimitsSchema, RejectedFileSchema, SessionLoginRequestSchema, SessionSchema } from '../core/api-schemas.js';
import {
  BatchListQuerySchema,
  BatchListResponseSchema,
  BatchSummarySchema,
  BatchViewSchema,
  DeleteDocumentResponseSchema,
  DocumentDetailSchema,
  DocumentListQuerySchema,
  DocumentListResponseSchema,
  DocumentViewSchema,
  ErrorBodySchema,
  ErrorInfoSchema,
  RetryResponseSchema,
  SearchRequestSchema,
  SearchResponseSchema,
  SearchResultSchema,
} from '../core/contracts.js';
import { SESSION_COOKIE } from './session-cookie.js';

/** HTTP methods an operation can use, lower-case as OpenAPI spells them. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One documented response: a status code's description and, usually, its JSON body. */
export interface ResponseSpec {
  description: string;
  /** JSON body; must be one of the named schemas below. */
  schema?: z.ZodType;
  /** A non-JSON body, e.g. the event stream. */
  content?: Record<string, { schema: Record<string, unknown> }>;
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>;
}

/** A header the operation reads (Idempotency-Key, Last-Event-ID…). */
export interface HeaderParameterSpec {
  name: string;
  description: string;
  schema: Record<string, unknown>;
}

/** One route as documented. Path parameters come from `{name}` segments of `path`. */
export interface OperationSpec {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/api/batches/{batchId}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** `public` routes need no credentials and are not rate limited; `metrics` needs METRICS_TOKEN, not a tenant key. */
  access: 'public' | 'tenant' | 'metrics';
  pathParameters?: Record<string, string>;
  /** Query string, as the zod object that parses it (its input shape is documented). */
  query?: z.ZodObject;
  headers?: HeaderParameterSpec[];
  /** JSON body (a named schema, input shape) or a raw request body. */
  body?: { schema: z.ZodType; description?: string } | { content: Record<string, { schema: Record<string, unknown> }>; description?: string };
  responses: Record<string, ResponseSpec>;
}

/** The document's own shape, loosely: what a client needs to recognise it. */
const OpenApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) });

/**
 * Every schema that appears in `components.schemas`, by name. Responses are rendered as what the
 * API emits (zod output), request bodies as what it accepts (zod input: defaults are optional).
 */
const RESPONSE_SCHEMAS: Record<string, z.ZodType> = {
  ErrorBody: ErrorBodySchema,
  ErrorInfo: ErrorInfoSchema,
  DocumentView: DocumentViewSchema,
  BatchView: BatchViewSchema,
  RejectedFile: RejectedFileSchema,
  CreateBatchResult: CreateBatchResultSchema,
  BatchSummary: BatchSummarySchema,
  BatchList: BatchListResponseSchema,
  DocumentDetail: DocumentDetailSchema,
  DocumentList: DocumentListResponseSchema,
  RetryResult: RetryResponseSchema,
  DeleteDocumentResult: DeleteDocumentResponseSchema,
  SearchResult: SearchResultSchema,
  SearchResponse: SearchResponseSchema,
  Session: SessionSchema,
  Limits: LimitsSchema,
  HealthResponse: HealthResponseSchema,
  OpenApiDocument: OpenApiDocumentSchema,
};
const REQUEST_SCHEMAS: Record<string, z.ZodType> = {
  SearchRequest: SearchRequestSchema,
  SessionLoginRequest: SessionLoginRequestSchema,
};

const error = (description: string): ResponseSpec => ({ description, schema: ErrorBodySchema });
const BATCH_ID = { batchId: 'The id returned by POST /api/batches.' };
const DOCUMENT_ID = { documentId: 'A documentId from an upload, a batch or a document listing.' };

/** Every route of the API. Add an entry with each new route; the coverage test insists. */
export const OPERATIONS: OperationSpec[] = [
  {
    method: 'get',
    path: '/api/health',
    operationId: 'getHealth',
    summary: 'Health of every dependency',
    tag: 'operations',
    access: 'public',
    responses: {
      '200': { description: 'Everything is up.', schema: HealthResponseSchema },
      '503': { description: 'Something is down; the body says what.', schema: HealthResponseSchema },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics of this API process',
    description:
      'Prometheus text exposition (requests by route pattern, uploads, process metrics). Needs `Authorization: Bearer <METRICS_TOKEN>`; answers 404 when METRICS_TOKEN is not configured. Not rate limited.',
    tag: 'operations',
    access: 'metrics',
    responses: {
      '200': { description: 'The metrics.', content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: { type: 'string' } } } },
      '401': error('Missing or wrong METRICS_TOKEN (code `unauthorized`).'),
      '404': error('Metrics are disabled: METRICS_TOKEN is not set (code `not_found`).'),
    },
  },
  {
    method: 'get',
    path: '/api/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    tag: 'operations',
    access: 'public',
    responses: { '200': { description: 'The OpenAPI 3.1 document.', schema: OpenApiDocumentSchema } },
  },
  {
    method: 'post',
    path: '/api/session',
    operationId: 'createSession',
    summary: 'Sign in with an API key',
    description:
      'Sets an httpOnly, SameSite=Strict session cookie for the browser and returns the CSRF token that cookie-authenticated POST, PUT, PATCH and DELETE requests must send as X-CSRF-Token. The body must be application/json.',
    tag: 'session',
    access: 'public',
    body: { schema: SessionLoginRequestSchema },
    responses: {
      '200': {
        description: 'Signed in.',
        schema: SessionSchema,
        headers: { 'Set-Cookie': { description: `The session cookie (\`${SESSION_COOKIE}\`, or \`__Host-${SESSION_COOKIE}\` over HTTPS).`, schema: { type: 'string' } } },
      },
      '400': error('The body is not {"apiKey": "..."}.'),
      '401': error('The API key is unknown or revoked.'),
      '415': error('The body is not application/json.'),
    },
  },
  {
    method: 'get',
    path: '/api/session',
    operationId: 'getSession',
    summary: 'The current browser session',
    description: 'Answers for the session cookie only; a bearer key has no session.',
    tag: 'session',
    access: 'public',
    responses: { '200': { description: 'The session is live.', schema: SessionSchema }, '401': error('No session, or it expired or its API key was revoked.') },
  },
  {
    method: 'delete',
    path: '/api/session',
    operationId: 'deleteSession',
    summary: 'Sign out',
    description: 'Clears the session cookie; always succeeds.',
    tag: 'session',
    access: 'public',
    responses: { '204': { description: 'The cookie is cleared.' } },
  },
  {
    method: 'get',
    path: '/api/limits',
    operationId: 'getLimits',
    summary: 'Upload limits and accepted file types',
    tag: 'uploads',
    access: 'tenant',
    responses: { '200': { description: 'The limits this server enforces.', schema: LimitsSchema } },
  },
  {
    method: 'get',
    path: '/api/batches',
    operationId: 'listBatches',
    summary: "The tenant's batches, newest first",
    description: 'Pages with `limit` and the opaque `nextCursor` of the previous page.',
    tag: 'batches',
    access: 'tenant',
    query: BatchListQuerySchema,
    responses: { '200': { description: 'One page of batches.', schema: BatchListResponseSchema }, '400': error('A query parameter is invalid.') },
  },
  {
    method: 'post',
    path: '/api/batches',
    operationId: 'createBatch',
    summary: 'Upload a batch of documents',
    description:
      'Multipart upload; every part named `files` is one document. Refused files are listed in `rejected`; when every file is refused the answer is a 4xx with the first reason. Content the tenant already indexed is `skipped` unless reindex=true.',
    tag: 'batches',
    access: 'tenant',
    query: z.object({ reindex: z.enum(['true', 'false']).optional().meta({ description: 'Index content again even if this tenant already indexed it.' }) }),
    headers: [
      {
        name: 'Idempotency-Key',
        description: 'Makes a retried upload return the first batch instead of creating another.',
        schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
      },
    ],
    body: {
      content: {
        'multipart/form-data': {
          schema: {
            type: 'object',
            properties: { files: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' } } },
            required: ['files'],
          },
        },
      },
    },
    responses: {
      '202': { description: 'The batch was stored and its workflow started.', schema: CreateBatchResultSchema },
      '400': error('No files, or every file was refused (e.g. empty_file).'),
      '413': error('A file, the request or the file count is over the limit.'),
      '415': error('Not multipart/form-data, or every file was of a refused type.'),
      '422': error('Every file was refused as unsafe.'),
      '503': error('Stored, but the workflow could not be started; retry.'),
    },
  },
  {
    method: 'get',
    path: '/api/batches/{batchId}',
    operationId: 'getBatch',
    summary: 'A batch and the progress of its documents',
    tag: 'batches',
    access: 'tenant',
    pathParameters: BATCH_ID,
    responses: { '200': { description: 'The batch.', schema: BatchViewSchema }, '404': error('No such batch for this tenant.') },
  },
  {
    method: 'get',
    path: '/api/batches/{batchId}/events',
    operationId: 'streamBatchEvents',
    summary: 'Live progress of a batch (server-sent events)',
    description:
      'A text/event-stream of `event: progress` frames whose `id` is the snapshot seq and whose data is a BatchView as JSON, ending with one `event: done`. Works with the session cookie, so EventSource can use it.',
    tag: 'batches',
    access: 'tenant',
    pathParameters: BATCH_ID,
    headers: [{ name: 'Last-Event-ID', description: 'Resume after this seq; sent by EventSource on reconnect.', schema: { type: 'string' } }],
    responses: {
      '200': { description: 'The event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
      '404': error('No such batch for this tenant.'),
    },
  },
  {
    method: 'post',
    path: '/api/batches/{batchId}/cancel',
    operationId: 'cancelBatch',
    summary: 'Cancel a running batch',
    description: 'Requests cancellation; the workflow removes partial vectors of unfinished documents before it ends.',
    tag: 'batches',
    access: 'tenant',
    pathParameters: BATCH_ID,
    responses: {
      '202': { description: 'Cancellation requested; the current view.', schema: BatchViewSchema },
      '404': error('No such batch for this tenant.'),
      '409': error('The batch already ended (code `batch_finished`).'),
    },
  },
  {
    method: 'post',
    path: '/api/batches/{batchId}/retry',
    operationId: 'retryBatch',
    summary: 'Retry the failed and cancelled documents of a batch',
    description: 'Starts a new run of the batch for those documents; steps that already succeeded are not repeated.',
    tag: 'batches',
    access: 'tenant',
    pathParameters: BATCH_ID,
    responses: {
      '202': { description: 'The retry run started.', schema: RetryResponseSchema },
      '404': error('No such batch for this tenant.'),
      '409': error('The batch is still running, or nothing needs a retry.'),
      '503': error('The retry could not be started; try again.'),
    },
  },
  {
    method: 'get',
    path: '/api/documents',
    operationId: 'listDocuments',
    summary: "The tenant's documents",
    description: 'Filter by status or batch; pages with `limit` and the opaque `nextCursor` of the previous page.',
    tag: 'documents',
    access: 'tenant',
    query: DocumentListQuerySchema,
    responses: { '200': { description: 'One page of documents.', schema: DocumentListResponseSchema }, '400': error('A query parameter is invalid.') },
  },
  {
    method: 'get',
    path: '/api/documents/{documentId}',
    operationId: 'getDocument',
    summary: 'One document',
    tag: 'documents',
    access: 'tenant',
    pathParameters: DOCUMENT_ID,
    responses: { '200': { description: 'The document.', schema: DocumentDetailSchema }, '404': error('No such document for this tenant.') },
  },
  {
    method: 'post',
    path: '/api/documents/{documentId}/retry',
    operationId: 'retryDocument',
    summary: 'Retry one failed or cancelled document',
    tag: 'documents',
    access: 'tenant',
    pathParameters: DOCUMENT_ID,
    responses: {
      '202': { description: 'The retry run started.', schema: RetryResponseSchema },
      '404': error('No such document for this tenant.'),
      '409': error('The document is not failed or cancelled, or its batch is still running.'),
      '503': error('The retry could not be started; try again.'),
    },
  },
  {
    method: 'delete',
    path: '/api/documents/{documentId}',
    operationId: 'deleteDocument',
    summary: 'Delete a document, its vectors and its stored file',
    tag: 'documents',
    access: 'tenant',
    pathParameters: DOCUMENT_ID,
    responses: {
      '200': { description: 'Deleted; no vectors remain.', schema: DeleteDocumentResponseSchema },
      '404': error('No such document for this tenant.'),
      '409': error('Its batch is still running (code `batch_running`).'),
      '503': error('The vector store still reports vectors; repeat the delete.'),
    },
  },
  {
    method: 'post',
    path: '/api/search',
    operationId: 'search',
    summary: "Semantic search over the tenant's documents",
    description: 'Optionally restricted to some documents and/or batches of the tenant with documentIds and batchIds.',
    tag: 'search',
    access: 'tenant',
    body: { schema: SearchRequestSchema },
    responses: { '200': { description: 'The best matching chunks.', schema: SearchResponseSchema }, '400': error('The body is not a valid search request.') },
  },
];

/** Document metadata that is not per-route. */
export interface OpenApiInfo {
  title: string;
  version: string;
}

type Json = Record<string, unknown>;

const STATE_CHANGING: ReadonlySet<HttpMethod> = new Set(['post', 'put', 'patch', 'delete']);
const SCHEMA_REF = (name: string) => `#/components/schemas/${name}`;

function renderComponents(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const rendered = z.toJSONSchema(registry, { target: 'draft-2020-12', io, uri: SCHEMA_REF }).schemas as Record<string, Json>;
  // `$schema`/`$id` are per-file JSON Schema keywords; inside an OpenAPI document they would mislead.
  for (const schema of Object.values(rendered)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return rendered;
}

function nameOf(schema: z.ZodType, table: Record<string, z.ZodType>, what: string, operationId: string): string {
  const entry = Object.entries(table).find(([, s]) => s === schema);
  if (!entry) throw new Error(`${operationId}: its ${what} schema is not named in api/openapi.ts`);
  return entry[0];
}

function queryParameters(query: z.ZodObject): Json[] {
  const schema = z.toJSONSchema(query, { target: 'draft-2020-12', io: 'input' }) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: 'query', required: (schema.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

function renderOperation(op: OperationSpec): Json {
  const parameters: Json[] = [];
  for (const name of op.path.match(/\{([^}]+)\}/g)?.map((m) => m.slice(1, -1)) ?? []) {
    parameters.push({ name, in: 'path', required: true, description: op.pathParameters?.[name], schema: { type: 'string' } });
  }
  if (op.query) parameters.push(...queryParameters(op.query));
  for (const header of op.headers ?? []) parameters.push({ name: header.name, in: 'header', required: false, description: header.description, schema: header.schema });

  const responses: Json = {};
  for (const [status, response] of Object.entries(op.responses)) {
    const content = response.schema
      ? { 'application/json': { schema: { $ref: SCHEMA_REF(nameOf(response.schema, RESPONSE_SCHEMAS, `${status} response`, op.operationId)) } } }
      : response.content;
    responses[status] = { description: response.description, ...(content ? { content } : {}), ...(response.headers ? { headers: response.headers } : {}) };
  }
  if (op.access === 'tenant') {
    responses['401'] ??= { $ref: '#/components/responses/Unauthorized' };
    if (STATE_CHANGING.has(op.method)) responses['403'] ??= { $ref: '#/components/responses/CsrfFailed' };
    responses['429'] ??= { $ref: '#/components/responses/RateLimited' };
  }

  let requestBody: Json | undefined;
  if (op.body && 'schema' in op.body) {
    const ref = SCHEMA_REF(nameOf(op.body.schema, REQUEST_SCHEMAS, 'request body', op.operationId));
    requestBody = { required: true, description: op.body.description, content: { 'application/json': { schema: { $ref: ref } } } };
  } else if (op.body) {
    requestBody = { required: true, description: op.body.description, content: op.body.content };
  }

  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    ...(op.access === 'public' ? { security: [] } : op.access === 'metrics' ? { security: [{ metricsToken: [] }] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

/** Builds the whole document; pure, so the app builds it once and tests inspect it directly. */
export function buildOpenApiDocument(info: OpenApiInfo = { title: 'docflow API', version: '0.1.0' }, operations: OperationSpec[] = OPERATIONS): Json {
  const responseComponents = renderComponents(RESPONSE_SCHEMAS, 'output');
  const requestComponents = renderComponents(REQUEST_SCHEMAS, 'input');
  for (const name of Object.keys(requestComponents)) {
    if (name in responseComponents) throw new Error(`schema name ${name} is used for both a request and a response`);
  }
  const paths: Record<string, Json> = {};
  for (const op of operations) {
    paths[op.path] ??= {};
    if (paths[op.path][op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is documented twice`);
    paths[op.path][op.method] = renderOperation(op);
  }
  const errorResponse = (description: string, headers?: Json) => ({
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: { $ref: SCHEMA_REF('ErrorBody') } } },
  });
  const document = {
    openapi: '3.1.1',
    info: {
      title: info.title,
      version: info.version,
      description: 'Durable document ingestion for retrieval-augmented generation. Errors always have the ErrorBody shape.',
    },
    tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({ name })),
    security: [{ bearerAuth: [] }, { sessionCookie: [] }],
    paths,
    components: {
      schemas: { ...responseComponents, ...requestComponents },
      responses: {
        Unauthorized: errorResponse('No valid API key or session (code `unauthorized`).', { 'WWW-Authenticate': { description: 'Always `Bearer`.', schema: { type: 'string' } } }),
        CsrfFailed: errorResponse('Authenticated by the session cookie without a matching X-CSRF-Token header (code `csrf_failed`).'),
        RateLimited: errorResponse('Too many requests for this API key or its sessions (code `rate_limited`).', {
          'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
        }),
      },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key created with `npm run tenant -- create <tenantId>`.' },
        metricsToken: { type: 'http', scheme: 'bearer', description: "The operators' METRICS_TOKEN; a tenant API key is refused." },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: `Set by POST /api/session (named \`__Host-${SESSION_COOKIE}\` over HTTPS). State-changing requests must also send X-CSRF-Token.`,
        },
      },
    },
  };
  // A JSON round trip drops optional fields left undefined, so the object equals what is served.
  return JSON.parse(JSON.stringify(document)) as Json;
}
