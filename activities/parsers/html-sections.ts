/**
 * Walks the small, regular HTML mammoth emits (h1-h6, p, ul/ol/li, table/tr/td, a, strong, em,
 * img, br) and cuts it into sections at headings. Not a general HTML parser: mammoth escapes
 * text itself, so tags are always `<name ...>` with no '>' inside. One left-to-right pass with
 * indexOf: linear in the HTML length.
 */

/** A heading-delimited run of text; heading is absent for text before the first heading. */
export interface HtmlSection {
  heading?: string;
  text: string;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Decodes the entities mammoth (and HTML in general) uses for text; unknown ones stay literal. */
export function decodeEntities(s: string): string {
  let amp = s.indexOf('&');
  if (amp === -1) return s;
  let out = '';
  let last = 0;
  while (amp !== -1) {
    // Bounded look-ahead: entity names are short, and an unbounded search would go quadratic.
    let semi = amp + 1;
    while (semi < s.length && semi - amp <= 10 && s[semi] !== ';') semi++;
    if (s[semi] !== ';' || semi - amp > 10) {
      amp = s.indexOf('&', amp + 1);
      continue;
    }
    const name = s.slice(amp + 1, semi);
    let rep: string | undefined;
    if (name.startsWith('#x') || name.startsWith('#X')) rep = fromCode(parseInt(name.slice(2), 16));
    else if (name.startsWith('#')) rep = fromCode(parseInt(name.slice(1), 10));
    else rep = Object.hasOwn(NAMED, name) ? NAMED[name] : undefined;
    if (rep !== undefined) {
      out += s.slice(last, amp) + rep;
      last = semi + 1;
    }
    amp = s.indexOf('&', semi + 1);
  }
  return out + s.slice(last);
}

function fromCode(code: number): string | undefined {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

const LINE_TAGS = new Set(['p', 'li', 'tr', 'table', 'ul', 'ol', 'blockquote', 'div', 'br', 'pre']);
const HEADING = /^h[1-6]$/;

/** Splits mammoth HTML at headings; each section's text starts with its heading line. */
export function htmlToSections(html: string): HtmlSection[] {
  const sections: HtmlSection[] = [];
  let heading: string | undefined;
  let lines: string[] = [];
  let line = '';
  let inHeading = false;
  let cellDepth = 0;
  const endLine = () => {
    const t = line.includes('\t')
      ? line
          .split('\t')
          .map((cell) => cell.trim())
          .join('\t')
          .trim()
      : line.trim();
    if (t !== '') lines.push(t);
    line = '';
  };
  const flushSection = () => {
    const text = lines.join('\n');
    if (text.trim() !== '') sections.push(heading === undefined ? { text } : { heading, text });
    lines = [];
  };
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const textEnd = lt === -1 ? html.length : lt;
    if (textEnd > i) line += decodeEntities(html.slice(i, textEnd));
    if (lt === -1) break;
    const gt = html.indexOf('>', lt);
    if (gt === -1) break;
    const closing = html[lt + 1] === '/';
    let nameEnd = lt + (closing ? 2 : 1);
    while (nameEnd < gt && /[a-zA-Z0-9]/.test(html[nameEnd])) nameEnd++;
    const name = html.slice(lt + (closing ? 2 : 1), nameEnd).toLowerCase();
    i = gt + 1;
    if (HEADING.test(name)) {
      if (!closing) {
        endLine();
        inHeading = true;
      } else if (inHeading) {
        inHeading = false;
        const text = line.trim().replace(/\s+/g, ' ');
        line = '';
        if (text !== '') {
          flushSection();
          heading = text;
          lines.push(text);
        }
      }
    } else if (name === 'td' || name === 'th') {
      // A table row is one line with tab-separated cells, whatever paragraphs the cells hold.
      if (closing) {
        cellDepth = Math.max(0, cellDepth - 1);
        line += '\t';
      } else {
        cellDepth++;
      }
    } else if (LINE_TAGS.has(name)) {
      if (cellDepth > 0 && name !== 'tr' && name !== 'table') line += ' ';
      else endLine();
    }
  }
  endLine();
  flushSection();
  return sections;
}
