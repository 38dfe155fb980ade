/**
 * The readable text of an HTML (or XHTML) page, cut into sections at its headings: what HTML
 * uploads, EPUB chapters and HTML mail bodies have in common.
 *
 * What a reader sees, and only that:
 *  - scripts, styles, templates, `<noscript>`, embedded SVG/objects/frames and the `<head>`
 *    (except its `<title>`) are never text;
 *  - hidden elements (`hidden`, `aria-hidden="true"`, inline `display:none` /
 *    `visibility:hidden`) are skipped with everything inside them;
 *  - main content wins over page chrome: when the page marks a `<main>` (or `role="main"`) only
 *    that is kept, else its `<article>`s; navigation (`<nav>`) is always dropped, and page-level
 *    `<header>`, `<footer>` and `<aside>` too unless nothing else is left.
 * Headings h1-h6 become the sections' `headingPath`; each section's text starts with its
 * heading line. Table cells are tab-separated on one line per row; `<pre>` keeps its lines.
 *
 * htmlparser2 tokenizes (linear, no DOM kept, standard entities only: no DTD is ever read).
 * Elements nested deeper than MAX_DEPTH are refused, which keeps the tokenizer's own stack work
 * bounded on hostile input.
 */
import { Parser } from 'htmlparser2';
import { DocumentError } from '../../core/formats.js';
import { HeadingTrail, type HeadingFields } from './heading-trail.js';
import { sanitizeText } from './encoding.js';

/** Deeper element nesting than this is refused (browsers stop building the tree around 512). */
export const MAX_DEPTH = 1_000;

/** A heading-delimited run of text with its heading path. */
export type HtmlTextSection = { text: string } & HeadingFields;

/** What extractHtmlText returns. */
export interface HtmlText {
  /** The `<title>`, when the page has one. */
  title?: string;
  sections: HtmlTextSection[];
}

const SKIPPED = new Set(['script', 'style', 'template', 'noscript', 'svg', 'math', 'iframe', 'object', 'embed', 'canvas', 'select', 'datalist', 'head', 'title']);
const BLOCKS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'br',
  'caption',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'tfoot',
  'thead',
  'tr',
  'ul',
  'legend',
  'center',
]);
const HEADING = /^h([1-6])$/;
const HIDDEN_STYLE = /(^|;)\s*(display\s*:\s*none|visibility\s*:\s*hidden)\s*(!important\s*)?(;|$)/i;
const CHROME_ROLES = new Set(['banner', 'contentinfo', 'complementary']);

/** Where a line sits on the page, for choosing the main content afterwards. */
interface Line {
  text: string;
  /** 1-6 for a heading line. */
  level?: number;
  main: boolean;
  article: boolean;
  nav: boolean;
  chrome: boolean;
}

interface Frame {
  name: string;
  skip: boolean;
  main: boolean;
  article: boolean;
  nav: boolean;
  chrome: boolean;
  pre: boolean;
  /** Inside a table cell: blocks there only add a space, the row stays one line. */
  cell: boolean;
}

function isHidden(attribs: Record<string, string>): boolean {
  if ('hidden' in attribs) return true;
  if ((attribs['aria-hidden'] ?? '').trim().toLowerCase() === 'true') return true;
  const style = attribs.style;
  return style !== undefined && HIDDEN_STYLE.test(style);
}

function normalizeLine(raw: string): string {
  if (!raw.includes('\t')) return raw.replace(/[ \n\r\f\v\u00a0]+/g, ' ').trim();
  return raw
    .split('\t')
    .map((cell) => cell.replace(/[ \n\r\f\v\u00a0]+/g, ' ').trim())
    .join('\t')
    .trim(); // trim() drops trailing tabs too; an anchored /\t+$/ would rescan long runs
}

const ROOT: Frame = { name: '#root', skip: false, main: false, article: false, nav: false, chrome: false, pre: false, cell: false };

/**
 * Cuts the internal subset out of a leading XHTML DOCTYPE (`<!DOCTYPE html [ ... ]>`): the HTML
 * tokenizer, like a browser, would end the doctype at its first `>` and show the rest as text.
 * Nothing in the subset is ever used: its entities stay unexpanded.
 */
function dropDoctypeSubset(html: string): string {
  const start = html.slice(0, 4096).search(/<!doctype\s/i);
  if (start === -1) return html;
  const close = html.indexOf('>', start);
  const open = html.indexOf('[', start);
  if (open === -1 || close === -1 || open > close) return html;
  const end = html.indexOf(']>', open);
  return end === -1 ? html : html.slice(0, open) + html.slice(end + 1);
}

