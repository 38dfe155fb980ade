/**
 * Refuses OOXML packages whose XML parts contain a document type declaration.
 *
 * OOXML never needs a DTD. A `<!DOCTYPE` / `<!ENTITY` is how billion-laughs expansion and XXE
 * file reads are attempted, and whether a given XML library expands them varies by version,
 * so the package is rejected with `corrupt` before mammoth or SheetJS sees it: nothing is ever
 * expanded or fetched. Every .xml/.rels part is streamed through yauzl (which checks the real
 * inflated size against the declared one) and scanned with a three-state byte machine for
 * "<!" not followed by "-" (comment) or "[" (CDATA). NUL bytes are skipped so UTF-16 parts
 * are covered too. Linear time, constant memory per part.
 */
import yauzl from 'yauzl';
import { DocumentError } from '../../core/formats.js';

/** Entry count above which a package is refused here too (the parent checks first, at a lower cap). */
const MAX_ENTRIES = 20_000;

/**
 * CDATA sections allowed per part. Office never writes CDATA; thousands of them are a recursion
 * attack on SheetJS, whose string reader recurses once per section, overflows the stack, swallows
 * the error and silently drops the sheet that uses the strings.
 */
export const MAX_CDATA_SECTIONS = 1_000;

/** Incremental detector for markup declarations; feed chunks, read `found`. */
export class DeclarationScanner {
  private state: 0 | 1 | 2 = 0; // 0: text, 1: after '<', 2: after '<!'
  /** Set once a declaration was seen; callers stop feeding and reject the part. */
  found = false;
  /** CDATA sections seen so far (`<![`). */
  cdataSections = 0;

  /** Scans one chunk; stops early once a declaration has been seen. */
  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length && !this.found; i++) {
      const b = chunk[i];
      if (b === 0) continue;
      if (this.state === 0) {
        if (b === 0x3c) this.state = 1;
      } else if (this.state === 1) {
        this.state = b === 0x21 ? 2 : b === 0x3c ? 1 : 0;
      } else {
        if (b === 0x5b) this.cdataSections++;
        else if (b !== 0x2d) this.found = true;
        this.state = b === 0x3c ? 1 : 0;
      }
    }
  }
}

function openZip(bytes: Uint8Array): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { lazyEntries: true, validateEntrySizes: true }, (err, zip) =>
      err || !zip ? reject(err ?? new Error('no zip')) : resolve(zip),
    );
  });
}

type ScanVerdict = 'clean' | 'declaration' | 'cdata_flood';

function scanEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<ScanVerdict> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('no stream'));
      const scanner = new DeclarationScanner();
      stream.on('data', (chunk: Buffer) => {
        scanner.push(chunk);
        const verdict: ScanVerdict = scanner.found ? 'declaration' : scanner.cdataSections > MAX_CDATA_SECTIONS ? 'cdata_flood' : 'clean';
        if (verdict !== 'clean') {
          stream.destroy();
          resolve(verdict);
        }
      });
      stream.on('error', reject);
      stream.on('end', () => resolve('clean'));
    });
  });
}

/** Throws DocumentError('corrupt') if any XML part of the package declares a DTD or entities. */
export async function assertNoXmlDeclarations(bytes: Uint8Array): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(bytes);
  } catch (err) {
    throw new DocumentError('corrupt', `The file is not a readable ZIP package: ${(err as Error).message}`);
  }
  if (zip.entryCount > MAX_ENTRIES) {
    zip.close();
    throw new DocumentError('decompression_limit', `The package has ${zip.entryCount} entries.`);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entry.fileName.toLowerCase();
        if (!name.endsWith('.xml') && !name.endsWith('.rels') && !name.endsWith('.vml')) {
          zip.readEntry();
          return;
        }
        scanEntry(zip, entry).then((verdict) => {
          if (verdict === 'declaration') {
            reject(new DocumentError('corrupt', `The document part ${entry.fileName} contains an XML DTD or entity declarations, which are not allowed.`));
          } else if (verdict === 'cdata_flood') {
            reject(new DocumentError('corrupt', `The document part ${entry.fileName} contains more than ${MAX_CDATA_SECTIONS} CDATA sections; Office files never use them.`));
          } else {
            zip.readEntry();
          }
        }, reject);
      });
      zip.readEntry();
    });
  } catch (err) {
    if (err instanceof DocumentError) throw err;
    throw new DocumentError('corrupt', `The ZIP package is damaged: ${(err as Error).message}`);
  } finally {
    zip.close();
  }
}
