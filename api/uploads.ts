/**
 * Multipart upload handling. Each file part is streamed to storage while it is hashed, then
 * its type is decided from its content; nothing is buffered whole in memory. A file that is
 * refused (wrong type, bomb, too large) is reported and discarded without failing the others.
 */
import { Readable } from 'node:stream';
import Busboy from 'busboy';
import type { RejectedFile } from '../core/api-schemas.js';
import { DocumentError, isTextFormat, type DocFormat, type ReasonCode } from '../core/formats.js';
import { sanitizeFilename } from '../core/filenames.js';
import { BlobTooLargeError, type BlobStore, type StagedUpload } from '../adapters/blob-store.js';
import { ApiError } from './errors.js';

export interface UploadLimits {
  maxFileBytes: number;
  maxRequestBytes: number;
  maxFilesPerBatch: number;
  /** Plain-text formats (txt, md, csv) have a lower cap: their size is all text to embed. */
  maxTextFileBytes: number;
}

export interface AcceptedFile {
  filename: string;
  format: DocFormat;
  staged: StagedUpload;
}

/** Decides a file's format from its content and name; throws DocumentError when refused. */
export type FileInspector = (filePath: string, filename: string) => Promise<DocFormat>;

/** HTTP status for a refused upload, by reason code. */
export function statusForRejection(code: ReasonCode): 400 | 413 | 415 | 422 {
  switch (code) {
    case 'too_large':
      return 413;
    case 'type_mismatch':
    case 'unsupported_type':
      return 415;
    case 'decompression_limit':
    case 'unsafe_content':
    case 'limit_exceeded':
      return 422;
    default:
      return 400;
  }
}

/** Reads every `files` part of a multipart request into staged storage. */
export async function receiveFiles(
  request: Request,
  blobs: BlobStore,
  inspect: FileInspector,
  limits: UploadLimits,
): Promise<{ accepted: AcceptedFile[]; rejected: RejectedFile[] }> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw new ApiError(415, 'unsupported_media_type', 'Send files as multipart/form-data in parts named "files".');
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxRequestBytes) {
    throw new ApiError(413, 'too_large', `The request is larger than the ${limits.maxRequestBytes}-byte limit.`);
  }
  if (!request.body) throw new ApiError(400, 'bad_request', 'The request has no body.');

  const busboy = Busboy({
    headers: { 'content-type': contentType },
    defParamCharset: 'utf8',
    limits: { files: limits.maxFilesPerBatch, fileSize: limits.maxFileBytes + 1, fields: 20, parts: limits.maxFilesPerBatch + 20 },
  });
  const pending: Promise<AcceptedFile | RejectedFile>[] = [];
  let tooManyFiles = false;
  let received = 0;

  busboy.on('file', (field, stream, info) => {
    const filename = sanitizeFilename(info.filename ?? '');
    if (field !== 'files') {
      stream.resume();
      return;
    }
    pending.push(stageOne(stream, filename));
  });
  busboy.on('filesLimit', () => {
    tooManyFiles = true;
  });

  async function stageOne(stream: Readable, filename: string): Promise<AcceptedFile | RejectedFile> {
    let staged: StagedUpload | undefined;
    try {
      staged = await blobs.stage(stream, limits.maxFileBytes);
      if (staged.size === 0) throw new DocumentError('empty_file', 'The file is empty.');
      const format = await inspect(staged.tempPath, filename);
      if (isTextFormat(format) && staged.size > limits.maxTextFileBytes) {
        throw new DocumentError('too_large', `Text files may be at most ${limits.maxTextFileBytes} bytes; split this one.`);
      }
      return { filename, format, staged };
    } catch (err) {
      if (staged) await blobs.discard(staged);
      if (err instanceof BlobTooLargeError) {
        stream.resume(); // drain the rest of this part so the next one can be read
        return { filename, code: 'too_large', message: `The file is larger than the ${limits.maxFileBytes}-byte limit.` };
      }
      if (err instanceof DocumentError) return { filename, code: err.code, message: err.message };
      throw err;
    }
  }

  const body = Readable.fromWeb(request.body as import('node:stream/web').ReadableStream);
  body.on('data', (chunk: Buffer) => {
    received += chunk.length;
    // Chunked uploads have no Content-Length: stop reading as soon as the limit is passed.
    if (received > limits.maxRequestBytes) body.destroy(new ApiError(413, 'too_large', `The request is larger than the ${limits.maxRequestBytes}-byte limit.`));
  });
  await new Promise<void>((resolve, reject) => {
    busboy.on('close', resolve);
    busboy.on('error', reject);
    // Destroying busboy also destroys the file stream being staged, so stage() rejects and
    // removes its partial temp file instead of waiting forever (over-limit or aborted uploads).
    body.on('error', (err) => {
      busboy.destroy(err);
      reject(err);
    });
    body.pipe(busboy);
  }).catch(async (err) => {
    const settled = await Promise.allSettled(pending);
    for (const s of settled) if (s.status === 'fulfilled' && 'staged' in s.value) await blobs.discard(s.value.staged);
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'bad_request', `The multipart body could not be read: ${(err as Error).message}`);
  });

  const results = await Promise.all(pending);
  if (tooManyFiles) {
    for (const r of results) if ('staged' in r) await blobs.discard(r.staged);
    throw new ApiError(413, 'limit_exceeded', `A batch may hold at most ${limits.maxFilesPerBatch} files.`);
  }
  return {
    accepted: results.filter((r): r is AcceptedFile => 'staged' in r),
    rejected: results.filter((r): r is RejectedFile => !('staged' in r)),
  };
}
