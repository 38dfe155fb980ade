/**
 * OCR tools for `npm start`: Tesseract (with the data of every OCR_LANGUAGES language) and
 * poppler's pdftoppm, from the system's packages. When they are missing and this is a Debian-like
 * machine where we are root, they are installed with apt-get; otherwise a clear message says what
 * to install, and the product runs with OCR off (documents that need OCR then fail with
 * `ocr_unavailable` instead of being read).
 */
import type { Log } from './process.js';
import { findOnPath, runCommand, type RunCommand } from './python-tools.js';

export interface EnsureOcrToolsOptions {
  /** Tesseract languages, as in OCR_LANGUAGES (e.g. `eng+ita`). */
  languages: string;
  log: Log;
  run?: RunCommand;
  /** Whether this process may install system packages (root with apt-get on PATH). */
  canInstall?: boolean;
}

/** Debian's packages for OCR: poppler's tools and Tesseract with one data package per language. */
export function ocrPackages(languages: string): string[] {
  const data = languages.split('+').map((l) => `tesseract-ocr-${l.toLowerCase().replace(/_/g, '-')}`);
  return ['poppler-utils', 'tesseract-ocr', ...new Set(data)];
}

/** What is missing for OCR in `languages` (empty when everything is there). */
export async function missingOcr(languages: string, run: RunCommand): Promise<string[]> {
  const missing: string[] = [];
  if ((await run('pdftoppm', ['-v'])).code !== 0) missing.push('pdftoppm (poppler-utils)');
  const langs = await run('tesseract', ['--list-langs']);
  if (langs.code !== 0) return [...missing, 'tesseract (tesseract-ocr)'];
  const installed = new Set(langs.output.split('\n').map((l) => l.trim()));
  for (const lang of languages.split('+')) if (!installed.has(lang)) missing.push(`Tesseract language data "${lang}"`);
  return missing;
}

function canInstallPackages(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0 && findOnPath('apt-get') !== undefined;
}

/** Makes sure OCR can run; returns false (after saying why) when it cannot. */
export async function ensureOcrTools(options: EnsureOcrToolsOptions): Promise<boolean> {
  const run = options.run ?? runCommand;
  let missing = await missingOcr(options.languages, run);
  if (missing.length === 0) return true;
  const packages = ocrPackages(options.languages);
  if (options.canInstall ?? canInstallPackages()) {
    options.log(`installing OCR tools with apt-get (${packages.join(' ')})...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], env);
    // A fresh machine may have no package lists yet: update once, then try again.
    if ((await install()).code !== 0 && (await run('apt-get', ['update'], env)).code === 0) await install();
    missing = await missingOcr(options.languages, run);
    if (missing.length === 0) return true;
  }
  options.log(
    `OCR is off: missing ${missing.join(', ')}. Scanned PDF pages and PNG/JPEG/TIFF uploads will fail with ocr_unavailable. ` +
      `Install them (Debian/Ubuntu: apt-get install ${packages.join(' ')}) and restart.`,
  );
  return false;
}
