/**
 * DOCX memory follows the text, not the XML: a generated DOCX with 12.6 MB of document.xml
 * (the size that took mammoth to 700-880 MB) and one with twice that are parsed in a real
 * parse child capped at 512 MB of RSS, whose peak is printed and held under the cap.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeLargeWordReport } from '../../test/fixtures/word.js';
import { createParsePool } from '../parse-pool/pool.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';

const CAP_MB = 512;
const dir = mkdtempSync(path.join(tmpdir(), 'docflow-docx-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DOCX parse memory', () => {
  it.each([12.6, 25.2])(`parses a DOCX with %s MB of document.xml within ${CAP_MB} MB of RSS`, async (megabytes) => {
    const report = makeLargeWordReport(megabytes);
    const file = path.join(dir, `report-${megabytes}.docx`);
    writeFileSync(file, report.bytes);
    // One child, fresh for this document: its peak is this parse's peak.
    const pool = createParsePool({ size: 1, memoryLimitMb: CAP_MB, timeoutMs: 240_000, limits: DEFAULT_PARSE_LIMITS, rssPollMs: 10 });
    try {
      const doc = await pool.parse(file, 'docx');
      const { peakRssMb } = pool.stats();
      console.log(
        `[docx-memory] ${(report.xmlBytes / 2 ** 20).toFixed(1)} MB of XML in a ${(report.bytes.length / 1024).toFixed(0)} KB DOCX: ` +
          `${doc.sections.length} sections, peak RSS ${peakRssMb} MB (cap ${CAP_MB} MB)`,
      );
      expect(doc.sections.some((s) => s.text.includes(report.lastSentence))).toBe(true);
      expect(peakRssMb).toBeGreaterThan(0);
      expect(peakRssMb).toBeLessThanOrEqual(CAP_MB);
    } finally {
      await pool.close();
    }
  });
});
