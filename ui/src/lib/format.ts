/** Display helpers for sizes, durations and dates, localised by the caller's language. */
import type { Locale } from './i18n/index.svelte.js';

const UNITS = ['B', 'KB', 'MB', 'GB'] as const;

/** 1536 → "1.5 KB" (binary multiples, as the limits are configured). */
export function formatBytes(bytes: number, locale: Locale = 'en'): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toLocaleString(locale, { maximumFractionDigits: digits })} ${UNITS[unit]}`;
}

/** Milliseconds → "42 s" or "3 min 05 s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  return `${minutes} min ${String(total % 60).padStart(2, '0')} s`;
}

/** An ISO timestamp as a short local date and time. */
export function formatDate(iso: string, locale: Locale = 'en'): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(locale, { dateStyle: 'short', timeStyle: 'short' });
}

/** The first characters of an id, enough to recognise it. */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
