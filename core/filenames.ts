/**
 * Display names for uploaded files. A filename is never used as a path (storage is
 * content-addressed); it is only shown, so it is made safe to show: NFC, no control or
 * bidirectional-override characters, bounded length.
 */
const MAX_NAME_LENGTH = 200;

// C0/C1 controls, zero-width characters, bidi embeddings/overrides/isolates, BOM.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** Cleans a client-supplied filename for storage in the catalog and display. */
export function sanitizeFilename(raw: string): string {
  let name = raw.normalize('NFC').replace(UNSAFE, '');
  // Keep only the last path segment: clients sometimes send full paths.
  name = name.split(/[\\/]/).pop() ?? '';
  name = name.trim();
  if (name.length > MAX_NAME_LENGTH) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
    name = name.slice(0, MAX_NAME_LENGTH - ext.length) + ext;
  }
  return name === '' || name === '.' || name === '..' ? 'unnamed' : name;
}
