/**
 * Document formats and failure reason codes: the vocabulary every layer shares.
 * Pure data, no I/O, safe to import from workflows and the UI.
 */

/** Formats the platform accepts; decided from content (magic bytes), not from the name. */
export const DOC_FORMATS = ['pdf', 'docx', 'xlsx', 'xls', 'csv', 'txt', 'md', 'pptx', 'html', 'odt', 'ods', 'epub', 'eml', 'rtf', 'png', 'jpeg', 'tiff'] as const;
export type DocFormat = (typeof DOC_FORMATS)[number];

/**
 * Formats stored as text (markup included): uploads cap them at the text-file limit, and text
 * content is told apart by its name (RTF must also start with `{\rtf`, EML with mail headers).
 */
export const TEXT_FORMATS: readonly DocFormat[] = ['txt', 'md', 'csv', 'html', 'eml', 'rtf'];
/** Whether `format` is one of TEXT_FORMATS. */
export const isTextFormat = (format: DocFormat): boolean => TEXT_FORMATS.includes(format);

/**
 * File extensions and MIME types per format: the one table that upload detection checks names
 * against and that /api/limits offers to file pickers. Keyed by DocFormat, so a new format
 * without a row fails to compile.
 */
export const ACCEPTED_TYPES: Record<DocFormat, { extensions: string[]; mimeTypes: string[] }> = {
  pdf: { extensions: ['.pdf'], mimeTypes: ['application/pdf'] },
  docx: { extensions: ['.docx'], mimeTypes: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'] },
  xlsx: { extensions: ['.xlsx'], mimeTypes: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'] },
  xls: { extensions: ['.xls'], mimeTypes: ['application/vnd.ms-excel'] },
  csv: { extensions: ['.csv'], mimeTypes: ['text/csv'] },
  txt: { extensions: ['.txt', '.text'], mimeTypes: ['text/plain'] },
  md: { extensions: ['.md', '.markdown'], mimeTypes: ['text/markdown'] },
  png: { extensions: ['.png'], mimeTypes: ['image/png'] },
  jpeg: { extensions: ['.jpg', '.jpeg'], mimeTypes: ['image/jpeg'] },
  tiff: { extensions: ['.tif', '.tiff'], mimeTypes: ['image/tiff'] },
  pptx: { extensions: ['.pptx'], mimeTypes: ['application/vnd.openxmlformats-officedocument.presentationml.presentation'] },
  html: { extensions: ['.html', '.htm', '.xhtml'], mimeTypes: ['text/html', 'application/xhtml+xml'] },
  odt: { extensions: ['.odt'], mimeTypes: ['application/vnd.oasis.opendocument.text'] },
  ods: { extensions: ['.ods'], mimeTypes: ['application/vnd.oasis.opendocument.spreadsheet'] },
  epub: { extensions: ['.epub'], mimeTypes: ['application/epub+zip'] },
  eml: { extensions: ['.eml'], mimeTypes: ['message/rfc822'] },
  rtf: { extensions: ['.rtf'], mimeTypes: ['application/rtf', 'text/rtf'] },
};

/** Why a document could not be indexed. Stable strings: the UI and API clients switch on them. */
export const REASON_CODES = [
  'empty_file',
  'too_large',
  'unsupported_type',
  'type_mismatch',
  'corrupt',
  'encrypted',
  'too_many_pages',
  'decompression_limit',
  'resource_limit',
  'unsafe_content',
  'no_extractable_text',
  'ocr_unavailable',
  'encoding_error',
  'limit_exceeded',
  'timeout',
  'cancelled',
  'upload_expired',
  'embedding_rejected',
  'embedding_auth',
  'internal_error',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** A failure that can never succeed on retry, carrying a reason code for the user. */
export class DocumentError extends Error {
  constructor(
    readonly code: ReasonCode,
    message: string,
  ) {
    super(message);
    this.name = 'DocumentError';
  }
}
