/**
 * PowerPoint (.pptx): every visible slide's text in the order the presentation lists its
 * slides, then that slide's speaker notes, each as a section whose `page` is the slide number
 * (as PowerPoint shows it, hidden slides counted) and whose heading is the slide's title.
 *
 * Within a slide, shapes are read in document order (back to front, which is how slides are
 * normally built), table rows become tab-separated lines, and the slide-number, date and
 * footer placeholders are left out (they repeat on every slide). Hidden slides (`show="0"`)
 * are not indexed. `mc:Fallback` copies of content are skipped so nothing is read twice.
 *
 * Safety: xml-guard refuses DTDs before anything is parsed; zip-parts bounds every inflation;
 * xml-sax bounds nesting. External relationship targets are never followed.
 */
import { DocumentError } from '../../core/formats.js';
import type { FormatParser } from './types.js';
import { sanitizeText } from './encoding.js';
import { SectionCollector } from './collect.js';
import { assertNoXmlDeclarations } from './xml-guard.js';
import { withZipParts, type ZipParts } from './zip-parts.js';
import { partDir, resolvePartPath, walkXml } from './xml-sax.js';

const REL_SLIDE = '/relationships/slide';
const REL_NOTES = '/relationships/notesSlide';
/** Placeholders whose text repeats on every slide or only labels it. */
const SKIPPED_PLACEHOLDERS = new Set(['sldNum', 'dt', 'ftr', 'hdr', 'sldImg']);
const TITLE_PLACEHOLDERS = new Set(['title', 'ctrTitle']);

interface Relationship {
  type: string;
  target: string;
}

/** A part's relationships by id, targets resolved to part names (external ones dropped). */
async function relationships(parts: ZipParts, partName: string): Promise<Map<string, Relationship>> {
  const dir = partDir(partName);
  const relsName = `${dir ? `${dir}/` : ''}_rels/${partName.slice(dir ? dir.length + 1 : 0)}.rels`;
  const rels = new Map<string, Relationship>();
  if (!parts.has(relsName)) return rels;
  walkXml(
    await parts.readText(relsName),
    {
      open(name, attrs) {
        if (name !== 'Relationship' || attrs.TargetMode === 'External' || !attrs.Id || !attrs.Target) return;
        const target = resolvePartPath(dir, attrs.Target);
        if (target) rels.set(attrs.Id, { type: attrs.Type ?? '', target });
      },
    },
    relsName,
  );
  return rels;
}

/** The slide part names in presentation order. */
async function slideOrder(parts: ZipParts): Promise<string[]> {
  const presentation = 'ppt/presentation.xml';
  const rels = await relationships(parts, presentation);
  const slides: string[] = [];
  walkXml(
    await parts.readText(presentation),
    {
      open(name, attrs) {
        if (name !== 'sldId') return;
        const id = attrs['r:id'] ?? Object.entries(attrs).find(([key]) => key.endsWith(':id'))?.[1];
        const rel = id ? rels.get(id) : undefined;
        if (rel && rel.type.endsWith(REL_SLIDE) && parts.has(rel.target)) slides.push(rel.target);
      },
    },
    presentation,
  );
  return slides;
}

/** What one slide or notes part says. */
export interface SlideText {
  hidden: boolean;
  title?: string;
  lines: string[];
}

interface Shape {
  placeholder?: string;
  lines: string[];
}

/** Reads a slide (or notes slide) part: visible text lines in order, its title, whether it is hidden. */
export function readSlideXml(xml: string, partName: string): SlideText {
  const result: SlideText = { hidden: false, lines: [] };
  const shapes: Shape[] = [];
  let fallbackDepth = 0;
  let paragraph: string | null = null;
  let row: string[] | null = null;
  let cell: string[] | null = null;
  let inText = false;
  const target = () => cell ?? (shapes.length > 0 ? shapes[shapes.length - 1].lines : result.lines);
  walkXml(
    xml,
    {
      open(name, attrs) {
        if (name === 'Fallback' || fallbackDepth > 0) {
          fallbackDepth++;
          return;
        }
        switch (name) {
          case 'sld':
            result.hidden = attrs.show === '0' || attrs.show === 'false';
            break;
          case 'sp':
            shapes.push({ lines: [] });
            break;
          case 'ph':
            if (shapes.length > 0) shapes[shapes.length - 1].placeholder = attrs.type ?? 'body';
            break;
          case 'p':
            paragraph = '';
            break;
          case 't':
            inText = paragraph !== null;
            break;
          case 'br':
            if (paragraph !== null) paragraph += '\n';
            break;
          case 'tab':
            if (paragraph !== null) paragraph += '\t';
            break;
          case 'tr':
            row = [];
            break;
          case 'tc':
            // Cells merged into their neighbour carry no text of their own.
            cell = attrs.hMerge === '1' || attrs.vMerge === '1' ? null : [];
            break;
        }
      },
      text(text) {
        if (inText && fallbackDepth === 0 && paragraph !== null) paragraph += text;
      },
      close(name) {
        if (fallbackDepth > 0) {
          fallbackDepth--;
          return;
        }
        switch (name) {
          case 't':
            inText = false;
            break;
          case 'p':
            if (paragraph !== null && paragraph.trim() !== '') target().push(paragraph.replace(/[ \u00a0]+/g, ' ').trim());
            paragraph = null;
            break;
          case 'tc':
            if (cell && row) row.push(cell.join(' ').replace(/\s+/g, ' ').trim());
            cell = null;
            break;
          case 'tr':
            if (row && row.some((c) => c !== '')) target().push(row.join('\t'));
            row = null;
            break;
          case 'sp': {
            const shape = shapes.pop();
            if (!shape || (shape.placeholder && SKIPPED_PLACEHOLDERS.has(shape.placeholder))) break;
            if (shape.placeholder && TITLE_PLACEHOLDERS.has(shape.placeholder) && result.title === undefined) {
              const title = shape.lines.join(' ').replace(/\s+/g, ' ').trim();
              if (title !== '') result.title = title;
            }
            target().push(...shape.lines);
            break;
          }
        }
      },
    },
    partName,
  );
  return result;
}

/** Parser for .pptx uploads. */
export const parsePptx: FormatParser = async (bytes, limits) => {
  await assertNoXmlDeclarations(bytes);
  return withZipParts(bytes, async (parts) => {
    if (!parts.has('ppt/presentation.xml')) throw new DocumentError('corrupt', 'The presentation has no ppt/presentation.xml part.');
    const slides = await slideOrder(parts);
    const out = new SectionCollector(limits.maxChars);
    for (let i = 0; i < slides.length; i++) {
      const page = i + 1;
      const slide = readSlideXml(await parts.readText(slides[i]), slides[i]);
      if (slide.hidden) continue;
      const heading = slide.title === undefined ? {} : { heading: sanitizeText(slide.title), headingPath: [sanitizeText(slide.title)] };
      out.add({ text: sanitizeText(slide.lines.join('\n')), page, ...heading });
      const notesPart = [...(await relationships(parts, slides[i])).values()].find((rel) => rel.type.endsWith(REL_NOTES) && parts.has(rel.target));
      if (!notesPart) continue;
      const notes = readSlideXml(await parts.readText(notesPart.target), notesPart.target);
      if (notes.lines.length > 0) out.add({ text: sanitizeText(`Notes:\n${notes.lines.join('\n')}`), page, ...heading });
    }
    return out.finish('pptx', { pageCount: slides.length });
  });
};