/** Reads `html` into lines with their page region, then keeps the main content as sections. */
export function extractHtmlText(source: string): HtmlText {
  const html = dropDoctypeSubset(source);
  const lines: Line[] = [];
  const stack: Frame[] = [];
  let top: Frame = ROOT;
  let line = '';
  let headingLevel = 0;
  let title: string | undefined;
  let inTitle = false;

  /** Ends the current line as text of `frame`'s region (a heading line when `level` is given). */
  const endLine = (frame: Frame, level?: number) => {
    const text = frame.pre ? line.replace(/^\n+/, '').trimEnd() : normalizeLine(line);
    line = '';
    if (text === '') return;
    const where = { main: frame.main, article: frame.article, nav: frame.nav, chrome: frame.chrome };
    if (frame.pre && level === undefined) {
      for (const part of text.split('\n')) lines.push({ text: part.trimEnd(), ...where });
    } else {
      lines.push(level === undefined ? { text, ...where } : { text, level, ...where });
    }
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (stack.length >= MAX_DEPTH) {
          throw new DocumentError('limit_exceeded', `The page nests its elements more than ${MAX_DEPTH.toLocaleString('en-US')} levels deep.`);
        }
        const role = (attribs.role ?? '').trim().toLowerCase();
        const skip = top.skip || SKIPPED.has(name) || isHidden(attribs);
        const article = top.article || name === 'article';
        const frame: Frame = {
          name,
          skip,
          main: top.main || name === 'main' || role === 'main',
          article,
          nav: top.nav || name === 'nav' || role === 'navigation',
          chrome: top.chrome || (!top.main && !article && (name === 'header' || name === 'footer' || name === 'aside' || CHROME_ROLES.has(role))),
          pre: top.pre || name === 'pre' || name === 'textarea',
          cell: top.cell || name === 'td' || name === 'th',
        };
        // The title is read even though it sits in the skipped <head>; an SVG's <title> is not.
        if (name === 'title' && title === undefined && (top.name === 'head' || !top.skip)) inTitle = true;
        if (!skip) {
          const heading = HEADING.exec(name);
          if (heading && headingLevel === 0) {
            endLine(top);
            headingLevel = Number(heading[1]);
          } else if (name === 'td' || name === 'th') {
            if (line !== '' && !line.endsWith('\t')) line += '\t';
          } else if (BLOCKS.has(name)) {
            if (headingLevel === 0 && !top.cell) endLine(top);
            else line += ' ';
          }
        }
        stack.push(frame);
        top = frame;
      },
      ontext(text) {
        if (inTitle) title = (title ?? '') + text;
        // Tabs in the source are whitespace; only table cells make tab separators.
        else if (!top.skip) line += top.pre ? text : text.replace(/\t/g, ' ');
      },
      onclosetag(name) {
        const frame = stack.pop();
        if (!frame) return;
        if (inTitle && name === 'title') inTitle = false;
        if (!frame.skip) {
          const heading = HEADING.exec(name);
          if (heading && Number(heading[1]) === headingLevel) {
            endLine(frame, headingLevel);
            headingLevel = 0;
          } else if (name === 'td' || name === 'th') {
            line += '\t';
          } else if (BLOCKS.has(name) && headingLevel === 0) {
            // Inside a table cell a block only separates words: the row stays one line.
            if (frame.cell) line += ' ';
            else endLine(frame);
          }
        }
        top = stack.length > 0 ? stack[stack.length - 1] : ROOT;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true },
  );
  parser.end(html);
  endLine(top);
  const cleanTitle = title === undefined ? undefined : sanitizeText(title).replace(/\s+/g, ' ').trim() || undefined;
  return { ...(cleanTitle === undefined ? {} : { title: cleanTitle }), sections: toSections(mainContent(lines)) };
}

/** The lines a reader came for: `<main>`, else the articles, else everything but page chrome. */
function mainContent(lines: Line[]): Line[] {
  const content = lines.filter((l) => !l.nav);
  if (content.some((l) => l.main)) return content.filter((l) => l.main);
  if (content.some((l) => l.article)) return content.filter((l) => l.article);
  const body = content.filter((l) => !l.chrome);
  return body.length > 0 ? body : content.length > 0 ? content : lines;
}

function toSections(lines: Line[]): HtmlTextSection[] {
  const trail = new HeadingTrail();
  const sections: HtmlTextSection[] = [];
  let texts: string[] = [];
  let fields: HeadingFields = {};
  const flush = () => {
    const text = sanitizeText(texts.join('\n')).trim();
    if (text !== '') sections.push({ text, ...fields });
    texts = [];
  };
  for (const l of lines) {
    if (l.level !== undefined) {
      flush();
      trail.enter(l.level, sanitizeText(l.text));
      fields = trail.fields();
    }
    texts.push(l.text);
  }
  flush();
  return sections;
}
