/**
 * What OpenDocument spreadsheets need before and after SheetJS reads them into the shared
 * sheet pipeline (spreadsheet.ts).
 *
 * ODS compresses repetition into attributes: one `<table:table-row table:number-rows-repeated=
 * "1048576">` or `table:number-columns-repeated="16384"` stands for a whole grid, and SheetJS
 * expands repeated cells that hold a value one by one (a 2 KB file can ask for 17 billion
 * cells). LibreOffice also ends ordinary sheets with a million repeated *empty* rows, which
 * must not count against the limits. So content.xml is first walked once (SAX, no cell built)
 * to measure each table up to its last non-empty row and column, repeats multiplied out, and a
 * sheet over maxRows / maxCells is `limit_exceeded` before SheetJS sees it. After reading, each
 * sheet's range is trimmed to its real content, so the shared size check measures content, not
 * trailing empty repeats.
 */
import * as XLSX from '@e965/xlsx';
import { DocumentError } from '../../core/formats.js';
import type { ParseLimits } from './types.js';
import { assertOdfNotEncrypted } from './odt.js';
import { withZipParts } from './zip-parts.js';
import { walkXml } from './xml-sax.js';

function repeat(value: string | undefined): number {
  const n = Number.parseInt(value ?? '1', 10);
  return Number.isFinite(n) && n > 0 ? n : 1;
}

/** A table's extent up to its last non-empty cell: rows, and cells (each row's width times its repeats). */
export interface OdsExtent {
  name: string;
  rows: number;
  cells: number;
}

/** Measures every table of content.xml without building a cell. */
export function measureOdsContent(xml: string): OdsExtent[] {
  const tables: OdsExtent[] = [];
  let table: OdsExtent | null = null;
  let tableDepth = 0;
  let rowPosition = 0;
  let rowRepeat = 1;
  let colPosition = 0;
  let lastCol = 0;
  let cellRepeat = 1;
  let cellHasValue = false;
  let inCell = false;
  walkXml(
    xml,
    {
      open(name, attrs) {
        if (name === 'table') {
          // A table nested in a cell (not written by spreadsheets, but possible) counts with its sheet.
          if (tableDepth++ === 0) {
            table = { name: attrs['table:name'] ?? `Sheet${tables.length + 1}`, rows: 0, cells: 0 };
            rowPosition = 0;
          }
        } else if (name === 'table-row') {
          rowRepeat = repeat(attrs['table:number-rows-repeated']);
          colPosition = 0;
          lastCol = 0;
        } else if (name === 'table-cell' || name === 'covered-table-cell') {
          cellRepeat = repeat(attrs['table:number-columns-repeated']);
          cellHasValue = attrs['office:value-type'] !== undefined;
          inCell = true;
        }
      },
      text(text) {
        if (inCell && !cellHasValue && text.trim() !== '') cellHasValue = true;
      },
      close(name) {
        if (name === 'table-cell' || name === 'covered-table-cell') {
          colPosition += cellRepeat;
          if (cellHasValue) lastCol = colPosition;
          inCell = false;
        } else if (name === 'table-row' && table) {
          rowPosition += rowRepeat;
          if (lastCol > 0) {
            table.rows = rowPosition;
            table.cells += rowRepeat * lastCol;
          }
        } else if (name === 'table' && --tableDepth === 0 && table) {
          tables.push(table);
          table = null;
        }
      },
    },
    'content.xml',
  );
  return tables;
}

/** Refuses encrypted or oversized ODS packages before SheetJS reads them. */
export async function checkOdsPackage(bytes: Uint8Array, limits: Pick<ParseLimits, 'maxRows' | 'maxCells'>): Promise<void> {
  await withZipParts(bytes, async (parts) => {
    await assertOdfNotEncrypted(parts);
    if (!parts.has('content.xml')) throw new DocumentError('corrupt', 'The OpenDocument spreadsheet has no content.xml part.');
    let rows = 0;
    let cells = 0;
    for (const table of measureOdsContent(await parts.readText('content.xml'))) {
      rows += table.rows;
      cells += table.cells;
      if (rows > limits.maxRows)
        throw new DocumentError('limit_exceeded', `The spreadsheet declares more than ${limits.maxRows.toLocaleString('en-US')} rows (sheet "${table.name.slice(0, 100)}").`);
      if (cells > limits.maxCells)
        throw new DocumentError('limit_exceeded', `The spreadsheet declares more than ${limits.maxCells.toLocaleString('en-US')} cells (sheet "${table.name.slice(0, 100)}").`);
    }
  });
}

/** Narrows each sheet's range to the cells SheetJS actually holds (ODS trailing empty repeats widen it). */
export function trimOdsRanges(workbook: XLSX.WorkBook): void {
  for (const name of workbook.SheetNames) {
    const sheet = workbook.Sheets[name];
    const data = sheet?.['!data'] as (XLSX.CellObject | undefined)[][] | undefined;
    if (!sheet || !data) continue;
    let lastRow = -1;
    let lastCol = -1;
    for (let r = 0; r < data.length; r++) {
      const row = data[r];
      if (!row) continue;
      for (let c = row.length - 1; c >= 0; c--) {
        if (row[c] && row[c]!.t !== 'z') {
          lastRow = r;
          if (c > lastCol) lastCol = c;
          break;
        }
      }
    }
    delete sheet['!fullref'];
    if (lastRow < 0) delete sheet['!ref'];
    else sheet['!ref'] = XLSX.utils.encode_range({ s: { r: 0, c: 0 }, e: { r: lastRow, c: lastCol } });
  }
}
