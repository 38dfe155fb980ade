/**
 * Plain text: decode, sanitize, one section. Splitting into chunks is the chunker's job;
 * the parser only guarantees clean text within the character budget.
 */
import type { FormatParser } from './types.js';
import { decodeText } from './encoding.js';
import { SectionCollector } from './collect.js';

/** Parser for .txt uploads. */
export const parseText: FormatParser = async (bytes, limits) => {
  const { text, encoding } = decodeText(bytes);
  const out = new SectionCollector(limits.maxChars);
  out.add({ text });
  return out.finish('txt', { encoding });
};
