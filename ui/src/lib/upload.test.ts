import { describe, expect, it } from 'vitest';
import type { Limits } from '../../../core/api-schemas.js';
import { checkSelection, extensionOf, perFileProgress } from './upload.js';

const limits: Limits = {
  temporalUi: null,
  maxFileBytes: 1000,
  maxRequestBytes: 5000,
  maxFilesPerBatch: 3,
  maxTextFileBytes: 100,
  acceptedTypes: [
    { format: 'pdf', extensions: ['.pdf'], mimeTypes: ['application/pdf'] },
    { format: 'txt', extensions: ['.txt', '.text'], mimeTypes: ['text/plain'] },
  ],
};

describe('checkSelection', () => {
  it('accepts files within every limit', () => {
    const check = checkSelection(
      [
        { name: 'a.PDF', size: 900 },
        { name: 'b.txt', size: 100 },
      ],
      limits,
    );
    expect(check.ok).toBe(true);
    expect(check.files.size).toBe(0);
  });

  it('names the problem of each refused file', () => {
    const check = checkSelection(
      [
        { name: 'tool.exe', size: 10 },
        { name: 'noext', size: 10 },
        { name: 'empty.pdf', size: 0 },
        { name: 'big.pdf', size: 1001 },
        { name: 'long.txt', size: 101 },
      ],
      { ...limits, maxFilesPerBatch: 10 },
    );
    expect(check.ok).toBe(false);
    expect([...check.files]).toEqual([
      [0, { kind: 'type', ext: '.exe' }],
      [1, { kind: 'type', ext: 'noext' }],
      [2, { kind: 'empty' }],
      [3, { kind: 'too_large', size: 1001, max: 1000 }],
      [4, { kind: 'too_large', size: 101, max: 100 }],
    ]);
  });

  it('refuses the same file twice, too many files and too many bytes in all', () => {
    expect(
      checkSelection(
        [
          { name: 'a.pdf', size: 5 },
          { name: 'a.pdf', size: 5 },
        ],
        limits,
      ).files.get(1),
    ).toEqual({ kind: 'duplicate' });
    const many = checkSelection(
      Array.from({ length: 5 }, (_, i) => ({ name: `${i}.pdf`, size: 1 })),
      limits,
    );
    expect(many.tooMany).toEqual({ max: 3, extra: 2 });
    const heavy = checkSelection(
      Array.from({ length: 3 }, (_, i) => ({ name: `${i}.pdf`, size: 1000 })),
      { ...limits, maxRequestBytes: 3000 },
    );
    expect(heavy.tooLargeTotal).toEqual({ size: 3000, max: 3000 });
    expect(heavy.ok).toBe(false);
  });

  it('never sends an empty selection', () => {
    expect(checkSelection([], limits).ok).toBe(false);
  });
});

describe('perFileProgress', () => {
  it('fills each file in order as the request body goes out', () => {
    // Two files of 100 bytes, 20 bytes of framing each: body = 240 bytes.
    expect(perFileProgress([100, 100], 0, 240)).toEqual([0, 0]);
    expect(perFileProgress([100, 100], 70, 240)).toEqual([0.5, 0]);
    expect(perFileProgress([100, 100], 120, 240)).toEqual([1, 0]);
    expect(perFileProgress([100, 100], 190, 240)).toEqual([1, 0.5]);
    expect(perFileProgress([100, 100], 240, 240)).toEqual([1, 1]);
  });
});

it('extensionOf lower-cases and ignores dotfiles', () => {
  expect(extensionOf('Report.Final.PDF')).toBe('.pdf');
  expect(extensionOf('.bashrc')).toBe('');
});
