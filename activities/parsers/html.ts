/**
 * HTML pages: decode by the page's own declaration (BOM, then an XML declaration's encoding,
 * `<meta charset>` or the http-equiv Content-Type in the first 1,024 bytes, else the text-file
 * evidence), then keep what
 * a reader sees (html-text.ts: main content, headings as heading paths, no script, style or
 * hidden text). The `<title>` opens the document when the page's text does not repeat it.
 */
import type { FormatParser } from './types.js';
import { decodeDeclared, decodeText, type DecodedText } from './encoding.js';
import { SectionCollector } from './collect.js';
import { extractHtmlText } from './html-text.js';

/** How far into a page a charset declaration is looked for (the HTML standard's prescan length). */
const PRESCAN_BYTES = 1024;
const META_CHARSET = /<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})/i;
const XML_ENCODING = /^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']/;

/** The page's text in the charset it declares, or as the text-file rules decide. */
export function decodeHtml(bytes: Uint8Array): DecodedText {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, PRESCAN_BYTES)).toString('latin1');
  const declared = XML_ENCODING.exec(head) ?? META_CHARSET.exec(head);
  return declared ? decodeDeclared(bytes, declared[1]) : decodeText(bytes);
}

/** Parser for .html uploads. */
export const parseHtml: FormatParser = async (bytes, limits) => {
  const { text, encoding } = decodeHtml(bytes);
  const page = extractHtmlText(text);
  const out = new SectionCollector(limits.maxChars);
  if (page.title && !page.sections.some((s) => s.text.startsWith(page.title!))) out.add({ text: page.title });
  for (const section of page.sections) out.add(section);
  return out.finish('html', { encoding });
};
