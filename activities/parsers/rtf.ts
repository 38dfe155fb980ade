/**
 * Rich Text Format (.rtf) through a small tokenizer of our own: no maintained library reads
 * RTF to plain text with the safety this project needs, and the part of RTF that carries text
 * is small. What it does:
 *  - groups `{}` scope character state (font, `\ucN`); control words and symbols are read per
 *    the specification (`\word-123 ` with its optional space delimiter, `\'hh`, `\\`, `\{`...);
 *  - text bytes (`\'hh` and raw 8-bit bytes) decode through the code page in force: the
 *    current font's (`\fcharsetN` / `\cpgN` from the font table) or the document's
 *    (`\ansicpg`, else Windows-1252); consecutive bytes decode together, so double-byte code
 *    pages (932, 936, 949, 950) come out whole;
 *  - `\uN` gives a Unicode character (negative N wraps at 65536) and skips the `\ucN` fallback
 *    characters that follow it;
 *  - destinations that are not text are skipped with everything inside them: every `\*`
 *    group, the font, colour, style, list and revision tables, document info, pictures
 *    (`\pict`), object data, field instructions (the field's result stays), bookmarks, shape
 *    properties; `\binN` binary runs are stepped over without being read as text;
 *  - `\par`, `\sect`, `\page` and `\row` end a line, `\cell` separates table cells with a tab,
 *    `\line` breaks a line, and a paragraph with `\outlinelevelN` is a heading of level N+1.
 * Linear in the input; groups nested deeper than MAX_RTF_DEPTH are `limit_exceeded`. The
 * upload's text-file cap bounds the input, the character budget the output.
 */
import iconv from 'iconv-lite';
import { DocumentError } from '../../core/formats.js';
import type { FormatParser } from './types.js';
import { SectionCollector } from './collect.js';
import { addSectionsByHeading, type TextBlock } from './heading-trail.js';

/** Deeper group nesting than this is refused; real documents stay under ~30. */
export const MAX_RTF_DEPTH = 1_000;

/** Destinations whose content is never document text. */
const SKIPPED_DESTINATIONS = new Set([
  'fonttbl',
  'colortbl',
  'stylesheet',
  'info',
  'pict',
  'objdata',
  'fldinst',
  'themedata',
  'colorschememapping',
  'datastore',
  'latentstyles',
  'listtable',
  'listoverridetable',
  'revtbl',
  'rsidtbl',
  'generator',
  'xmlnstbl',
  'mmathPr',
  'filetbl',
  'pgdsctbl',
  'bkmkstart',
  'bkmkend',
  'nonshppict',
  'sp',
  'pntxta',
  'pntxtb',
  'xe',
  'tc',
  'userprops',
  'docvar',
  'template',
  'header',
  'headerl',
  'headerr',
  'headerf',
  'footer',
  'footerl',
  'footerr',
  'footerf',
  'listpicture',
  'fchars',
  'lchars',
  'private',
  'wgrffmtfilter',
  'protusertbl',
  'passwordhash',
  'ftnsep',
  'ftnsepc',
  'aftnsep',
  'aftnsepc',
]);

/** Characters some control words stand for. */
const SYMBOL_WORDS: Record<string, string> = {
  emdash: '\u2014',
  endash: '\u2013',
  bullet: '\u2022',
  lquote: '\u2018',
  rquote: '\u2019',
  ldblquote: '\u201c',
  rdblquote: '\u201d',
  emspace: ' ',
  enspace: ' ',
  qmspace: ' ',
  tab: '\t',
  line: '\n',
  zwj: '',
  zwnj: '',
};
const PARAGRAPH_ENDS = new Set(['par', 'sect', 'page', 'row']);

/** \fcharsetN -> Windows code page. */
const CHARSET_CODEPAGES: Record<number, number> = {
  0: 1252,
  77: 10000,
  128: 932,
  129: 949,
  130: 1361,
  134: 936,
  136: 950,
  161: 1253,
  162: 1254,
  163: 1258,
  177: 1255,
  178: 1256,
  186: 1257,
  204: 1251,
  222: 874,
  238: 1250,
  254: 437,
  255: 850,
};

