/**
 * Makes the embedded LanceDB store unreachable for every process that uses it, underneath the
 * real adapter: each table's `_versions` directory (where Lance finds and commits manifests)
 * is moved aside and a plain file takes its place, so every read and every commit fails inside
 * LanceDB with an I/O error until `end()` puts the directory back. Nothing in the product is
 * bypassed or told about it; the workers meet the failure where a broken disk or a lost mount
 * would put it. Harness tooling only.
 */
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A switchable outage of the tables under one LanceDB directory. */
export interface LanceOutage {
  /** Takes every existing table down; returns how many. */
  begin(): number;
  /** Brings them back, exactly as they were. */
  end(): void;
}

const VERSIONS = '_versions';
const ASIDE = '_versions.outage';

/** An outage switch for the LanceDB directory `dir` (the store's `vectors` directory). */
export function lanceOutage(dir: string): LanceOutage {
  let down: string[] = [];
  return {
    begin() {
      if (down.length > 0) throw new Error('the LanceDB outage has already begun');
      const tables = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.lance')) : [];
      for (const table of tables) {
        const versions = path.join(dir, table, VERSIONS);
        if (!existsSync(versions)) continue;
        renameSync(versions, path.join(dir, table, ASIDE));
        // A file, not just a missing directory: Lance would recreate a missing one on commit.
        writeFileSync(versions, 'the harness has taken this table down\n');
        down.push(table);
      }
      return down.length;
    },
    end() {
      for (const table of down) {
        const versions = path.join(dir, table, VERSIONS);
        rmSync(versions, { force: true });
        renameSync(path.join(dir, table, ASIDE), versions);
      }
      down = [];
    },
  };
}
