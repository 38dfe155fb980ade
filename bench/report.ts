/**
 * The benchmark's results: the stable keys with their targets, as a table for the terminal, a
 * JSON document for comparing commits, and an SVG chart of each key against its target.
 */

/** Every key `npm run bench` reports; names are stable so results of two commits compare. */
export const KEYS = {
  small_docs_per_s: { target: 50, better: 'higher', unit: 'docs/s', what: '1,000 one-chunk docs end to end, 0 ms embedder' },
  overhead_ratio_small_1000: { target: 2.0, better: 'lower', unit: '×', what: 'orchestrated ÷ raw wall time, 1,000 one-chunk docs, 0 ms' },
  overhead_ratio_large_100: { target: 1.1, better: 'lower', unit: '×', what: 'orchestrated ÷ raw wall time, 100 docs of ~100 chunks, 20 ms' },
  local_model_efficiency: { target: 0.9, better: 'higher', unit: '×', what: 'pipeline ÷ raw endpoint throughput, local model' },
  watchers50_throughput_ratio: { target: 0.9, better: 'higher', unit: '×', what: 'throughput with 50 SSE watchers ÷ without' },
  progress_latency_p95_ms: { target: 1000, better: 'lower', unit: 'ms', what: 'document finished → SSE client, p95' },
  sse_bytes_per_frame_10000: { target: 65_536, better: 'lower', unit: 'B', what: 'largest SSE frame after the snapshot, 10,000-doc batch' },
  upload_p99_ms: { target: 250, better: 'lower', unit: 'ms', what: '100 × 1 MB uploads at concurrency 10, p99' },
  upload_ratio_vs_raw_http: { target: 2.5, better: 'lower', unit: '×', what: 'upload p99 ÷ a raw Node server streaming to disk' },
  parse_scaling_2p: { target: null, better: 'higher', unit: '×', what: 'parse throughput, 2 children ÷ 1 (2.0 is linear)' },
  rss_pdf200_mb: { target: 1024, better: 'lower', unit: 'MB', what: 'peak RSS of a parse child, 200 MB PDF' },
  rss_xlsx300k_mb: { target: 512, better: 'lower', unit: 'MB', what: 'peak RSS of a parse child, 300,000-row XLSX' },
  max_history_events_10000: { target: 10_240, better: 'lower', unit: 'events', what: 'longest execution history, 10,000-doc batch' },
  batch_10000_seconds: { target: 300, better: 'lower', unit: 's', what: '10,000 tiny docs in one batch, 0 ms embedder' },
} as const satisfies Record<string, { target: number | null; better: 'higher' | 'lower'; unit: string; what: string }>;

export type KeyName = keyof typeof KEYS;
export type Results = Partial<Record<KeyName, number>>;

/** ≥ 1 when the target is met: value ÷ target for "higher is better", target ÷ value otherwise. */
export function score(key: KeyName, value: number): number | null {
  const { target, better } = KEYS[key];
  if (target === null) return null;
  if (better === 'higher') return value / target;
  return value === 0 ? Infinity : target / value;
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value >= 10 ? 1 : 2);
}

/** A fixed-width table: key, value, target, met or not, and what it measures. */
export function formatTable(results: Results, notes: Partial<Record<KeyName, string>> = {}): string {
  const header = ['key', 'value', 'target', 'met', 'measures'];
  const rows = (Object.keys(KEYS) as KeyName[]).map((key) => {
    const value = results[key];
    const { target, better, unit, what } = KEYS[key];
    const s = value === undefined ? null : score(key, value);
    return [
      key,
      value === undefined ? 'not measured' : `${formatValue(value)} ${unit}`,
      target === null ? '—' : `${better === 'higher' ? '≥' : '≤'} ${formatValue(target)}`,
      s === null ? '—' : s >= 1 ? 'yes' : 'NO',
      notes[key] ? `${what} (${notes[key]})` : what,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Each key's score as a bar against the target line (1.0), capped at 2; green when met. */
export function renderChart(results: Results, title: string): string {
  const keys = (Object.keys(KEYS) as KeyName[]).filter((k) => results[k] !== undefined);
  const rowHeight = 26;
  const left = 250;
  const barWidth = 420;
  const height = 60 + keys.length * rowHeight;
  const x = (s: number) => left + (Math.min(2, s) / 2) * barWidth;
  const rows = keys.map((key, i) => {
    const value = results[key]!;
    const s = score(key, value);
    const y = 40 + i * rowHeight;
    const label = `${formatValue(value)} ${KEYS[key].unit}`;
    const bar =
      s === null
        ? `<rect x="${left}" y="${y}" width="${barWidth / 2}" height="16" fill="#9aa5b1"/>`
        : `<rect x="${left}" y="${y}" width="${Math.max(1, x(s) - left)}" height="16" fill="${s >= 1 ? '#2f9e44' : '#e03131'}"/>`;
    return `<text x="${left - 8}" y="${y + 12}" text-anchor="end">${escapeXml(key)}</text>${bar}<text x="${left + barWidth + 8}" y="${y + 12}">${escapeXml(label)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + barWidth + 160}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...rows,
    `<line x1="${x(1)}" y1="30" x2="${x(1)}" y2="${height - 10}" stroke="#333" stroke-dasharray="4 3"/>`,
    `<text x="${x(1) + 4}" y="${height - 12}" fill="#333">target</text>`,
    '</svg>',
  ].join('\n');
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0-100) by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
