/**
 * DOCX through mammoth: convert to HTML (which keeps Heading 1-6 as h1-h6) and cut at headings.
 *
 * Safety: the package is first scanned for DTD/entity declarations (xml-guard: `corrupt`,
 * never expanded); `externalFileAccess: false` (mammoth >= 1.11, default false in 1.13, set
 * explicitly anyway) keeps images linked with r:link / TargetMode="External" from being read
 * off the server's disk; images are replaced by an empty <img> without reading their bytes.
 * Style-id mappings cover documents whose styles.xml lacks the "heading N" names.
 */
import mammoth from 'mammoth';
import { DocumentError } from '../../core/formats.js';
import type { FormatParser } from './types.js';
import { sanitizeText } from './encoding.js';
import { SectionCollector } from './collect.js';
import { htmlToSections } from './html-sections.js';
import { assertNoXmlDeclarations } from './xml-guard.js';

const STYLE_MAP = [1, 2, 3, 4, 5, 6].flatMap((n) => [`p[style-name='heading ${n}'] => h${n}:fresh`, `p.Heading${n} => h${n}:fresh`]);

/** Parser for .docx uploads. */
export const parseDocx: FormatParser = async (bytes, limits) => {
  await assertNoXmlDeclarations(bytes);
  let html: string;
  try {
    const result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        externalFileAccess: false,
        styleMap: STYLE_MAP,
        includeDefaultStyleMap: true,
        includeEmbeddedStyleMap: false,
        ignoreEmptyParagraphs: true,
        convertImage: mammoth.images.imgElement(async () => ({ src: '' })),
      },
    );
    html = result.value;
  } catch (err) {
    if (err instanceof DocumentError || err instanceof RangeError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new DocumentError('corrupt', `The Word document could not be read: ${message.slice(0, 200)}`);
  }
  const out = new SectionCollector(limits.maxChars);
  for (const section of htmlToSections(html)) {
    const text = sanitizeText(section.text);
    if (section.heading === undefined) out.add({ text });
    else out.add({ text, heading: sanitizeText(section.heading).trim() });
  }
  return out.finish('docx');
};
