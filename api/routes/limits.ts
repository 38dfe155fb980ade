/** Upload limits and accepted types, so a client can refuse a file before sending it. */
import { LimitsSchema, type Limits, type TemporalUiLink } from '../../core/api-schemas.js';
import { ACCEPTED_TYPES, DOC_FORMATS } from '../../core/formats.js';
import { createRouter, jsonResponse, tenantRoute } from '../openapi.js';
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

const getLimits = tenantRoute({
  method: 'get',
  path: '/',
  operationId: 'getLimits',
  summary: 'Upload limits and accepted file types',
  tags: ['uploads'],
  responses: { 200: jsonResponse(LimitsSchema, 'The limits this server enforces.') },
});

/** `GET /api/limits`, mounted behind authentication like every tenant route. */
export function limitsRoutes(limits: UploadLimits, temporalUi?: TemporalUiLink) {
  const body = describeLimits(limits, temporalUi ?? null);
  return createRouter().openapi(getLimits, (c) => c.json(body, 200));
}
