import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentError } from '../../core/formats.js';
import { makeCsv, makeDocx, makePdf, makeText, makeXlsx } from '../../test/fixtures/documents.js';
import { makeBillionLaughsDocx, makeFlateBombPdf, makeRunLengthBombPdf, makeTruncatedPdf, makeWholeGridMergeXlsx } from '../../test/fixtures/hostile.js';
import { DEFAULT_PARSE_LIMITS } from '../parsers/index.js';
import { createParsePool, type ParsePool } from './pool.js';
import { toParsedDocument } from './protocol.js';

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DocumentError) return { code: err.code, message: err.message };
    return { code: `non-DocumentError`, message: String(err) };
  }
  throw new Error('expected the job to fail');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not reached');
    await sleep(10);
  }
}

const processListeners = () => ['exit', 'SIGINT', 'SIGTERM', 'uncaughtException', 'unhandledRejection', 'message'].map((e) => process.listenerCount(e));

describe('parse pool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'docflow-pool-'));
  const files: Record<string, string> = {};
  const listenersBefore = processListeners();
  let pool: ParsePool;
  // A generous memory cap and a short timeout: the RunLength bomb is then stopped by the clock.
  let slowPool: ParsePool;

  beforeAll(() => {
    const write = (name: string, bytes: Uint8Array) => {
      files[name] = join(dir, name);
      writeFileSync(files[name], bytes);
    };
    write('ok.pdf', makePdf(['Quarterly revenue grew.', 'Page two: supply chain.']));
    write('ok.docx', makeDocx([{ text: 'Coastal operations', heading: 1 }, { text: 'Storm season begins in October.' }]));
    write(
      'ok.xlsx',
      makeXlsx({
        Stock: [
          ['item', 'count'],
          ['hammers', 12],
        ],
      }),
    );
    write('ok.md', makeText('# Title\nBody text.'));
    write('ok.txt', makeText('plain text works'));
    write('bomb.pdf', makeFlateBombPdf(300));
    write('rle-bomb.pdf', makeRunLengthBombPdf(300));
    write('grid.xlsx', makeWholeGridMergeXlsx());
    write('truncated.pdf', makeTruncatedPdf());
    write('laughs.docx', makeBillionLaughsDocx());
    write(
      'pollute.csv',
      makeCsv([
        ['__proto__', 'constructor', 'polluted'],
        ['{"polluted":"yes"}', 'prototype', 'yes'],
      ]),
    );
    write('pollute.md', makeText('# __proto__\npolluted: yes\n# constructor\nprototype'));
    pool = createParsePool({ size: 2, memoryLimitMb: 400, timeoutMs: 20_000, limits: DEFAULT_PARSE_LIMITS });
    slowPool = createParsePool({ size: 1, memoryLimitMb: 4096, timeoutMs: 1_000, limits: DEFAULT_PARSE_LIMITS });
  });

  afterAll(async () => {
    await Promise.all([pool?.close(), slowPool?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses every format in child processes with its metadata', async () => {
    const [pdf, docx, xlsx, md] = await Promise.all([
      pool.parse(files['ok.pdf'], 'pdf'),
      pool.parse(files['ok.docx'], 'docx'),
      pool.parse(files['ok.xlsx'], 'xlsx'),
      pool.parse(files['ok.md'], 'md'),
    ]);
    expect(pdf.sections).toEqual([
      { page: 1, text: 'Quarterly revenue grew.' },
      { page: 2, text: 'Page two: supply chain.' },
    ]);
    expect(docx.sections).toEqual([{ heading: 'Coastal operations', text: 'Coastal operations\nStorm season begins in October.' }]);
    expect(xlsx.sections).toEqual([{ sheet: 'Stock', rowStart: 1, rowEnd: 2, text: 'item\tcount\nitem: hammers; count: 12' }]);
    expect(md).toEqual({ format: 'md', encoding: 'UTF-8', sections: [{ heading: 'Title', text: '# Title\nBody text.' }] });
    expect(pool.stats().alive).toBeGreaterThanOrEqual(1);
  });

  it('fails a flate bomb with resource_limit within seconds and keeps serving', async () => {
    const started = Date.now();
    const [bomb, ok] = await Promise.allSettled([pool.parse(files['bomb.pdf'], 'pdf'), pool.parse(files['ok.txt'], 'txt')]);
    expect(bomb.status).toBe('rejected');
    const err = (bomb as PromiseRejectedResult).reason;
    expect(err).toBeInstanceOf(DocumentError);
    expect(err.code).toBe('resource_limit');
    expect(err.message).toMatch(/inflate to more than/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ok).toMatchObject({ status: 'fulfilled', value: { sections: [{ text: 'plain text works' }] } });
    expect((await pool.parse(files['ok.pdf'], 'pdf')).sections).toHaveLength(2);
  });

  it('kills a child at the RSS cap (a bomb the inflate guard cannot see) and keeps serving', async () => {
    const started = Date.now();
    const [bomb, ok] = await Promise.allSettled([pool.parse(files['rle-bomb.pdf'], 'pdf'), pool.parse(files['ok.txt'], 'txt')]);
    expect(bomb.status).toBe('rejected');
    const err = (bomb as PromiseRejectedResult).reason;
    expect(err).toBeInstanceOf(DocumentError);
    expect(err.code).toBe('resource_limit');
    expect(err.message).toMatch(/400 MB memory limit/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(ok).toMatchObject({ status: 'fulfilled', value: { sections: [{ text: 'plain text works' }] } });
    expect(pool.stats().killedForMemory).toBeGreaterThanOrEqual(1);
    expect((await pool.parse(files['ok.pdf'], 'pdf')).sections).toHaveLength(2);
  });

  it('fails a whole-grid merge fast with limit_exceeded', async () => {
    await pool.parse(files['ok.txt'], 'txt'); // warm child, so the timing measures parsing only
    const started = Date.now();
    expect(await failure(pool.parse(files['grid.xlsx'], 'xlsx'))).toMatchObject({ code: 'limit_exceeded' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('carries DocumentError codes from the child', async () => {
    expect(await failure(pool.parse(files['truncated.pdf'], 'pdf'))).toMatchObject({ code: 'corrupt' });
    expect(await failure(pool.parse(files['laughs.docx'], 'docx'))).toMatchObject({ code: 'corrupt' });
    expect(await failure(pool.parse(files['ok.txt'], 'pdf'))).toMatchObject({ code: 'corrupt' });
    const missing = await failure(pool.parse(join(dir, 'missing.txt'), 'txt'));
    expect(missing.code).toBe('non-DocumentError'); // our storage failing is retryable, not the document's fault
  });

  it('keeps prototype pollution attempts out of the parent', async () => {
    const csv = await pool.parse(files['pollute.csv'], 'csv');
    const md = await pool.parse(files['pollute.md'], 'md');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(csv)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(csv.sections[0])).toBe(Object.prototype);
    expect(csv.sections[0].text).toContain('__proto__: {"polluted":"yes"}');
    expect(md.sections.map((s) => s.heading)).toEqual(['__proto__', 'constructor']);

    const hostile = JSON.parse('{"sections":[{"text":"x","page":1,"__proto__":{"polluted":"yes"},"extra":1}],"__proto__":{"polluted":"yes"},"pageCount":"7"}');
    const doc = toParsedDocument(hostile, 'pdf');
    expect(doc).toEqual({ format: 'pdf', sections: [{ text: 'x', page: 1 }] });
    expect(Object.keys(doc.sections[0])).toEqual(['text', 'page']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => toParsedDocument({ sections: [{ text: 5 }] }, 'pdf')).toThrow(DocumentError);
  });

  it('kills a job that exceeds the timeout and serves the next one', async () => {
    const started = Date.now();
    const err = await failure(slowPool.parse(files['rle-bomb.pdf'], 'pdf'));
    expect(err.code).toBe('resource_limit');
    expect(err.message).toMatch(/1 s time limit/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await slowPool.parse(files['ok.txt'], 'txt')).sections[0].text).toBe('plain text works');
    expect(slowPool.stats().killedForTimeout).toBeGreaterThanOrEqual(1);
  });

  it('fails the job of a child killed from outside and replaces the child', async () => {
    const job = failure(slowPool.parse(files['rle-bomb.pdf'], 'pdf'));
    await waitFor(() => slowPool.stats().busy === 1);
    await sleep(150);
    const [pid] = slowPool.stats().pids;
    process.kill(pid, 'SIGKILL');
    const err = await job;
    expect(err.code).toBe('resource_limit');
    expect(err.message).toMatch(/died \(SIGKILL\)/);
    expect((await slowPool.parse(files['ok.txt'], 'txt')).sections[0].text).toBe('plain text works');
    expect(slowPool.stats().pids).not.toContain(pid);
    expect(slowPool.stats().crashed).toBeGreaterThanOrEqual(1);
  });

  it('cancels on abort (queued or running) without leaking listeners', async () => {
    const running = new AbortController();
    const queued = new AbortController();
    const a = failure(slowPool.parse(files['rle-bomb.pdf'], 'pdf', running.signal));
    const b = failure(slowPool.parse(files['ok.txt'], 'txt', queued.signal));
    await waitFor(() => slowPool.stats().busy === 1);
    queued.abort();
    running.abort();
    expect(await a).toMatchObject({ code: 'cancelled' });
    expect(await b).toMatchObject({ code: 'cancelled' });
    expect(getEventListeners(running.signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(queued.signal, 'abort')).toHaveLength(0);
    const done = new AbortController();
    await slowPool.parse(files['ok.txt'], 'txt', done.signal);
    expect(getEventListeners(done.signal, 'abort')).toHaveLength(0);
    expect(await failure(slowPool.parse(files['ok.txt'], 'txt', AbortSignal.abort()))).toMatchObject({ code: 'cancelled' });
  });

  it('recycles children after the configured number of jobs', async () => {
    const small = createParsePool({ size: 1, memoryLimitMb: 512, timeoutMs: 20_000, limits: DEFAULT_PARSE_LIMITS, recycleAfterJobs: 2 });
    try {
      await small.parse(files['ok.txt'], 'txt');
      const [first] = small.stats().pids;
      await small.parse(files['ok.txt'], 'txt');
      await small.parse(files['ok.txt'], 'txt');
      expect(small.stats().recycled).toBe(1);
      expect(small.stats().pids).not.toContain(first);
    } finally {
      await small.close();
    }
    expect(small.stats().alive).toBe(0);
    expect(await failure(small.parse(files['ok.txt'], 'txt'))).toMatchObject({ code: 'non-DocumentError' });
  });

  it('adds no process-level listeners to the parent', () => {
    expect(processListeners()).toEqual(listenersBefore);
  });
});
