/**
 * Markdown: decode, then split at ATX headings (`#` to `######`) so each section carries the
 * heading it sits under. Headings inside fenced code blocks are code, not structure.
 * Scans line by line with indexOf and char comparisons only: linear time on any input.
 */
import type { FormatParser } from './types.js';
import { decodeText } from './encoding.js';
import { SectionCollector } from './collect.js';

interface Fence {
  char: string;
  length: number;
}

function leadingSpaces(line: string): number {
  let i = 0;
  while (i < line.length && i < 4 && line[i] === ' ') i++;
  return i;
}

/** Returns the fence a line opens/closes (``` or ~~~, indented at most 3 spaces), else null. */
function fenceOf(line: string): Fence | null {
  const start = leadingSpaces(line);
  if (start > 3) return null;
  const char = line[start];
  if (char !== '`' && char !== '~') return null;
  let end = start;
  while (end < line.length && line[end] === char) end++;
  return end - start >= 3 ? { char, length: end - start } : null;
}

function onlyChar(s: string, char: string): boolean {
  for (let i = 0; i < s.length; i++) if (s[i] !== char) return false;
  return true;
}

/** Heading text of an ATX heading line per CommonMark, or null for any other line. */
export function atxHeading(line: string): string | null {
  const start = leadingSpaces(line);
  if (start > 3) return null;
  let level = 0;
  while (start + level < line.length && line[start + level] === '#') level++;
  if (level < 1 || level > 6) return null;
  const after = start + level;
  if (after < line.length && line[after] !== ' ' && line[after] !== '\t') return null;
  let end = line.length;
  while (end > after && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  // An optional closing run of '#' counts only when preceded by whitespace (or is everything).
  let hashes = end;
  while (hashes > after && line[hashes - 1] === '#') hashes--;
  if (hashes < end && (hashes === after || line[hashes - 1] === ' ' || line[hashes - 1] === '\t')) end = hashes;
  return line.slice(after, end).trim();
}

/** Parser for .md uploads. */
export const parseMarkdown: FormatParser = async (bytes, limits) => {
  const { text, encoding } = decodeText(bytes);
  const out = new SectionCollector(limits.maxChars);
  let heading: string | undefined;
  let lines: string[] = [];
  let fence: Fence | null = null;
  const flush = () => {
    out.add(heading === undefined ? { text: lines.join('\n') } : { text: lines.join('\n'), heading });
    lines = [];
  };
  let pos = 0;
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1) nl = text.length;
    const line = text.slice(pos, nl);
    pos = nl + 1;
    const f = fenceOf(line);
    if (fence) {
      if (f && f.char === fence.char && f.length >= fence.length && onlyChar(line.trim(), f.char)) {
        fence = null;
      }
    } else if (f) {
      fence = f;
    } else {
      const h = atxHeading(line);
      if (h !== null && h.length > 0) {
        flush();
        heading = h;
      }
    }
    lines.push(line);
  }
  flush();
  return out.finish('md', { encoding });
};
