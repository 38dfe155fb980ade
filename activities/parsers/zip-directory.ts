/**
 * Checks an OOXML upload (docx/xlsx) by reading only its ZIP central directory, before any
 * byte is inflated. Refusals and their codes:
 *  - more than maxEntries entries, total declared uncompressed size over the cap, or any entry
 *    over ratioCheckMinBytes inflating more than maxRatio:1 -> `decompression_limit`;
 *  - entry names with `..` segments, absolute paths, drive letters or backslashes (zip slip)
 *    -> `unsafe_content` (chosen over decompression_limit: it is an attack on paths, not size;
 *    nothing is ever extracted to disk anyway);
 *  - `vbaProject.bin` anywhere (a macro-enabled .docm/.xlsm renamed) -> `unsafe_content`;
 *  - encrypted entries -> `encrypted`; duplicate part names or a damaged directory -> `corrupt`.
 * Only declared sizes are seen here. A header that lies (declares little, inflates a lot) is
 * caught when the parser inflates it: yauzl/fflate/JSZip stop at the declared size or fail on
 * the mismatch, and the parse child's RSS cap backstops anything that still balloons.
 */
import yauzl from 'yauzl';
import { DocumentError } from '../../core/formats.js';

/** Caps for the central-directory check; exported so the API and tests can see and tune them. */
export interface ZipLimits {
  maxEntries: number;
  maxTotalUncompressedBytes: number;
  maxRatio: number;
  ratioCheckMinBytes: number;
}

/** Real documents stay far below these: Word/Excel files have tens of parts and ratios under 30:1. */
export const DEFAULT_ZIP_LIMITS: ZipLimits = Object.freeze({
  maxEntries: 5_000,
  maxTotalUncompressedBytes: 200 * 1024 * 1024,
  maxRatio: 100,
  ratioCheckMinBytes: 1024 * 1024,
});

const PATH_ERRORS = /^(invalid characters in fileName|absolute path|invalid relative path)/;

function classifyYauzlError(err: Error): DocumentError | Error {
  if (err instanceof DocumentError) return err;
  if ((err as NodeJS.ErrnoException).code) return err; // I/O on our own storage: not the document's fault
  if (PATH_ERRORS.test(err.message)) {
    return new DocumentError('unsafe_content', `The archive contains an unsafe entry name (${err.message.slice(0, 120)}).`);
  }
  if (/encrypt/i.test(err.message)) return new DocumentError('encrypted', 'The document is encrypted.');
  return new DocumentError('corrupt', `The ZIP structure is damaged: ${err.message.slice(0, 160)}`);
}

function mb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/** What the directory says the package is, after all checks passed. */
export type OoxmlKind = 'docx' | 'xlsx';

/** Reads the central directory of filePath, applies the caps, and tells docx from xlsx. */
export function inspectOoxml(filePath: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<OoxmlKind> {
  return new Promise((resolve, reject) => {
    // strictFileNames makes yauzl refuse backslashes instead of silently converting them; size
    // validation is ours (below), so a lying stored entry is reported as a size problem.
    yauzl.open(filePath, { lazyEntries: true, autoClose: true, strictFileNames: true, validateEntrySizes: false }, (openErr, zip) => {
      if (openErr || !zip) return reject(classifyYauzlError(openErr ?? new Error('unreadable archive')));
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        zip.close();
        reject(classifyYauzlError(err));
      };
      if (zip.entryCount > limits.maxEntries) {
        return fail(
          new DocumentError('decompression_limit', `The archive has ${zip.entryCount.toLocaleString('en-US')} entries; the limit is ${limits.maxEntries.toLocaleString('en-US')}.`),
        );
      }
      const names = new Set<string>();
      let total = 0;
      zip.on('error', fail);
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entry.fileName;
        const lower = name.toLowerCase();
        if (names.has(lower)) return fail(new DocumentError('corrupt', `The archive contains the part ${name} twice.`));
        names.add(lower);
        if (name.includes('\0')) return fail(new DocumentError('unsafe_content', 'The archive contains an entry name with a NUL byte.'));
        if (lower.endsWith('vbaproject.bin')) {
          return fail(new DocumentError('unsafe_content', 'The document contains macros (vbaProject.bin); macro-enabled files are not accepted.'));
        }
        if (entry.isEncrypted()) return fail(new DocumentError('encrypted', 'The archive entries are encrypted.'));
        total += entry.uncompressedSize;
        if (total > limits.maxTotalUncompressedBytes) {
          return fail(new DocumentError('decompression_limit', `The archive would inflate to more than ${mb(limits.maxTotalUncompressedBytes)}.`));
        }
        if (entry.compressionMethod === 0 && entry.compressedSize !== entry.uncompressedSize && !entry.isEncrypted()) {
          return fail(new DocumentError('decompression_limit', `The archive entry ${name} declares inconsistent sizes.`));
        }
        if (entry.uncompressedSize > limits.ratioCheckMinBytes) {
          const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
          if (ratio > limits.maxRatio) {
            return fail(new DocumentError('decompression_limit', `The archive entry ${name} inflates ${Math.round(ratio)}:1; the limit is ${limits.maxRatio}:1.`));
          }
        }
        zip.readEntry();
      });
      zip.on('end', () => {
        if (settled) return;
        settled = true;
        const hasDocx = names.has('word/document.xml');
        const hasXlsx = names.has('xl/workbook.xml');
        if (hasDocx && !hasXlsx) return resolve('docx');
        if (hasXlsx && !hasDocx) return resolve('xlsx');
        reject(
          new DocumentError(
            'type_mismatch',
            hasDocx ? 'The archive claims to be both a Word and an Excel document.' : 'The ZIP archive is neither a Word (.docx) nor an Excel (.xlsx) document.',
          ),
        );
      });
      zip.readEntry();
    });
  });
}
