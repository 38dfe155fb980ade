/**
 * A streaming walk over one XML part for the package parsers (PPTX, ODT, EPUB package files),
 * by local names: `a:t` and `text:p` arrive as `t` and `p`, whatever prefix a writer chose.
 * htmlparser2 in XML mode tokenizes in linear time and decodes only the predefined and numeric
 * entities; DTDs are never read (packages that declare one are refused earlier by xml-guard).
 * Elements nested deeper than MAX_XML_DEPTH are refused, so no walker state grows with a
 * hostile nesting.
 */
import { Parser } from 'htmlparser2';
import { DocumentError } from '../../core/formats.js';

/** Deeper element nesting than this is refused; real slides and documents stay under ~40. */
export const MAX_XML_DEPTH = 1_000;

/** Callbacks of walkXml; `attrs` keep their qualified names (`text:outline-level`). */
export interface XmlHandlers {
  open?(name: string, attrs: Record<string, string>): void;
  text?(text: string): void;
  close?(name: string): void;
}

/** The part of a qualified name after its prefix. */
export function localName(qualified: string): string {
  const colon = qualified.indexOf(':');
  return colon === -1 ? qualified : qualified.slice(colon + 1);
}

/** Walks `xml`, calling the handlers with local element names. */
export function walkXml(xml: string, handlers: XmlHandlers, partName = 'an XML part'): void {
  let depth = 0;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (++depth > MAX_XML_DEPTH) {
          throw new DocumentError('limit_exceeded', `${partName} nests its elements more than ${MAX_XML_DEPTH.toLocaleString('en-US')} levels deep.`);
        }
        handlers.open?.(localName(name), attrs);
      },
      ontext(text) {
        handlers.text?.(text);
      },
      onclosetag(name) {
        depth--;
        handlers.close?.(localName(name));
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.end(xml);
}

/**
 * Resolves a relationship or manifest target against the folder of the part that names it;
 * null for targets outside the package (external URLs, paths climbing above its root).
 */
export function resolvePartPath(baseDir: string, target: string): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return null;
  let path = target.split('#')[0];
  try {
    path = decodeURIComponent(path);
  } catch {
    return null;
  }
  const segments = path.startsWith('/') ? [] : baseDir.split('/').filter((s) => s !== '');
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return null;
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return segments.length > 0 ? segments.join('/') : null;
}

/** The folder part of a part name (`ppt/slides/slide1.xml` -> `ppt/slides`). */
export function partDir(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash === -1 ? '' : name.slice(0, slash);
}
