/**
 * The benchmark's generated corpora: deterministic text (a seeded word stream, so every run and
 * every commit sees the same bytes) in the shapes the targets name: one-chunk documents, long
 * documents of about a hundred chunks, prose pages for the local model, a mix of every format,
 * and the large files the parse-memory targets use.
 */
import { makeCsv, makeDocx, makePdf, makeText, makeXls, makeXlsx, pdfFromContentStreams } from '../test/fixtures/documents.js';
import type { UploadFile } from '../test/http.js';

const WORDS = (
  'harbour ledger tide lantern keeper vessel cargo signal beacon channel current anchor mooring ' +
  'survey chart depth reef shoal compass bearing northern southern eastern western season storm ' +
  'calm freight manifest customs clearance pilot berth crane warehouse quay timber grain copper ' +
  'wool spice record entry journal account balance invoice payment audit review report quarter ' +
  'annual growth decline forecast budget supplier contract delivery schedule delay shortage surplus'
).split(' ');

/** A seeded stream of sentences; `seed` picks the document, so documents differ but never change. */
export function prose(seed: number, words: number): string {
  let state = (seed * 2654435761) >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % WORDS.length;
  };
  const sentences: string[] = [];
  let written = 0;
  while (written < words) {
    const length = 8 + (next() % 10);
    const sentence = Array.from({ length }, () => WORDS[next()]).join(' ');
    sentences.push(`${sentence[0].toUpperCase()}${sentence.slice(1)} (record ${seed}.${sentences.length}).`);
    written += length;
  }
  // Paragraphs of five sentences, so the chunker has natural breaks.
  const paragraphs: string[] = [];
  for (let i = 0; i < sentences.length; i += 5) paragraphs.push(sentences.slice(i, i + 5).join(' '));
  return paragraphs.join('\n\n');
}

/** `count` text documents of one chunk each (about 60 words, far below the 300-token chunk size). */
export function oneChunkDocs(count: number, tag = 'small'): UploadFile[] {
  return Array.from({ length: count }, (_, i) => ({ name: `${tag}-${i}.txt`, bytes: makeText(prose(i + 1, 60)), type: 'text/plain' }));
}

/** `count` documents of about `chunks` chunks each at the default 300-token chunk size. */
export function longDocs(count: number, chunks: number, tag = 'long'): UploadFile[] {
  // ~62 of these words fill one 300-token chunk (estimated WordPiece tokens, 40-token overlap).
  return Array.from({ length: count }, (_, i) => ({ name: `${tag}-${i}.txt`, bytes: makeText(prose(10_000 + i, chunks * 62)), type: 'text/plain' }));
}

/** Prose pages of about 16 KB each, the local-model corpus. */
export function proseDocs(count: number): UploadFile[] {
  return Array.from({ length: count }, (_, i) => ({ name: `prose-${i}.md`, bytes: makeText(`# Report ${i}\n\n${prose(20_000 + i, 1_800)}`), type: 'text/markdown' }));
}

/** `count` documents cycling through every accepted format, each a page or so of content. */
export function mixedDocs(count: number): UploadFile[] {
  const makers: ((i: number) => UploadFile)[] = [
    (i) => ({ name: `mix-${i}.pdf`, bytes: makePdf([prose(30_000 + i, 150), prose(31_000 + i, 150)]) }),
    (i) => ({ name: `mix-${i}.docx`, bytes: makeDocx([{ text: `Section ${i}`, heading: 1 }, { text: prose(32_000 + i, 250) }]) }),
    (i) => ({ name: `mix-${i}.xlsx`, bytes: makeXlsx({ Ledger: rows(i, 40) }) }),
    (i) => ({ name: `mix-${i}.xls`, bytes: makeXls({ Ledger: rows(i, 40) }) }),
    (i) => ({ name: `mix-${i}.csv`, bytes: makeCsv(rows(i, 40)), type: 'text/csv' }),
    (i) => ({ name: `mix-${i}.txt`, bytes: makeText(prose(33_000 + i, 250)), type: 'text/plain' }),
    (i) => ({ name: `mix-${i}.md`, bytes: makeText(`# Notes ${i}\n\n${prose(34_000 + i, 250)}`), type: 'text/markdown' }),
  ];
  return Array.from({ length: count }, (_, i) => makers[i % makers.length](i));
}

function rows(seed: number, count: number): (string | number)[][] {
  return [
    ['entry', 'vessel', 'cargo', 'amount'],
    ...Array.from({ length: count }, (_, r) => [r + 1, prose(seed * 100 + r, 3), prose(seed * 100 + r + 50, 5), (seed * 37 + r * 11) % 1000]),
  ];
}

/**
 * A PDF of about `bytes` whose single page has one line of text; the rest is a comment in the
 * content stream, so it costs upload and parse bandwidth but yields one chunk (upload benchmark).
 */
export function paddedPdf(bytes: number, seed: number): Buffer {
  const text = prose(40_000 + seed, 20).replace(/[()\\\n]/g, ' ');
  const body = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET\n%`;
  const padding = 'x'.repeat(Math.max(0, bytes - body.length - 600));
  return pdfFromContentStreams([{ data: Buffer.from(`${body}${padding}\n`, 'latin1') }]);
}

/**
 * A PDF of about `megabytes` MB: text pages, each also carrying an uncompressed 1 MB image-like
 * stream that text extraction must read past (the shape of scanned reports with a text layer).
 */
export function largePdf(megabytes: number): Buffer {
  const pages = Math.max(1, Math.round(megabytes));
  return pdfFromContentStreams(
    Array.from({ length: pages }, (_, i) => {
      const text = prose(50_000 + i, 60).replace(/[()\\\n]/g, ' ');
      const filler = `%${'0123456789abcdef'.repeat(65_536)}\n`;
      return { data: Buffer.from(`BT /F1 10 Tf 72 720 Td (${text}) Tj ET\n${filler}`, 'latin1') };
    }),
  );
}

/** An XLSX workbook with `rowCount` rows of five short columns. */
export function largeXlsx(rowCount: number): Buffer {
  const data: (string | number)[][] = [['id', 'vessel', 'port', 'cargo', 'tons']];
  for (let r = 1; r <= rowCount; r++) data.push([r, WORDS[r % WORDS.length], WORDS[(r * 7) % WORDS.length], WORDS[(r * 13) % WORDS.length], (r * 31) % 997]);
  return makeXlsx({ Manifest: data });
}
