// The layout's promises, checked on the source: the core that every backend shares imports no database driver,
// no Drizzle and nothing of a backend; the demo's data generator is not part of the library's public entry.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src', import.meta.url));
const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    ([, from, dynamic]) => (from ?? dynamic) as string,
  );

it('src/core imports only its own files and libraries that know no database', () => {
  const core = join(src, 'core');
  const found = readdirSync(core)
    .filter((name) => name.endsWith('.ts'))
    .flatMap((name) => importsOf(join(core, name)).map((specifier) => `${name} -> ${specifier}`))
    .filter((edge) => {
      const specifier = edge.split(' -> ')[1] as string;
      if (specifier.startsWith('./')) return false;
      return specifier.startsWith('.') || /^(drizzle-orm|drizzle-zod|better-sqlite3|pg|postgres)(\/|$)/.test(specifier);
    });
  expect(found).toEqual([]);
});

it('the public entry does not export the demo data generator', () => {
  const entry = importsOf(join(src, 'index.ts'));
  expect(entry.filter((specifier) => specifier.includes('demo'))).toEqual([]);
  expect(entry.length).toBeGreaterThan(5);
});

it('the backend interface is written in the core\'s terms, not a backend\'s', () => {
  const outside = importsOf(join(src, 'backend.ts')).filter((specifier) => !specifier.startsWith('./core/') && specifier !== 'zod');
  expect(outside).toEqual([]);
});

it('the recorder writes through the store\'s facade: it imports the core and store.ts, no backend and no driver', () => {
  const recorder = join(src, 'recorder');
  const outside = readdirSync(recorder)
    .filter((name) => name.endsWith('.ts'))
    .flatMap((name) => importsOf(join(recorder, name)).map((specifier) => `${name} -> ${specifier}`))
    .filter((edge) => {
      const specifier = edge.split(' -> ')[1] as string;
      return !specifier.startsWith('./') && !specifier.startsWith('../core/') && specifier !== '../store.js' && !specifier.startsWith('node:') && specifier !== 'zod';
    });
  expect(outside).toEqual([]);
});
