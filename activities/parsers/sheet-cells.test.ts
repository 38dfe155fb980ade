import type { CellObject } from '@e965/xlsx';
import { describe, expect, it } from 'vitest';
import { cellText, isoFromSerial } from './sheet-cells.js';

const ctx1900 = { date1904: false };
const ctx1904 = { date1904: true };

describe('isoFromSerial', () => {
  it('reads both date systems with four-digit years', () => {
    expect(isoFromSerial(17175, false, false)).toBe('1947-01-08');
    expect(isoFromSerial(17175, true, false)).toBe('1951-01-09');
    expect(isoFromSerial(45000.5, false, true)).toBe('2023-03-15 12:00');
    expect(isoFromSerial(-1, false, false)).toBeNull();
  });
});

describe('cellText', () => {
  it('writes default-format dates in ISO form and keeps formats the author chose', () => {
    expect(cellText({ t: 'n', v: 17175, z: 'm/d/yy', w: '1/8/47' }, ctx1900)).toBe('1947-01-08');
    expect(cellText({ t: 'n', v: 17175, z: 'm/d/yy', w: '1/9/51' }, ctx1904)).toBe('1951-01-09');
    expect(cellText({ t: 'n', v: 17175.75, z: 'm/d/yy h:mm', w: '1/8/47 18:00' }, ctx1900)).toBe('1947-01-08 18:00');
    expect(cellText({ t: 'n', v: 17175, z: 'dd/mm/yy', w: '08/01/47' }, ctx1900)).toBe('08/01/47');
  });

  it('keeps error values as their text, with or without a formatted value', () => {
    expect(cellText({ t: 'e', v: 0x2a, w: '#N/A' }, ctx1900)).toBe('#N/A');
    expect(cellText({ t: 'e', v: 0x07 } as CellObject, ctx1900)).toBe('#DIV/0!');
  });

  it('writes zeros whose format shows no digit as 0', () => {
    expect(cellText({ t: 'n', v: 0, z: '_("$"* #,##0.00_);_("$"* \\(#,##0.00\\);_("$"* "-"??_);_(@_)', w: ' $-   ' }, ctx1900)).toBe('0');
    expect(cellText({ t: 'n', v: 0, z: '0;-0;;@', w: '' }, ctx1900)).toBe('0');
    expect(cellText({ t: 'n', v: 0, z: 'General', w: '0' }, ctx1900)).toBe('0');
  });

  it('folds newlines and reads empty cells as empty', () => {
    expect(cellText({ t: 's', v: 'two\nlines', w: 'two\nlines' }, ctx1900)).toBe('two lines');
    expect(cellText(undefined, ctx1900)).toBe('');
    expect(cellText({ t: 'z' } as CellObject, ctx1900)).toBe('');
  });
});
