/** Upload limits and accepted types, so a client can refuse a file before sending it. */
import { Hono } from 'hono';
import type { Limits } from '../../core/api-schemas.js';
import { DOC_FORMATS, type DocFormat } from '../../core/formats.js';
import type { UploadLimits } from '../uploads.js';

/**
 * What a file picker should offer per format. Keyed by DocFormat so adding a format without
 * describing it here fails to compile; the extensions match what detection accepts (tested).
 */
export const ACCEPTED_TYPES: Record<DocFormat, { extensions: string[]; mimeTypes: string[] }> = {
  pdf: { extensions: ['.pdf'], mimeTypes: ['application/pdf'] },
  docx: { extensions: ['.docx'], mimeTypes: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'] },
  xlsx: { extensions: ['.xlsx'], mimeTypes: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'] },
  xls: { extensions: ['.xls'], mimeTypes: ['application/vnd.ms-excel'] },
  csv: { extensions: ['.csv'], mimeTypes: ['text/csv'] },
  txt: { extensions: ['.txt', '.text'], mimeTypes: ['text/plain'] },
  md: { extensions: ['.md', '.markdown'], mimeTypes: ['text/markdown'] },
};

/** The limits answer for the configured upload limits. */
export function describeLimits(limits: UploadLimits): Limits {
  return {
    maxFileBytes: limits.maxFileBytes,
    maxRequestBytes: limits.maxRequestBytes,
    maxFilesPerBatch: limits.maxFilesPerBatch,
    acceptedTypes: DOC_FORMATS.map((format) => ({ format, ...ACCEPTED_TYPES[format] })),
  };
}

/** `GET /api/limits`, mounted behind authentication like every tenant route. */
export function limitsRoutes(limits: UploadLimits) {
  const body = describeLimits(limits);
  return new Hono().get('/', (c) => c.json(body));
}
