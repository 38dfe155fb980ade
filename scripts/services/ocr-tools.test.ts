import { describe, expect, it } from 'vitest';
import { ensureOcrTools, ocrPackages } from './ocr-tools.js';
import type { RunCommand } from './python-tools.js';

/** A fake machine: which tools answer, and what apt-get install does to it. */
function machine(state: { tesseract: boolean; langs: string[]; pdftoppm: boolean; aptWorks: boolean }) {
  const calls: string[] = [];
  const run: RunCommand = async (command, args) => {
    calls.push([command, ...args].join(' '));
    if (command === 'pdftoppm') return { code: state.pdftoppm ? 0 : null, output: 'pdftoppm version 22' };
    if (command === 'tesseract') {
      return state.tesseract ? { code: 0, output: `List of available languages (3):\n${state.langs.join('\n')}\nosd\n` } : { code: null, output: '' };
    }
    if (command === 'apt-get' && args[0] === 'install' && state.aptWorks) {
      Object.assign(state, { tesseract: true, pdftoppm: true, langs: ['eng', 'ita'] });
      return { code: 0, output: '' };
    }
    return { code: command === 'apt-get' ? 0 : 1, output: '' };
  };
  return { run, calls };
}

describe('ensureOcrTools', () => {
  it('names one Tesseract data package per language', () => {
    expect(ocrPackages('eng+ita+chi_sim')).toEqual(['poppler-utils', 'tesseract-ocr', 'tesseract-ocr-eng', 'tesseract-ocr-ita', 'tesseract-ocr-chi-sim']);
  });

  it('does nothing when Tesseract, its languages and pdftoppm are there', async () => {
    const { run, calls } = machine({ tesseract: true, langs: ['eng', 'ita'], pdftoppm: true, aptWorks: false });
    expect(await ensureOcrTools({ languages: 'eng+ita', log: () => {}, run, canInstall: true })).toBe(true);
    expect(calls.some((c) => c.startsWith('apt-get'))).toBe(false);
  });

  it('installs what is missing with apt-get where it can', async () => {
    const { run, calls } = machine({ tesseract: false, langs: [], pdftoppm: false, aptWorks: true });
    expect(await ensureOcrTools({ languages: 'eng+ita', log: () => {}, run, canInstall: true })).toBe(true);
    expect(calls).toContain('apt-get install -y --no-install-recommends poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-ita');
  });

  it('says what to install and turns OCR off where it cannot', async () => {
    const { run, calls } = machine({ tesseract: true, langs: ['eng'], pdftoppm: true, aptWorks: false });
    const lines: string[] = [];
    expect(await ensureOcrTools({ languages: 'eng+ita', log: (m) => lines.push(m), run, canInstall: false })).toBe(false);
    expect(calls.some((c) => c.startsWith('apt-get'))).toBe(false);
    expect(lines.join('\n')).toMatch(
      /OCR is off: missing Tesseract language data "ita".*ocr_unavailable.*apt-get install poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-ita/s,
    );
  });
});
