import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('SPREADSHEET_HIDDEN_SHEETS', () => {
  it('skips hidden sheets unless told to mark them, and refuses anything else', () => {
    expect(loadConfig({}).spreadsheets.hiddenSheets).toBe('skip');
    expect(loadConfig({ SPREADSHEET_HIDDEN_SHEETS: ' Mark ' }).spreadsheets.hiddenSheets).toBe('mark');
    expect(() => loadConfig({ SPREADSHEET_HIDDEN_SHEETS: 'index' })).toThrow(/SPREADSHEET_HIDDEN_SHEETS/);
  });
});
