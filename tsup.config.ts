// The build: the library as ES module and CommonJS with types for each, and the command as one bundle.
import { dirname } from 'node:path';
import { defineConfig } from 'tsup';

/**
 * zod's classic API re-exports its error messages in 40-odd languages (a third of the command's largest chunk, parsed
 * on every start); the command speaks English, so its bundle gets zod's English messages alone. The library build
 * leaves zod external, whole.
 */
const zodInEnglishOnly = {
  name: 'zod-in-english-only',
  setup(build: { onLoad: (options: { filter: RegExp }, load: (args: { path: string }) => { contents: string; resolveDir: string }) => void }) {
    build.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
    }));
  },
};

export default defineConfig([
  {
    // The library: dependencies stay external (the consumer's install provides them, once); `shims` gives the
    // CommonJS build an `import.meta.url`, which finds the migrations folder and the recorder's batch worker, an
    // entry of its own beside index (src/sqlite/batch-worker-client.ts looks for it there, in the same format).
    entry: { index: 'src/index.ts', 'batch-worker': 'src/sqlite/batch-worker.ts' },
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
    // external (a native addon), and so does pg (it requires its optional native binding by name), loaded only for a
    // postgres:// --db. The batch worker is an entry here too, beside the chunks: the demo records through the recorder.
    entry: { main: 'src/cli/main.ts', 'batch-worker': 'src/sqlite/batch-worker.ts' },
    format: ['esm'],
    splitting: true,
    sourcemap: true,
    target: 'node20',
    outDir: 'dist/cli',
    noExternal: [/^(?!(better-sqlite3|pg|pg-native)$).*/],
    external: ['better-sqlite3', 'pg', 'pg-native'],
    esbuildPlugins: [zodInEnglishOnly],
    clean: false,
    // Bundled CommonJS dependencies call require(); an ES module bundle has none unless it makes one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  },
]);
