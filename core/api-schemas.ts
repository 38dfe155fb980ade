/**
 * HTTP contract of the routes that surround the batch pipeline: sessions, limits, health and
 * the full upload answer. Kept apart from contracts.ts so the two can change independently;
 * the API validates with these and the OpenAPI document is generated from them.
 */
import { z } from 'zod';
import { DOC_FORMATS, REASON_CODES } from './formats.js';
import { CreateBatchResponseSchema } from './contracts.js';

/** What an API key looks like (`dfk_…`); checked before any lookup, in the API and the sign-in form. */
export const API_KEY_PATTERN = /^[A-Za-z0-9_-]{10,200}$/;

/** Body of `POST /api/session`: the browser trades an API key for a cookie once. */
export const SessionLoginRequestSchema = z
  .object({ apiKey: z.string().regex(API_KEY_PATTERN, 'not an API key') })
  .meta({ id: 'SessionLoginRequest', description: 'The API key to sign in with; it is never stored in the browser afterwards.' });
/** Typed login body for the UI. */
export type SessionLoginRequest = z.infer<typeof SessionLoginRequestSchema>;

/** What the browser learns about its session; the cookie itself stays httpOnly. */
export const SessionSchema = z
  .object({
    tenantId: z.string(),
    /** Send as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE made with the cookie. */
    csrfToken: z.string().meta({ description: 'Send as X-CSRF-Token on POST, PUT, PATCH and DELETE requests authenticated by the session cookie.' }),
    expiresAt: z.iso.datetime().meta({ description: 'When the session ends; sign in again after it.' }),
  })
  .meta({ id: 'Session' });
/** Typed session answer for the UI. */
export type Session = z.infer<typeof SessionSchema>;

/** One accepted format with what a file picker needs to offer it. */
export const AcceptedTypeSchema = z
  .object({
    format: z.enum(DOC_FORMATS),
    extensions: z.array(z.string()).meta({ description: 'File name extensions, with the leading dot.' }),
    mimeTypes: z.array(z.string()),
  })
  .meta({ id: 'AcceptedType' });
/** One accepted format, typed for the UI. */
export type AcceptedType = z.infer<typeof AcceptedTypeSchema>;

/** Where a client links a batch's run: `<baseUrl>/namespaces/<namespace>/workflows/<workflowId>`. */
export const TemporalUiLinkSchema = z
  .object({ baseUrl: z.string(), namespace: z.string() })
  .meta({ id: 'TemporalUiLink', description: 'The Temporal Web UI that shows the runs; a run is at <baseUrl>/namespaces/<namespace>/workflows/<workflowId>.' });
/** Typed Temporal Web UI location for the UI. */
export type TemporalUiLink = z.infer<typeof TemporalUiLinkSchema>;

/** `GET /api/limits`: lets a client refuse a file before uploading it, and says where runs are shown. */
export const LimitsSchema = z
  .object({
    temporalUi: TemporalUiLinkSchema.nullable(),
    maxFileBytes: z.number().int(),
    maxRequestBytes: z.number().int(),
    maxFilesPerBatch: z.number().int(),
    maxTextFileBytes: z.number().int(),
    acceptedTypes: z.array(AcceptedTypeSchema),
  })
  .meta({ id: 'Limits' });
/** Typed limits answer for the UI. */
export type Limits = z.infer<typeof LimitsSchema>;

/** A file refused at upload, reported next to the accepted ones. */
export const RejectedFileSchema = z.object({ filename: z.string(), code: z.enum(REASON_CODES), message: z.string() }).meta({ id: 'RejectedFile' });
/** One refused upload, typed for clients. */
export type RejectedFile = z.infer<typeof RejectedFileSchema>;

/** The whole `POST /api/batches` answer: the shared contract plus refusals and replay marker. */
export const CreateBatchResultSchema = CreateBatchResponseSchema.extend({
  rejected: z.array(RejectedFileSchema),
  replayed: z.literal(true).optional().meta({ description: 'Present when an Idempotency-Key matched an earlier upload.' }),
}).meta({ id: 'CreateBatchResult' });
/** Typed upload answer for clients. */
export type CreateBatchResult = z.infer<typeof CreateBatchResultSchema>;

/** One dependency's state in `GET /api/health`. */
export const HealthCheckSchema = z.object({ ok: z.boolean(), detail: z.string() });

/** `GET /api/health`, the same body with 200 or 503. */
export const HealthResponseSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.object({
      temporal: HealthCheckSchema,
      embedder: HealthCheckSchema,
      vectorStore: HealthCheckSchema,
      catalog: HealthCheckSchema,
      fileStore: HealthCheckSchema,
    }),
  })
  .meta({ id: 'HealthResponse' });
/** Typed health answer for probes and the UI. */
export type HealthResponse = z.infer<typeof HealthResponseSchema>;
