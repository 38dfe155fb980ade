/**
 * List numbers and bullets as Word shows them, from numbering.xml: each list level has a
 * format (decimal, letters, roman numerals, bullet...), a start value and a text pattern such as
 * "%1.%2." naming the counters of the levels above. Counters run per abstract list, as Word
 * runs them, so two w:num instances of one list continue each other unless one restarts with a
 * startOverride; a level resets the levels below it.
 */
import type { DocxPackage, XmlElement } from './docx-package.js';

interface Level {
  format: string;
  text: string;
  start: number;
}

interface NumInstance {
  abstractId: string;
  starts: Map<number, number>;
}

const ROMAN: [number, string][] = [
  [1000, 'm'],
  [900, 'cm'],
  [500, 'd'],
  [400, 'cd'],
  [100, 'c'],
  [90, 'xc'],
  [50, 'l'],
  [40, 'xl'],
  [10, 'x'],
  [9, 'ix'],
  [5, 'v'],
  [4, 'iv'],
  [1, 'i'],
];

function roman(n: number): string {
  let out = '';
  for (const [value, digits] of ROMAN) {
    while (n >= value) {
      out += digits;
      n -= value;
    }
  }
  return out;
}

/** Word's letter numbering: a..z, then aa..zz (the letter repeated), and so on. */
function letters(n: number): string {
  return String.fromCharCode(97 + ((n - 1) % 26)).repeat(Math.floor((n - 1) / 26) + 1);
}

/** One counter value in a level's format; unknown formats fall back to decimal. */
export function formatCounter(n: number, format: string): string {
  if (n < 1 && format !== 'decimal' && format !== 'decimalZero') return String(n);
  switch (format) {
    case 'lowerLetter':
      return letters(n);
    case 'upperLetter':
      return letters(n).toUpperCase();
    case 'lowerRoman':
      return roman(n);
    case 'upperRoman':
      return roman(n).toUpperCase();
    case 'decimalZero':
      return String(n).padStart(2, '0');
    case 'ordinal':
      return `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
    default:
      return String(n);
  }
}

/** A bullet's character as text: symbol-font glyphs (private use area) become "•", Courier's "o" "◦". */
export function bulletText(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '' || /^[\uE000-\uF8FF]+$/.test(trimmed)) return '•';
  if (trimmed === 'o') return '◦';
  return trimmed;
}

/** Counters and formats of one document's lists. */
export class ListNumbering {
  private readonly counters = new Map<string, number[]>();
  private readonly startedInstances = new Set<string>();

  constructor(
    private readonly abstracts: Map<string, Map<number, Level>> = new Map(),
    private readonly nums: Map<string, NumInstance> = new Map(),
  ) {}

  /** Advances list `numId` at level `ilvl` and returns its label ("3.", "b)", "•"), or null for no list. */
  next(numId: string, ilvl: number): string | null {
    const num = this.nums.get(numId);
    const levels = num ? this.abstracts.get(num.abstractId) : undefined;
    if (!num || !levels) return null;
    const lvl = Math.max(0, Math.min(8, ilvl));
    const level = levels.get(lvl);
    if (!level) return null;
    // An instance with start overrides restarts its levels the first time it is used.
    const key = num.starts.size > 0 ? `num:${numId}` : `abstract:${num.abstractId}`;
    const counters = this.counters.get(key) ?? [];
    this.counters.set(key, counters);
    if (num.starts.size > 0 && !this.startedInstances.has(numId)) {
      this.startedInstances.add(numId);
      for (const [l, start] of num.starts) counters[l] = start - 1;
    }
    counters[lvl] = (counters[lvl] ?? level.start - 1) + 1;
    counters.length = lvl + 1; // deeper levels restart
    if (level.format === 'bullet') return bulletText(level.text);
    if (level.format === 'none') return level.text.trim() === '' ? null : level.text.trim();
    const label = level.text.replace(/%([1-9])/g, (_, d: string) => {
      const at = Number(d) - 1;
      const above = levels.get(at);
      return formatCounter(counters[at] ?? above?.start ?? 1, above?.format ?? 'decimal');
    });
    return label.trim() === '' ? null : label.trim();
  }
}

/** Reads numbering.xml (absent part: no lists). */
export async function readNumbering(pkg: DocxPackage, part: string | null): Promise<ListNumbering> {
  const abstracts = new Map<string, Map<number, Level>>();
  const nums = new Map<string, NumInstance>();
  if (!part) return new ListNumbering(abstracts, nums);
  let abstract: Map<number, Level> | null = null;
  let level: Level | null = null;
  let num: NumInstance | null = null;
  let overrideLevel = -1;
  await pkg.walk(part, {
    open(el: XmlElement) {
      if (!el.word) return;
      const val = el.attrs.val;
      switch (el.local) {
        case 'abstractNum':
          abstract = new Map();
          if (el.attrs.abstractNumId !== undefined) abstracts.set(el.attrs.abstractNumId, abstract);
          break;
        case 'lvl':
          // Levels inside a lvlOverride redefine the instance; they are rare and left to the abstract list.
          if (abstract && !num) {
            level = { format: 'decimal', text: '', start: 1 };
            abstract.set(Number(el.attrs.ilvl ?? 0), level);
          }
          break;
        case 'start':
          if (level && val) level.start = Number(val) || 0;
          break;
        case 'numFmt':
          if (level && val) level.format = val;
          break;
        case 'lvlText':
          if (level) level.text = val ?? '';
          break;
        case 'num':
          num = { abstractId: '', starts: new Map() };
          if (el.attrs.numId !== undefined) nums.set(el.attrs.numId, num);
          break;
        case 'abstractNumId':
          if (num && val !== undefined) num.abstractId = val;
          break;
        case 'lvlOverride':
          overrideLevel = Number(el.attrs.ilvl ?? 0);
          break;
        case 'startOverride':
          if (num && overrideLevel >= 0 && val !== undefined) num.starts.set(overrideLevel, Number(val) || 0);
          break;
      }
    },
    close(el: XmlElement) {
      if (!el.word) return;
      if (el.local === 'abstractNum') abstract = null;
      else if (el.local === 'lvl') level = null;
      else if (el.local === 'num') num = null;
      else if (el.local === 'lvlOverride') overrideLevel = -1;
    },
    text() {},
  });
  return new ListNumbering(abstracts, nums);
}
