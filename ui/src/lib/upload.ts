/**
 * Upload: checks the chosen files against `GET /api/limits` before a byte is sent, then sends
 * them as ONE multipart POST (the API makes one batch per request) with XMLHttpRequest, whose
 * upload progress events give each file its own bar. Files travel in order inside the body, so
 * a file's share of the bytes sent is read off its offset in the request.
 */
import type { CreateBatchResult, Limits } from '../../../core/api-schemas.js';
import { isTextFormat, type DocFormat } from '../../../core/formats.js';
import { ApiRequestError, csrfHeaders, errorFrom } from './api.js';

/** Why the app refuses a file before sending it; rendered with the i18n dictionary. */
export type FileProblem = { kind: 'type'; ext: string } | { kind: 'empty' } | { kind: 'too_large'; size: number; max: number } | { kind: 'duplicate' };

/** The smallest description of a file the checks need (a File satisfies it). */
export interface FileLike {
  name: string;
  size: number;
}

export interface SelectionCheck {
  /** Problems per file, by index in the selection; files without one are absent. */
  files: Map<number, FileProblem>;
  /** Problems with the selection as a whole. */
  tooMany: { max: number; extra: number } | null;
  tooLargeTotal: { size: number; max: number } | null;
  /** True when the selection can be sent as it is. */
  ok: boolean;
}

/** Lower-case extension with its dot, or '' when the name has none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

/** The accepted format for a file name, if any. */
export function formatOf(name: string, limits: Limits): DocFormat | null {
  const ext = extensionOf(name);
  return limits.acceptedTypes.find((t) => t.extensions.includes(ext))?.format ?? null;
}

/** Checks a selection the way the server will, so the person learns before waiting for bytes. */
export function checkSelection(files: readonly FileLike[], limits: Limits): SelectionCheck {
  const problems = new Map<number, FileProblem>();
  const seen = new Set<string>();
  files.forEach((file, index) => {
    const format = formatOf(file.name, limits);
    const key = `${file.name}\u0000${file.size}`;
    if (!format) problems.set(index, { kind: 'type', ext: extensionOf(file.name) || file.name });
    else if (file.size === 0) problems.set(index, { kind: 'empty' });
    else {
      const max = isTextFormat(format) ? Math.min(limits.maxTextFileBytes, limits.maxFileBytes) : limits.maxFileBytes;
      if (file.size > max) problems.set(index, { kind: 'too_large', size: file.size, max });
      else if (seen.has(key)) problems.set(index, { kind: 'duplicate' });
    }
    seen.add(key);
  });
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const tooMany = files.length > limits.maxFilesPerBatch ? { max: limits.maxFilesPerBatch, extra: files.length - limits.maxFilesPerBatch } : null;
  // Multipart framing adds a little per part; keep a margin so the server's cap is not hit by it.
  const tooLargeTotal = total + files.length * 512 > limits.maxRequestBytes ? { size: total, max: limits.maxRequestBytes } : null;
  return { files: problems, tooMany, tooLargeTotal, ok: files.length > 0 && problems.size === 0 && !tooMany && !tooLargeTotal };
}

/**
 * Fraction (0..1) of each file sent, given the bytes of the request sent so far. The framing
 * overhead (total minus the files' sizes) is spread evenly over the parts; it is small and
 * only shifts where each bar starts by a few hundred bytes.
 */
export function perFileProgress(sizes: readonly number[], loaded: number, total: number): number[] {
  const payload = sizes.reduce((a, b) => a + b, 0);
  const overhead = sizes.length > 0 ? Math.max(0, total - payload) / sizes.length : 0;
  let start = 0;
  return sizes.map((size) => {
    const begin = start + overhead;
    start = begin + size;
    if (size === 0) return loaded >= begin ? 1 : 0;
    return Math.min(1, Math.max(0, (loaded - begin) / size));
  });
}

/** Sends the files as one batch; `onProgress` gets each file's fraction as bytes go out. */
export function uploadFiles(files: readonly File[], onProgress: (fractions: number[]) => void): Promise<CreateBatchResult> {
  const form = new FormData();
  for (const file of files) form.append('files', file, file.name);
  const sizes = files.map((f) => f.size);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/batches');
    xhr.setRequestHeader('accept', 'application/json');
    for (const [name, value] of Object.entries(csrfHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(perFileProgress(sizes, event.loaded, event.total));
    };
    xhr.upload.onload = () => onProgress(sizes.map(() => 1));
    xhr.onerror = () => reject(new ApiRequestError(0, 'network_error', 'network error', null));
    xhr.onload = async () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as CreateBatchResult);
      else reject(await errorFrom(xhr.status, xhr.responseText));
    };
    xhr.send(form);
  });
}
