/**
 * OpenDocument text (.odt): the body of content.xml in document order, cut into sections at
 * headings (`text:h` with its outline level gives the heading path). Lists, sections, frames
 * and text boxes are read where they stand; a table row is one tab-separated line; footnote
 * and endnote bodies are kept (their citation marks are not, so numbers do not glue onto
 * words). Left out: tracked deletions, comments, hidden text and hidden sections, form
 * controls, image titles, and the page headers and footers of styles.xml.
 *
 * Safety: a package whose manifest says its parts are encrypted is `encrypted` (the bytes
 * would parse as noise); xml-guard refuses DTDs; zip-parts bounds inflation; xml-sax bounds
 * nesting. Repeat counts (`text:c`, `table:number-columns-repeated`) are never expanded
 * beyond a few spaces, so a declared million-column cell costs nothing.
 */
import { DocumentError } from '../../core/formats.js';
import type { FormatParser } from './types.js';
import { SectionCollector } from './collect.js';
import { addSectionsByHeading, type TextBlock } from './heading-trail.js';
import { assertNoXmlDeclarations } from './xml-guard.js';
import { withZipParts, type ZipParts } from './zip-parts.js';
import { walkXml } from './xml-sax.js';

/** Elements whose content is never document text. */
const SKIPPED = new Set([
  'tracked-changes',
  'annotation',
  'hidden-text',
  'note-citation',
  'sequence-decls',
  'forms',
  'title',
  'desc',
  'deletion',
  'variable-decls',
  'user-field-decls',
]);
/** Most spaces one `text:s` adds, whatever count it declares. */
const MAX_SPACES = 8;

/** Refuses ODF packages whose manifest declares encrypted parts. */
export async function assertOdfNotEncrypted(parts: ZipParts): Promise<void> {
  const manifest = 'META-INF/manifest.xml';
  if (!parts.has(manifest)) return;
  let encrypted = false;
  walkXml(await parts.readText(manifest), { open: (name) => void (encrypted ||= name === 'encryption-data') }, manifest);
  if (encrypted) throw new DocumentError('encrypted', 'The OpenDocument file is protected by a password.');
}

function isHidden(attrs: Record<string, string>): boolean {
  return attrs['text:display'] === 'none' || attrs['text:is-hidden'] === 'true';
}

/** Reads content.xml's body into headings and lines, in order. */
export function readOdtContent(xml: string): TextBlock[] {
  const blocks: TextBlock[] = [];
  const paragraphs: TextBlock[] = [];
  const cells: string[][] = [];
  const rows: string[][] = [];
  let skipDepth = 0;
  let inBody = false;
  walkXml(
    xml,
    {
      open(name, attrs) {
        if (skipDepth > 0 || SKIPPED.has(name) || isHidden(attrs)) {
          skipDepth++;
          return;
        }
        const paragraph = paragraphs[paragraphs.length - 1];
        switch (name) {
          case 'text':
            if (!inBody) inBody = true;
            break;
          case 'h': {
            const level = Math.min(10, Math.max(1, Number.parseInt(attrs['text:outline-level'] ?? '1', 10) || 1));
            paragraphs.push({ text: '', level });
            break;
          }
          case 'p':
            paragraphs.push({ text: '' });
            break;
          case 's':
            if (paragraph) paragraph.text += ' '.repeat(Math.min(MAX_SPACES, Math.max(1, Number.parseInt(attrs['text:c'] ?? '1', 10) || 1)));
            break;
          case 'tab':
            if (paragraph) paragraph.text += ' ';
            break;
          case 'line-break':
            if (paragraph) paragraph.text += '\n';
            break;
          case 'table-row':
            rows.push([]);
            break;
          case 'table-cell':
            cells.push([]);
            break;
        }
      },
      text(text) {
        if (skipDepth === 0 && inBody && paragraphs.length > 0) paragraphs[paragraphs.length - 1].text += text;
      },
      close(name) {
        if (skipDepth > 0) {
          skipDepth--;
          return;
        }
        switch (name) {
          case 'h':
          case 'p': {
            const paragraph = paragraphs.pop();
            if (!paragraph || !inBody) break;
            const text = paragraph.text.replace(/[ \t\u00a0]+/g, ' ').trim();
            if (text === '') break;
            if (cells.length > 0) cells[cells.length - 1].push(text);
            else if (paragraphs.length > 0)
              blocks.push({ text }); // a paragraph inside a frame or note inside a paragraph
            else blocks.push(paragraph.level === undefined ? { text } : { text, level: paragraph.level });
            break;
          }
          case 'table-cell': {
            const cell = cells.pop();
            if (cell && rows.length > 0) rows[rows.length - 1].push(cell.join(' ').replace(/\s+/g, ' ').trim());
            break;
          }
          case 'table-row': {
            const row = rows.pop();
            if (!row || !row.some((c) => c !== '')) break;
            let last = row.length;
            while (last > 0 && row[last - 1] === '') last--;
            const line = row.slice(0, last).join('\t');
            if (cells.length > 0) cells[cells.length - 1].push(line.replace(/\t/g, ' '));
            else blocks.push({ text: line });
            break;
          }
        }
      },
    },
    'content.xml',
  );
  return blocks;
}

/** Parser for .odt uploads. */
export const parseOdt: FormatParser = async (bytes, limits) => {
  await assertNoXmlDeclarations(bytes);
  return withZipParts(bytes, async (parts) => {
    await assertOdfNotEncrypted(parts);
    if (!parts.has('content.xml')) throw new DocumentError('corrupt', 'The OpenDocument file has no content.xml part.');
    const blocks = readOdtContent(await parts.readText('content.xml'));
    const out = new SectionCollector(limits.maxChars);
    addSectionsByHeading(blocks, out);
    return out.finish('odt');
  });
};
