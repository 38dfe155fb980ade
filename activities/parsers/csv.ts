/**
 * CSV (and semicolon/tab/pipe separated exports that arrive named .csv): decode with
 * encoding.ts, split records with a single-pass RFC 4180 state machine (quoted fields, doubled
 * quotes, newlines inside quotes), then reuse the spreadsheet row-group sections with
 * sheet = 'csv'. Row and cell limits are enforced while parsing, not after.
 */
import { DocumentError } from '../../core/formats.js';
import type { FormatParser, ParseLimits } from './types.js';
import { decodeText } from './encoding.js';
import { SectionCollector } from './collect.js';
import { addRowSections, cleanCell, type Row } from './rows.js';

const CANDIDATES = [',', ';', '\t', '|'];

/** Picks the separator that occurs most in the first record (outside quotes); comma on ties. */
export function sniffDelimiter(text: string): string {
  const counts = new Map<string, number>(CANDIDATES.map((c) => [c, 0]));
  let inQuotes = false;
  const end = Math.min(text.length, 64 * 1024);
  for (let i = 0; i < end; i++) {
    const ch = text[i];
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && ch === '\n') break;
    else if (!inQuotes && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  for (const c of CANDIDATES) if (counts.get(c)! > counts.get(best)!) best = c;
  return best;
}

function tooBig(what: string, limit: number): DocumentError {
  return new DocumentError('limit_exceeded', `The CSV file has more than ${limit.toLocaleString('en-US')} ${what}.`);
}

/**
 * Yields non-empty records with their 1-based record number. Text must already use '\n' line
 * ends (decodeText normalizes them). An unterminated quote runs to the end of the file, as
 * spreadsheet programs do.
 */
export function* parseCsvRecords(text: string, delimiter: string, limits: Pick<ParseLimits, 'maxRows' | 'maxCells'>): Generator<Row> {
  let record = 1;
  let cells = 0;
  let fields: string[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  const endRecord = (): Row | null => {
    fields.push(field);
    field = '';
    const row = fields;
    fields = [];
    if (record > limits.maxRows) throw tooBig('rows', limits.maxRows);
    cells += row.length;
    if (cells > limits.maxCells) throw tooBig('cells', limits.maxCells);
    const number = record++;
    const cleaned = row.map(cleanCell);
    return cleaned.some((c) => c !== '') ? { row: number, cells: cleaned } : null;
  };
  while (i < n) {
    const ch = text[i];
    if (ch === '"' && field === '') {
      // Quoted field: copy runs between quotes with indexOf, so the loop stays linear.
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) {
          field += text.slice(i);
          i = n;
          break;
        }
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      continue;
    }
    if (ch === delimiter) {
      fields.push(field);
      field = '';
      i++;
    } else if (ch === '\n') {
      const row = endRecord();
      if (row) yield row;
      i++;
    } else {
      // Plain run up to the next delimiter or newline.
      let j = i;
      while (j < n && text[j] !== delimiter && text[j] !== '\n') j++;
      field += text.slice(i, j);
      i = j;
    }
  }
  if (field !== '' || fields.length > 0) {
    const row = endRecord();
    if (row) yield row;
  }
}

/** Parser for .csv uploads. */
export const parseCsv: FormatParser = async (bytes, limits) => {
  const { text, encoding } = decodeText(bytes);
  const out = new SectionCollector(limits.maxChars);
  addRowSections('csv', parseCsvRecords(text, sniffDelimiter(text), limits), out);
  return out.finish('csv', { encoding, pageCount: 1 });
};
