/**
 * Reads named parts out of a ZIP package (PPTX, ODT, EPUB) for parsers that walk the package
 * themselves. The upload already checked the central directory (zip-directory.ts); here every
 * read is bounded again by what is actually inflated: yauzl compares each entry's real size
 * with its declared one, a part may inflate to at most maxPartBytes, and all reads of one
 * document together to at most maxTotalBytes, so a header that lies cannot balloon a parse.
 */
import yauzl from 'yauzl';
import { DocumentError } from '../../core/formats.js';

/** Inflation caps of one package read. */
export interface ZipPartLimits {
  maxPartBytes: number;
  maxTotalBytes: number;
}

/** Far above any real slide, chapter or content.xml, well inside a parse child's memory cap. */
export const DEFAULT_ZIP_PART_LIMITS: ZipPartLimits = Object.freeze({
  maxPartBytes: 64 * 1024 * 1024,
  maxTotalBytes: 200 * 1024 * 1024,
});

function mb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/** An opened package: its part names, and reads of single parts under the caps. */
export class ZipParts {
  private inflated = 0;

  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
    private readonly limits: ZipPartLimits,
  ) {}

  /** Opens the package and lists its entries (directory only, nothing inflated). */
  static async open(bytes: Uint8Array, limits: ZipPartLimits = DEFAULT_ZIP_PART_LIMITS): Promise<ZipParts> {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    try {
      const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
        yauzl.fromBuffer(buffer, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, z) => (err || !z ? reject(err ?? new Error('no zip')) : resolve(z))),
      );
      const entries = new Map<string, yauzl.Entry>();
      await new Promise<void>((resolve, reject) => {
        zip.on('error', reject);
        zip.on('end', () => resolve());
        zip.on('entry', (entry: yauzl.Entry) => {
          if (!entry.fileName.endsWith('/')) entries.set(entry.fileName, entry);
          zip.readEntry();
        });
        zip.readEntry();
      });
      return new ZipParts(zip, entries, limits);
    } catch (err) {
      if (err instanceof DocumentError) throw err;
      throw new DocumentError('corrupt', `The package is not a readable ZIP archive: ${(err as Error).message.slice(0, 160)}`);
    }
  }

  /** Whether the package has a part of exactly this name. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Every part name, in directory order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The inflated bytes of one part; `corrupt` when missing or damaged, `decompression_limit` past the caps. */
  async read(name: string): Promise<Buffer> {
    const entry = this.entries.get(name);
    if (!entry) throw new DocumentError('corrupt', `The package has no part ${name.slice(0, 200)}.`);
    if (entry.isEncrypted()) throw new DocumentError('encrypted', `The package part ${name.slice(0, 200)} is encrypted.`);
    if (entry.uncompressedSize > this.limits.maxPartBytes) throw this.tooBig(name);
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        this.zip.openReadStream(entry, (err, stream) => {
          if (err || !stream) return reject(err ?? new Error('unreadable part'));
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (chunk: Buffer) => {
            size += chunk.length;
            this.inflated += chunk.length;
            if (size > this.limits.maxPartBytes || this.inflated > this.limits.maxTotalBytes) {
              stream.destroy();
              reject(this.tooBig(name));
              return;
            }
            chunks.push(chunk);
          });
          stream.on('error', reject);
          stream.on('end', () => resolve(Buffer.concat(chunks)));
        });
      });
    } catch (err) {
      if (err instanceof DocumentError) throw err;
      const message = (err as Error).message;
      if (/too many bytes|size mismatch|expected .* bytes/i.test(message)) {
        throw new DocumentError('decompression_limit', `The package part ${name.slice(0, 200)} inflates beyond its declared size.`);
      }
      throw new DocumentError('corrupt', `The package part ${name.slice(0, 200)} is damaged: ${message.slice(0, 160)}`);
    }
  }

  /** One part as text: UTF-8 unless it starts with a UTF-16 byte-order mark (XML allows both). */
  async readText(name: string): Promise<string> {
    const bytes = await this.read(name);
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
    return new TextDecoder('utf-8').decode(bytes);
  }

  /** Releases the archive. */
  close(): void {
    this.zip.close();
  }

  private tooBig(name: string): DocumentError {
    const cap = Math.min(this.limits.maxPartBytes, this.limits.maxTotalBytes);
    return new DocumentError(
      'decompression_limit',
      `The package part ${name.slice(0, 200)} inflates to more than ${mb(cap)} (or the parts together beyond ${mb(this.limits.maxTotalBytes)}).`,
    );
  }
}

/** Opens a package, runs `use` on it, and always closes it. */
export async function withZipParts<T>(bytes: Uint8Array, use: (parts: ZipParts) => Promise<T>): Promise<T> {
  const parts = await ZipParts.open(bytes);
  try {
    return await use(parts);
  } finally {
    parts.close();
  }
}
