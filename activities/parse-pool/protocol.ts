/**
 * IPC messages between the pool and its parse children, and the parent's validation of what a
 * child sends back. The child runs hostile input through third-party parsers, so its output is
 * treated as untrusted data: the parent rebuilds a fresh ParsedDocument from known fields with
 * checked types, never spreading or merging child objects. A `__proto__` key in a message can
 * therefore never reach an Object.prototype in the parent.
 */
import { DocumentError, REASON_CODES, type DocFormat, type ReasonCode } from '../../core/formats.js';
import type { ParsedDocument, ParsedSection } from '../../core/parsed.js';
import type { ParseLimits } from '../parsers/types.js';

/** Parent -> child: parse one file. */
export interface JobMessage {
  type: 'job';
  id: number;
  filePath: string;
  format: DocFormat;
  limits: ParseLimits;
}

/** Child -> parent messages; 'io' marks failures reading our own storage (retryable, not the document's fault). */
export type ChildMessage = { type: 'ready' } | { type: 'result'; id: number; doc: ParsedDocument } | { type: 'error'; id: number; code: ReasonCode | 'io'; message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Copies a child's result into a fresh, plain ParsedDocument, or throws if it is malformed. */
export function toParsedDocument(raw: unknown, format: DocFormat): ParsedDocument {
  if (!isRecord(raw) || !Array.isArray(raw.sections)) {
    throw new DocumentError('internal_error', 'The parser returned a malformed result.');
  }
  const sections: ParsedSection[] = [];
  for (const item of raw.sections as unknown[]) {
    if (!isRecord(item) || typeof item.text !== 'string') {
      throw new DocumentError('internal_error', 'The parser returned a malformed section.');
    }
    const section: ParsedSection = { text: item.text };
    const page = optionalInt(item.page);
    const heading = optionalString(item.heading);
    const sheet = optionalString(item.sheet);
    const rowStart = optionalInt(item.rowStart);
    const rowEnd = optionalInt(item.rowEnd);
    if (page !== undefined) section.page = page;
    if (heading !== undefined) section.heading = heading;
    if (sheet !== undefined) section.sheet = sheet;
    if (rowStart !== undefined) section.rowStart = rowStart;
    if (rowEnd !== undefined) section.rowEnd = rowEnd;
    sections.push(section);
  }
  const doc: ParsedDocument = { format, sections };
  const pageCount = optionalInt(raw.pageCount);
  const encoding = optionalString(raw.encoding);
  if (pageCount !== undefined) doc.pageCount = pageCount;
  if (encoding !== undefined) doc.encoding = encoding.slice(0, 40);
  return doc;
}

/** Turns a child's error message into the error the caller sees; unknown codes become internal errors. */
export function toError(code: unknown, message: unknown): Error {
  const text = typeof message === 'string' ? message.slice(0, 500) : 'The parser failed.';
  if (code === 'io') return new Error(`Parse child could not read the file: ${text}`);
  if (typeof code === 'string' && (REASON_CODES as readonly string[]).includes(code)) {
    return new DocumentError(code as ReasonCode, text);
  }
  return new DocumentError('internal_error', text);
}
