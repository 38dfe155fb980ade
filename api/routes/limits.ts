/** Upload limits and accepted types, so a client can refuse a file before sending it. */
import { Hono } from 'hono';
import type { Limits, TemporalUiLink } from '../../core/api-schemas.js';
import { ACCEPTED_TYPES, DOC_FORMATS } from '../../core/formats.js';
import type { UploadLimits } from '../uploads.js';

/** The limits answer for the configured upload limits. */
export function describeLimits(limits: UploadLimits, temporalUi: TemporalUiLink | null = null): Limits {
  return {
    temporalUi,
    maxFileBytes: limits.maxFileBytes,
    maxRequestBytes: limits.maxRequestBytes,
    maxFilesPerBatch: limits.maxFilesPerBatch,
    maxTextFileBytes: limits.maxTextFileBytes,
    acceptedTypes: DOC_FORMATS.map((format) => ({ format, ...ACCEPTED_TYPES[format] })),
  };
}

/** `GET /api/limits`, mounted behind authentication like every tenant route. */
export function limitsRoutes(limits: UploadLimits, temporalUi?: TemporalUiLink) {
  const body = describeLimits(limits, temporalUi ?? null);
  return new Hono().get('/', (c) => c.json(body));
}