interface GroupState {
  skip: boolean;
  uc: number;
  font: number | null;
  inFontTable: boolean;
  outline: number;
}

function iconvName(codepage: number): string {
  if (codepage === 10000) return 'macintosh';
  if (codepage === 65001) return 'utf8';
  return `cp${codepage}`;
}

/** Reads RTF source (bytes as Latin-1 characters) into lines and headings. */
export function readRtf(source: string): TextBlock[] {
  const blocks: TextBlock[] = [];
  const fonts = new Map<number, number>();
  const stack: GroupState[] = [];
  let state: GroupState = { skip: false, uc: 1, font: null, inFontTable: false, outline: -1 };
  let documentCodepage = 1252;
  let defaultFont: number | null = null;
  let line = '';
  let pending: number[] = [];
  let fallbackToSkip = 0;
  let fontDef: { id: number; codepage?: number } | null = null;
  let starred = false;

  const commitFont = () => {
    if (fontDef?.codepage !== undefined) fonts.set(fontDef.id, fontDef.codepage);
    fontDef = null;
  };
  const codepage = () => {
    const font = state.font ?? defaultFont;
    return (font !== null ? fonts.get(font) : undefined) ?? documentCodepage;
  };
  const flushBytes = () => {
    if (pending.length === 0) return;
    const name = iconvName(codepage());
    const bytes = Buffer.from(pending);
    pending = [];
    line += iconv.encodingExists(name) ? iconv.decode(bytes, name) : bytes.toString('latin1');
  };
  const emit = (text: string) => {
    if (state.skip) return;
    flushBytes();
    line += text;
  };
  const endParagraph = () => {
    flushBytes();
    const text = line
      .replace(/[ \u00a0]+/g, ' ')
      .replace(/ *\t */g, '\t')
      .trim();
    line = '';
    if (text === '') return;
    blocks.push(state.outline >= 0 ? { text, level: Math.min(state.outline + 1, 9) } : { text });
  };
  const textByte = (byte: number) => {
    if (state.skip) return;
    if (fallbackToSkip > 0) {
      fallbackToSkip--;
      return;
    }
    pending.push(byte);
  };

  const n = source.length;
  let i = 0;
  while (i < n) {
    const ch = source.charCodeAt(i);
    if (ch === 0x7b) {
      // '{'
      if (stack.length >= MAX_RTF_DEPTH) throw new DocumentError('limit_exceeded', `The RTF document nests groups more than ${MAX_RTF_DEPTH.toLocaleString('en-US')} levels deep.`);
      flushBytes();
      stack.push(state);
      state = { ...state };
      fallbackToSkip = 0;
      starred = false;
      i++;
      continue;
    }
    if (ch === 0x7d) {
      // '}'
      if (!state.skip) flushBytes();
      else pending = [];
      if (state.inFontTable) commitFont();
      const outline = state.outline;
      state = stack.pop() ?? state;
      // A paragraph's properties may close with the group before its \par.
      if (outline >= 0 && state.outline < 0 && line.trim() !== '') state = { ...state, outline };
      fallbackToSkip = 0;
      starred = false;
      i++;
      continue;
    }
    if (ch === 0x5c) {
      // '\'
      const next = source.charCodeAt(i + 1);
      if ((next >= 0x61 && next <= 0x7a) || (next >= 0x41 && next <= 0x5a)) {
        let j = i + 1;
        while (j < n && j - i <= 32) {
          const c = source.charCodeAt(j);
          if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a))) break;
          j++;
        }
        const word = source.slice(i + 1, j);
        let k = j;
        if (source[k] === '-') k++;
        while (k < n && k - j <= 11 && source.charCodeAt(k) >= 0x30 && source.charCodeAt(k) <= 0x39) k++;
        const hasParam = k > j && source[k - 1] !== '-';
        const param = hasParam ? Number.parseInt(source.slice(j, k), 10) : undefined;
        if (!hasParam) k = j;
        if (source[k] === ' ') k++;
        i = k;
        if (word === 'bin') {
          // Raw binary: never text, whatever group it sits in.
          flushBytes();
          i = Math.min(n, i + Math.max(0, param ?? 0));
          continue;
        }
        if (starred || SKIPPED_DESTINATIONS.has(word)) {
          // The whole group is skipped; the font table is still read for its code pages.
          starred = false;
          state.skip = true;
          if (word === 'fonttbl') state.inFontTable = true;
          if (!state.inFontTable) continue;
        }
        if (state.inFontTable) {
          if (word === 'f' && param !== undefined) {
            commitFont();
            fontDef = { id: param };
          } else if (word === 'fcharset' && fontDef && param !== undefined && CHARSET_CODEPAGES[param] !== undefined) fontDef.codepage ??= CHARSET_CODEPAGES[param];
          else if (word === 'cpg' && fontDef && param !== undefined) fontDef.codepage = param;
          continue;
        }
        switch (word) {
          case 'ansicpg':
            if (param !== undefined && param > 0) documentCodepage = param;
            break;
          case 'mac':
            documentCodepage = 10000;
            break;
          case 'pc':
            documentCodepage = 437;
            break;
          case 'pca':
            documentCodepage = 850;
            break;
          case 'deff':
            if (param !== undefined) defaultFont = param;
            break;
          case 'f':
            if (param !== undefined) {
              flushBytes();
              state.font = param;
            }
            break;
          case 'uc':
            if (param !== undefined && param >= 0 && param <= 10) state.uc = param;
            break;
          case 'u':
            if (param !== undefined && !state.skip) {
              emit(String.fromCharCode(param < 0 ? param + 65536 : param & 0xffff));
              fallbackToSkip = state.uc;
            }
            break;
          case 'pard':
            state.outline = -1;
            break;
          case 'outlinelevel':
            if (param !== undefined && param >= 0 && param <= 8) state.outline = param;
            break;
          case 'cell':
          case 'nestcell':
            emit('\t');
            break;
          default:
            if (PARAGRAPH_ENDS.has(word)) {
              if (!state.skip) endParagraph();
            } else if (Object.hasOwn(SYMBOL_WORDS, word)) {
              emit(SYMBOL_WORDS[word]);
            }
        }
        continue;
      }
      // Control symbols.
      i += 2;
      switch (source[i - 1]) {
        case "'": {
          const byte = Number.parseInt(source.slice(i, i + 2), 16);
          i += 2;
          if (!Number.isNaN(byte)) {
            if (state.inFontTable) break;
            textByte(byte);
          }
          break;
        }
        case '*':
          starred = true;
          break;
        case '\\':
        case '{':
        case '}':
          if (!state.inFontTable) {
            if (fallbackToSkip > 0) fallbackToSkip--;
            else emit(source[i - 1]);
          }
          break;
        case '~':
          emit('\u00a0');
          break;
        case '_':
          emit('-');
          break;
        case '\n':
        case '\r':
          if (!state.skip) endParagraph();
          break;
        default:
          break; // \- optional hyphen, \| \: formula and index symbols
      }
      continue;
    }
    if (ch === 0x0d || ch === 0x0a) {
      i++;
      continue;
    }
    if (state.inFontTable || state.skip) {
      i++;
      continue;
    }
    // Plain text: ASCII as is, 8-bit bytes through the code page.
    if (fallbackToSkip > 0) {
      fallbackToSkip--;
      i++;
      continue;
    }
    if (ch < 0x80) {
      let j = i + 1;
      while (j < n) {
        const c = source.charCodeAt(j);
        if (c === 0x5c || c === 0x7b || c === 0x7d || c === 0x0d || c === 0x0a || c >= 0x80) break;
        j++;
      }
      emit(source.slice(i, j));
      i = j;
    } else {
      textByte(ch);
      i++;
    }
  }
  endParagraph();
  return blocks;
}

/** Parser for .rtf uploads. */
export const parseRtf: FormatParser = async (bytes, limits) => {
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!source.startsWith('{\\rtf')) throw new DocumentError('corrupt', 'The file does not start with an RTF header ({\\rtf).');
  const out = new SectionCollector(limits.maxChars);
  addSectionsByHeading(readRtf(source), out);
  return out.finish('rtf');
};
