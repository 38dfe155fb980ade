/**
 * EPUB books (2 and 3): the chapters the package lists in its spine, in spine order, each read
 * like an HTML page (html-text.ts: visible text only, headings as heading paths). The book's
 * title from the package metadata opens the document. Spine items that are not (X)HTML
 * (images, SVG pages) carry no text and are passed over.
 *
 * The route to the chapters is the standard one: META-INF/container.xml names the package
 * document (.opf); its manifest maps ids to files and its spine orders them. Paths resolve
 * inside the archive only (zip-parts never touches the disk, resolvePartPath refuses paths
 * climbing out of it). A chapter listed in META-INF/encryption.xml is DRM-protected: the book
 * is `encrypted` (font obfuscation, which only touches fonts, is not).
 *
 * XHTML chapters may legitimately carry a DOCTYPE, so they are not refused for one; they are
 * parsed by htmlparser2, which never reads a DTD nor expands entities it defines. The package
 * files (container.xml, .opf) go through xml-guard like every other XML part.
 */
import { DocumentError } from '../../core/formats.js';
import type { FormatParser } from './types.js';
import { sanitizeText } from './encoding.js';
import { SectionCollector } from './collect.js';
import { decodeHtml } from './html.js';
import { extractHtmlText } from './html-text.js';
import { assertNoXmlDeclarations } from './xml-guard.js';
import { withZipParts, type ZipParts } from './zip-parts.js';
import { partDir, resolvePartPath, walkXml } from './xml-sax.js';

const CONTAINER = 'META-INF/container.xml';
const ENCRYPTION = 'META-INF/encryption.xml';
const CHAPTER_TYPES = new Set(['application/xhtml+xml', 'text/html']);

/** What the package document says: the title and the chapter part names in reading order. */
export interface EpubPackage {
  title?: string;
  chapters: string[];
}

async function packagePath(parts: ZipParts): Promise<string> {
  if (!parts.has(CONTAINER)) throw new DocumentError('corrupt', 'The EPUB has no META-INF/container.xml.');
  let path: string | null = null;
  walkXml(
    await parts.readText(CONTAINER),
    {
      open(name, attrs) {
        if (name === 'rootfile' && path === null && attrs['full-path']) path = resolvePartPath('', attrs['full-path']);
      },
    },
    CONTAINER,
  );
  if (!path || !parts.has(path)) throw new DocumentError('corrupt', 'The EPUB container does not point at a package document inside the book.');
  return path;
}

/** Reads the package document (.opf): title, manifest and spine. */
export function readPackageDocument(xml: string, opfPath: string): EpubPackage {
  const dir = partDir(opfPath);
  const manifest = new Map<string, { path: string; type: string }>();
  const spine: string[] = [];
  let title: string | undefined;
  let inTitle = false;
  walkXml(
    xml,
    {
      open(name, attrs) {
        if (name === 'item' && attrs.id && attrs.href) {
          const path = resolvePartPath(dir, attrs.href);
          if (path) manifest.set(attrs.id, { path, type: (attrs['media-type'] ?? '').toLowerCase() });
        } else if (name === 'itemref' && attrs.idref) {
          spine.push(attrs.idref);
        } else if (name === 'title' && title === undefined) {
          inTitle = true;
          title = '';
        }
      },
      text(text) {
        if (inTitle) title += text;
      },
      close(name) {
        if (name === 'title') inTitle = false;
      },
    },
    opfPath,
  );
  const chapters = spine.flatMap((id) => {
    const item = manifest.get(id);
    return item && CHAPTER_TYPES.has(item.type) ? [item.path] : [];
  });
  const cleanTitle = title === undefined ? '' : sanitizeText(title).replace(/\s+/g, ' ').trim();
  return cleanTitle === '' ? { chapters } : { title: cleanTitle, chapters };
}

/** Part names META-INF/encryption.xml lists as encrypted with something other than font obfuscation. */
async function encryptedParts(parts: ZipParts): Promise<Set<string>> {
  const encrypted = new Set<string>();
  if (!parts.has(ENCRYPTION)) return encrypted;
  let obfuscation = false;
  walkXml(
    await parts.readText(ENCRYPTION),
    {
      open(name, attrs) {
        if (name === 'EncryptedData') obfuscation = false;
        if (name === 'EncryptionMethod') obfuscation = /obfuscation|fontobfuscation|font-obfuscation/i.test(attrs.Algorithm ?? '');
        if (name === 'CipherReference' && attrs.URI && !obfuscation) {
          const path = resolvePartPath('', attrs.URI);
          if (path) encrypted.add(path);
        }
      },
    },
    ENCRYPTION,
  );
  return encrypted;
}

/** Parser for .epub uploads. */
export const parseEpub: FormatParser = async (bytes, limits) => {
  await assertNoXmlDeclarations(bytes);
  return withZipParts(bytes, async (parts) => {
    const opfPath = await packagePath(parts);
    const book = readPackageDocument(await parts.readText(opfPath), opfPath);
    const encrypted = await encryptedParts(parts);
    if (book.chapters.some((chapter) => encrypted.has(chapter))) {
      throw new DocumentError('encrypted', 'The book is protected by DRM: its chapters are encrypted.');
    }
    const out = new SectionCollector(limits.maxChars);
    if (book.title) out.add({ text: book.title });
    for (const chapter of book.chapters) {
      if (!parts.has(chapter)) continue; // a spine entry pointing nowhere loses nothing else
      const page = extractHtmlText(decodeHtml(await parts.read(chapter)).text);
      for (const section of page.sections) out.add(section);
    }
    return out.finish('epub');
  });
};
