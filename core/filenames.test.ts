import { describe, expect, it } from 'vitest';
import { sanitizeFilename } from './filenames.js';

describe('sanitizeFilename', () => {
  it('keeps the last path segment and never returns a traversal', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('..\\..\\win.ini')).toBe('win.ini');
    expect(sanitizeFilename('..')).toBe('unnamed');
    expect(sanitizeFilename('')).toBe('unnamed');
  });

  it('removes control, zero-width and bidi override characters (no SSE or display injection)', () => {
    expect(sanitizeFilename('evil\r\nevent: done\n.pdf')).toBe('evilevent: done.pdf');
    expect(sanitizeFilename('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(sanitizeFilename('a\u0000b\u200Bc.txt')).toBe('abc.txt');
  });

  it('normalises to NFC and caps the length, keeping the extension', () => {
    expect(sanitizeFilename('cafe\u0301.txt')).toBe('caf\u00e9.txt');
    const long = sanitizeFilename(`${'x'.repeat(1000)}.pdf`);
    expect(long.length).toBe(200);
    expect(long.endsWith('.pdf')).toBe(true);
  });
});
