// The build: the library as ES module and CommonJS with types for each, and the command as one bundle.
import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: dependencies stay external (the consumer's install provides them, once); `shims` gives the
    // CommonJS build an `import.meta.url`, which finds the migrations folder.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
    outDir: 'dist',
    clean: false,
  },
  {
    // The command: its pure-JavaScript dependencies bundled in, each subcommand in a chunk of its own that loads
    // when it runs, so that `--help` or `list` does not resolve and parse hundreds of modules. better-sqlite3 stays
    // external: it is a native addon.
    entry: { main: 'src/cli/main.ts' },
    format: ['esm'],
    splitting: true,
    sourcemap: true,
    target: 'node20',
    outDir: 'dist/cli',
    noExternal: [/^(?!better-sqlite3$).*/],
    external: ['better-sqlite3'],
    clean: false,
    // Bundled CommonJS dependencies call require(); an ES module bundle has none unless it makes one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  },
]);
