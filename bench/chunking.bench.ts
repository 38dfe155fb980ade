/**
 * Linearity benchmark for core/chunking.ts: chunks inputs of size N, 2N, 4N and 8N for several
 * shapes (plain prose, one giant line, ReDoS-style probes) side by side in one run and prints the
 * time ratio per doubling, which should stay near 2x. Run: npx tsx bench/chunking.bench.ts [N]
 * Wall-clock is only used here, never in unit tests.
 */
import { performance } from 'node:perf_hooks';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS, type WorkMeter } from '../core/chunking.js';
import type { ParsedDocument } from '../core/parsed.js';

type Shape = { name: string; make: (size: number) => string };

/** Deterministic pseudo-random prose so runs are comparable. */
function prose(size: number): string {
  const words = ['the', 'quarterly', 'report', 'shows', 'revenue', 'increased', 'significantly', 'compared', 'to', 'previous', 'year', 'internationalization', 'a', 'of'];
  const parts: string[] = [];
  let len = 0;
  let seed = 12345;
  let sentence = 0;
  while (len < size) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const w = words[seed % words.length];
    sentence++;
    const sep = sentence % 17 === 0 ? '.\n\n' : sentence % 9 === 0 ? '. ' : ' ';
    parts.push(w, sep);
    len += w.length + sep.length;
  }
  return parts.join('').slice(0, size);
}

const shapes: Shape[] = [
  { name: 'prose', make: prose },
  { name: 'giant line (no whitespace)', make: (n) => 'abcdefghij'.repeat(Math.ceil(n / 10)).slice(0, n) },
  { name: "redos 'a'*n + '!'", make: (n) => 'a'.repeat(n - 1) + '!' },
  { name: 'nested brackets', make: (n) => '('.repeat(n >> 1) + ')'.repeat(n - (n >> 1)) },
  { name: "'\\t'*n + 'x'", make: (n) => '\t'.repeat(n - 1) + 'x' },
  { name: "'a\\t'*n/2 (ws alternation)", make: (n) => 'a\t'.repeat(n >> 1) },
  { name: "'. '*n/2 (sentence storm)", make: (n) => '. '.repeat(n >> 1) },
  { name: 'CJK without spaces', make: (n) => '这是一个测试句子，它没有空格。'.repeat(Math.ceil(n / 15)).slice(0, n) },
  { name: "'\\n'*n/2 + words", make: (n) => 'w\n'.repeat(n >> 2) + '\n'.repeat(n >> 1) },
];

function timeOnce(text: string): { ms: number; steps: number; chunks: number } {
  const doc: ParsedDocument = { format: 'txt' as ParsedDocument['format'], sections: [{ text }] };
  const meter: WorkMeter = { steps: 0 };
  const t0 = performance.now();
  const chunks = chunkDocument(doc, DEFAULT_CHUNK_OPTIONS, meter);
  const ms = performance.now() - t0;
  return { ms, steps: meter.steps, chunks: chunks.length };
}

function best(text: string, reps: number): { ms: number; steps: number; chunks: number } {
  let r = timeOnce(text);
  for (let i = 1; i < reps; i++) {
    const x = timeOnce(text);
    if (x.ms < r.ms) r = x;
  }
  return r;
}

const base = Number(process.argv[2] ?? 2_500_000);
const sizes = [base, base * 2, base * 4, base * 8];
console.log(`chunking linearity, sizes ${sizes.map((s) => (s / 1e6).toFixed(1) + 'M').join(' / ')} chars, opts ${JSON.stringify(DEFAULT_CHUNK_OPTIONS)}`);
// Warm up the JIT and the code point class cache so the first size is not penalised.
timeOnce(prose(200_000));
timeOnce('这是一个测试句子，它没有空格。'.repeat(10_000));
for (const shape of shapes) {
  const results = sizes.map((n) => best(shape.make(n), n >= 8 * base ? 1 : 2));
  const ratios = results.slice(1).map((r, i) => (r.ms / Math.max(results[i].ms, 0.001)).toFixed(2) + 'x');
  const times = results.map((r) => r.ms.toFixed(0) + 'ms').join(' ');
  const steps = results.map((r, i) => (r.steps / sizes[i]).toFixed(2)).join(' ');
  console.log(`${shape.name.padEnd(30)} ${times.padEnd(28)} ratios ${ratios.join(' ').padEnd(20)} steps/char ${steps}  chunks@8N ${results[3].chunks}`);
}
