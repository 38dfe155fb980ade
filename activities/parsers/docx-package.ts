/**
 * A DOCX package read part by part, each XML part streamed: inflated chunk by chunk out of the
 * ZIP (yauzl) and tokenized as it arrives (htmlparser2 in XML mode), so the memory a part costs
 * is what the handler keeps, never the part's XML. This is why DOCX is not read through
 * mammoth: mammoth builds a DOM of the whole document.xml, and a 464 KB DOCX with 12.6 MB of
 * XML peaked at 700-880 MB there.
 *
 * Only parts inside the package are ever read: relationship targets are resolved to part names
 * and looked up in the ZIP directory, so an external target (an image linked to
 * `file:///etc/passwd`) is never opened. DTDs never reach this reader (xml-guard refuses them
 * first); htmlparser2 decodes only the predefined and numeric entities. Elements nested deeper
 * than MAX_DOCX_DEPTH are refused as `corrupt`: Word never writes such a file.
 */
import { Parser } from 'htmlparser2';
import yauzl from 'yauzl';
import { DocumentError } from '../../core/formats.js';

/** The WordprocessingML namespaces (transitional and strict). */
const WORD_NS = new Set(['http://schemas.openxmlformats.org/wordprocessingml/2006/main', 'http://purl.oclc.org/ooxml/wordprocessingml/main']);

/** Deeper element nesting than this is refused; real documents stay under ~50. */
export const MAX_DOCX_DEPTH = 2_000;

/** One element as the walkers see it: its local name, whether it is WordprocessingML, its attributes by local name. */
export interface XmlElement {
  local: string;
  word: boolean;
  attrs: Record<string, string>;
}

/** Receives the elements and text of one part, in document order. */
export interface XmlHandler {
  open(el: XmlElement): void;
  close(el: XmlElement): void;
  text(text: string): void;
}

/** One relationship of a part: its type (last path segment, e.g. `header`) and the part it targets, if inside the package. */
export interface Relationship {
  type: string;
  part: string | null;
}

function localOf(qualified: string): { prefix: string; local: string } {
  const colon = qualified.indexOf(':');
  return colon === -1 ? { prefix: '', local: qualified } : { prefix: qualified.slice(0, colon), local: qualified.slice(colon + 1) };
}

/** Resolves a relationship target against the folder of `fromPart`; null when it leaves the package. */
export function resolveTarget(fromPart: string, target: string, external: boolean): string | null {
  if (external || /^[a-z][a-z0-9+.-]*:/i.test(target)) return null;
  const segments = target.startsWith('/') ? [] : fromPart.split('/').slice(0, -1);
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return null;
      segments.pop();
    } else segments.push(segment);
  }
  return segments.join('/');
}

/** An opened DOCX: its part names and streamed reads of its XML parts. */
export class DocxPackage {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
  ) {}

  /** Opens the package from memory and lists its parts (names compared case-insensitively, as OPC does). */
  static async open(bytes: Uint8Array): Promise<DocxPackage> {
    try {
      const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
        yauzl.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, z) =>
          err || !z ? reject(err ?? new Error('no zip')) : resolve(z),
        ),
      );
      const entries = new Map<string, yauzl.Entry>();
      await new Promise<void>((resolve, reject) => {
        zip.on('error', reject);
        zip.on('end', () => resolve());
        zip.on('entry', (entry: yauzl.Entry) => {
          entries.set(entry.fileName.toLowerCase(), entry);
          zip.readEntry();
        });
        zip.readEntry();
      });
      return new DocxPackage(zip, entries);
    } catch (err) {
      throw new DocumentError('corrupt', `The Word document is not a readable ZIP package: ${(err as Error).message.slice(0, 160)}`);
    }
  }

  has(part: string): boolean {
    return this.entries.has(part.toLowerCase());
  }

  /** Streams one XML part through `handler`; a missing part is `corrupt` when `required`, else nothing. */
  async walk(part: string, handler: XmlHandler, required = false): Promise<void> {
    const entry = this.entries.get(part.toLowerCase());
    if (!entry) {
      if (required) throw new DocumentError('corrupt', `The Word document has no ${part.slice(0, 120)} part.`);
      return;
    }
    const prefixes = new Map<string, string>();
    let depth = 0;
    const parser = new Parser(
      {
        onopentag(name, attrs) {
          if (++depth > MAX_DOCX_DEPTH) {
            throw new DocumentError('corrupt', `The Word document part ${part.slice(0, 120)} nests elements more than ${MAX_DOCX_DEPTH.toLocaleString('en-US')} levels deep.`);
          }
          const byLocal: Record<string, string> = {};
          for (const [qualified, value] of Object.entries(attrs)) {
            if (qualified.startsWith('xmlns:')) prefixes.set(qualified.slice(6), value);
            byLocal[localOf(qualified).local] = value;
          }
          const { prefix, local } = localOf(name);
          handler.open({ local, word: WORD_NS.has(prefixes.get(prefix) ?? ''), attrs: byLocal });
        },
        onclosetag(name) {
          depth--;
          const { prefix, local } = localOf(name);
          handler.close({ local, word: WORD_NS.has(prefixes.get(prefix) ?? ''), attrs: {} });
        },
        ontext(text) {
          handler.text(text);
        },
      },
      { xmlMode: true, decodeEntities: true },
    );
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      this.zip.openReadStream(entry, (err, s) => (err || !s ? reject(err ?? new Error('unreadable part')) : resolve(s))),
    );
    let decoder: TextDecoder | null = null;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        // XML parts are UTF-8 unless they start with a UTF-16 byte-order mark.
        decoder ??= new TextDecoder(chunk[0] === 0xff && chunk[1] === 0xfe ? 'utf-16le' : chunk[0] === 0xfe && chunk[1] === 0xff ? 'utf-16be' : 'utf-8');
        parser.write(decoder.decode(chunk, { stream: true }));
      }
      parser.end(decoder?.decode() ?? '');
    } catch (err) {
      (stream as unknown as { destroy(): void }).destroy();
      if (err instanceof DocumentError || err instanceof RangeError) throw err;
      throw new DocumentError('corrupt', `The Word document part ${part.slice(0, 120)} is damaged: ${(err as Error).message.slice(0, 160)}`);
    }
  }

  /** The relationships of `part` (from its `_rels/<name>.rels`), by id. */
  async relationships(part: string): Promise<Map<string, Relationship>> {
    const slash = part.lastIndexOf('/');
    const relsPart = `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
    const rels = new Map<string, Relationship>();
    await this.walk(relsPart, {
      open(el) {
        if (el.local !== 'Relationship' || !el.attrs.Id || !el.attrs.Target) return;
        const type = (el.attrs.Type ?? '').split('/').pop() ?? '';
        rels.set(el.attrs.Id, { type, part: resolveTarget(part, el.attrs.Target, el.attrs.TargetMode === 'External') });
      },
      close() {},
      text() {},
    });
    return rels;
  }

  close(): void {
    this.zip.close();
  }
}

/** The first relationship of `type`, as a part inside the package. */
export function partOfType(rels: Map<string, Relationship>, type: string): string | null {
  for (const rel of rels.values()) if (rel.type === type && rel.part) return rel.part;
  return null;
}
