// Where the PostgreSQL server programs (initdb, pg_ctl) are. Debian installs them off PATH, under
// /usr/lib/postgresql/<major>/bin, so PATH alone would miss them.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A folder to look in instead of the usual places: set it to a folder without initdb to test the skip. */
export const POSTGRES_BIN_ENV = 'EXECUTION_HISTORY_TEST_POSTGRES_BIN';

export type PostgresBinaries = { found: true; binDir: string } | { found: false; searched: string };

export function findPostgresBinaries(): PostgresBinaries {
  const override = process.env[POSTGRES_BIN_ENV];
  if (override !== undefined && override !== '') {
    return hasServerPrograms(override) ? { found: true, binDir: override } : { found: false, searched: `${POSTGRES_BIN_ENV}=${override}` };
  }
  const candidates = [pgConfigBinDir(), ...debianBinDirs(), ...pathDirs()].filter((dir) => dir !== undefined);
  const binDir = candidates.find(hasServerPrograms);
  if (binDir !== undefined) return { found: true, binDir };
  return { found: false, searched: 'pg_config --bindir, /usr/lib/postgresql/*/bin and PATH' };
}

function hasServerPrograms(dir: string): boolean {
  return existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
}

function pgConfigBinDir(): string | undefined {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined; // no pg_config: the client-only or no PostgreSQL at all
  }
}

/** Newest major version first, so a machine with several picks the one a fresh install would. */
function debianBinDirs(): string[] {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((version) => /^\d+$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => join(root, version, 'bin'));
}

function pathDirs(): string[] {
  return (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
}
