/**
 * Keeps the direction of imports true: core depends on nothing of ours; workflows only on core,
 * their own definitions, the search-attribute keys and activity *types*; activities never on
 * the API or workers; the API only on core, workflow definitions (and the batch workflow it starts) and the
 * data layer (adapters/); adapters/ only on core.
 * Composition roots (runtime/, worker/, scripts/, test/) may import anything.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(ROOT, dir))) {
    const rel = path.join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if ((name.endsWith('.ts') || name.endsWith('.svelte')) && !name.endsWith('.test.ts') && !name.endsWith('.bench.ts')) out.push(rel);
  }
  return out;
}

interface Import {
  target: string;
  typeOnly: boolean;
}

/** Relative imports of a file, resolved to repository paths. */
function importsOf(file: string): Import[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const found: Import[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm;
  for (const m of text.matchAll(pattern)) {
    const spec = m[3];
    const target = spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : spec;
    found.push({ target, typeOnly: Boolean(m[2]) });
  }
  return found;
}

const isLocal = (target: string) =>
  !target.startsWith('@') &&
  target.includes('/') &&
  !target.startsWith('node:') &&
  /^(core|workflows|activities|adapters|api|worker|runtime|scripts|temporal|test|ui)\//.test(target);

const RULES: Record<string, (imp: Import) => boolean> = {
  core: (imp) => !isLocal(imp.target) || imp.target.startsWith('core/'),
  workflows: (imp) =>
    !isLocal(imp.target) ||
    imp.target.startsWith('core/') ||
    imp.target.startsWith('workflows/') ||
    imp.target.startsWith('temporal/search-attribute') ||
    (imp.typeOnly && imp.target.startsWith('activities/')),
  activities: (imp) =>
    !isLocal(imp.target) ||
    imp.target.startsWith('core/') ||
    imp.target.startsWith('activities/') ||
    imp.target.startsWith('adapters/') ||
    imp.target.startsWith('temporal/search-attribute') ||
    (imp.typeOnly && imp.target.startsWith('workflows/definitions')),
  api: (imp) =>
    !isLocal(imp.target) ||
    imp.target.startsWith('core/') ||
    imp.target.startsWith('api/') ||
    imp.target.startsWith('workflows/definitions') ||
    // The workflows the gateway starts, by function reference rather than by a name string.
    imp.target === 'workflows/batch.js' ||
    imp.target === 'workflows/model-switch.js' ||
    imp.target.startsWith('temporal/search-attribute') ||
    imp.target.startsWith('adapters/'),
  // The data layer: stores, embedder and their interfaces. It knows nothing of the steps,
  // the API or the workflows that use it.
  adapters: (imp) => !isLocal(imp.target) || imp.target.startsWith('core/') || imp.target.startsWith('adapters/') || imp.target.startsWith('temporal/search-attribute'),
  // The web app knows the API only through the shared contract in core/.
  ui: (imp) => !isLocal(imp.target) || imp.target.startsWith('core/') || imp.target.startsWith('ui/'),
};

describe('import direction', () => {
  for (const [layer, allowed] of Object.entries(RULES)) {
    it(`${layer}/ imports only what it may`, () => {
      const violations = sourceFiles(layer).flatMap((file) =>
        importsOf(file)
          .filter((imp) => !allowed(imp))
          .map((imp) => `${file} → ${imp.target}${imp.typeOnly ? ' (type)' : ''}`),
      );
      expect(violations).toEqual([]);
    });
  }

  it('core/ and workflows/ use no Node built-ins', () => {
    const offenders = [...sourceFiles('core'), ...sourceFiles('workflows')].filter((file) =>
      importsOf(file).some((imp) => imp.target.startsWith('node:') || ['fs', 'path', 'crypto', 'child_process'].includes(imp.target)),
    );
    expect(offenders).toEqual([]);
  });

  it('ui/ reaches the API only through its client modules', () => {
    // Everything else calls these, whose requests are typed and answers parsed by core/ contracts.
    const clients = ['ui/src/lib/api.ts', 'ui/src/lib/upload.ts', 'ui/src/lib/batch-stream.svelte.ts'];
    const offenders = sourceFiles('ui/src')
      .filter((file) => !clients.includes(file))
      .filter((file) => /\bfetch\(|XMLHttpRequest|EventSource\(/.test(readFileSync(path.join(ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
    expect(importsOf('ui/src/lib/api.ts').some((imp) => imp.target === 'core/contracts.js' && !imp.typeOnly)).toBe(true);
  });

  it('the rules see real imports (the checker itself works)', () => {
    expect(importsOf('api/app.ts').some((imp) => imp.target === 'api/auth.js')).toBe(true);
    expect(RULES.core({ target: 'api/app.js', typeOnly: false })).toBe(false);
  });
});
