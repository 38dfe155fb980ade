/**
 * Refuses PDFs whose zlib (FlateDecode) streams inflate far beyond the file's own size.
 *
 * pdf.js inflates a content stream completely before reading it, so a 1 MB file can ask for
 * gigabytes. The parse child's RSS cap stops that eventually; this guard answers the common
 * case quickly and deterministically: every `stream ... endstream` body that starts with a zlib
 * header is inflated natively (zlib, off the JS heap, output discarded chunk by chunk) and the
 * total is compared with a budget of max(128 MiB, 100 x file size). Real PDFs inflate to well
 * under 20x their size. Counting stops the moment the budget is crossed, so the check costs at
 * most one budget of zlib work. Streams that are not zlib (images in DCT/JPX, RunLength, LZW)
 * or do not inflate cleanly (encrypted, damaged) are left to pdf.js and the memory cap.
 */
import { createInflate, constants } from 'node:zlib';
import { DocumentError } from '../../core/formats.js';

/** Minimum budget, so small PDFs with a few large deflated images still pass. */
export const MIN_INFLATE_BUDGET = 128 * 1024 * 1024;
/** Allowed ratio of inflated bytes to file size. */
export const MAX_INFLATE_RATIO = 100;

function isZlibHeader(buf: Buffer, at: number): boolean {
  if (at + 2 > buf.length) return false;
  const cmf = buf[at];
  const flg = buf[at + 1];
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

/** Inflates `data`, counting output bytes; resolves early with cap + 1 once the cap is crossed. */
function inflatedSize(data: Buffer, cap: number): Promise<number> {
  return new Promise((resolve) => {
    let total = 0;
    let done = false;
    const inflate = createInflate({ finishFlush: constants.Z_SYNC_FLUSH });
    const finish = (value: number) => {
      if (done) return;
      done = true;
      inflate.destroy();
      resolve(value);
    };
    inflate.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > cap) finish(total);
    });
    inflate.on('error', () => finish(total)); // damaged or encrypted: not our call
    inflate.on('end', () => finish(total));
    inflate.end(data);
  });
}

/** Throws DocumentError('resource_limit') when the PDF's zlib streams inflate beyond the budget. */
export async function assertInflateBudget(bytes: Uint8Array): Promise<void> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const budget = Math.max(MIN_INFLATE_BUDGET, MAX_INFLATE_RATIO * buf.length);
  let total = 0;
  let at = buf.indexOf('stream');
  while (at !== -1) {
    let start = at + 6;
    const isEnd = at >= 3 && buf[at - 3] === 0x65 && buf[at - 2] === 0x6e && buf[at - 1] === 0x64; // "end"
    if (buf[start] === 0x0d) start++;
    if (isEnd || (buf[start] !== 0x0a && buf[start - 1] !== 0x0d)) {
      at = buf.indexOf('stream', at + 6);
      continue;
    }
    if (buf[start] === 0x0a) start++;
    let end = buf.indexOf('endstream', start);
    if (end === -1) end = buf.length;
    if (isZlibHeader(buf, start)) {
      total += await inflatedSize(buf.subarray(start, end), budget - total);
      if (total > budget) {
        throw new DocumentError(
          'resource_limit',
          `The PDF's compressed streams inflate to more than ${Math.round(budget / (1024 * 1024))} MB, over ${MAX_INFLATE_RATIO} times the file size.`,
        );
      }
    }
    at = buf.indexOf('stream', end + 9);
  }
}
