// The package as its first users meet it: a folder under `packages/` of an npm workspace, a second package that
// depends on it, and `npm install` at the root as the only step. No network: the workspace gets this package's
// installed dependencies as hard links, and npm runs offline, so anything it would have to fetch fails the test.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const PACKAGE_NAME = '@opennoodl/execution-history';
/** What a monorepo holds of this package: its sources, not its build. */
const SOURCES = ['package.json', '.npmrc', 'README.md', 'tsconfig.json', 'tsup.config.ts', 'drizzle.config.ts', 'src', 'drizzle'];

/**
 * The environment of a person at a shell: without the npm_* variables that `npm test` hands down to this process
 * (its own .npmrc's allow-scripts among them, which a nested project-scoped install refuses), and never online.
 */
const shellEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))),
  npm_config_offline: 'true',
  npm_config_update_notifier: 'false',
  ...extra,
});

const writeJson = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

/** The program both consumers run: a run recorded and read back, and the package's own error class caught. */
const consumerProgram = (importLine: string) => `${importLine}

async function main(): Promise<void> {
  const store = await openExecutionStore(':memory:');
  const id = await store.createExecution({
    workflowId: 'wf', workflowName: 'Consumer', triggerType: 'manual', status: 'success', startedAt: 1, completedAt: 3,
  });
  await store.addStep({ executionId: id, nodeId: 'n1', nodeType: 'log', stepIndex: 0, startedAt: 1, status: 'skipped' });
  const found: ExecutionWithSteps | null = await store.getExecutionWithSteps(id);
  let code = '';
  try {
    await store.updateExecution('nope', { status: 'error' });
  } catch (error) {
    if (error instanceof ExecutionStoreError) code = error.code;
  }
  store.close();
  console.log(JSON.stringify({ durationMs: found?.durationMs, steps: found?.steps.map((step) => step.status), code }));
}
void main();
`;
const IMPORTS = `import { openExecutionStore, ExecutionStoreError, type ExecutionWithSteps } from '${PACKAGE_NAME}';`;
const EXPECTED_OUTPUT = { durationMs: 2, steps: ['skipped'], code: 'NOT_FOUND' };

interface Workspace {
  root: string;
  install: { status: number | null; output: string };
}

/** Builds the workspace and runs the root install once; the tests below look at what it left. */
function buildWorkspace(): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'execution-history-workspace-'));
  writeJson(join(root, 'package.json'), {
    name: 'scratch-monorepo',
    private: true,
    workspaces: ['packages/*'],
    // What npm's coming default asks of the root: approval for the install scripts the tree needs. better-sqlite3
    // compiles its native addon; esbuild (this package's build tool) checks its binary.
    allowScripts: { 'better-sqlite3': true, esbuild: true },
  });
  const library = join(root, 'packages', 'execution-history');
  for (const entry of SOURCES) cpSync(join(packageRoot, entry), join(library, entry), { recursive: true });

  const consumer = (name: string, type: 'module' | 'commonjs', compilerOptions: Record<string, unknown>, main: string) => {
    const folder = join(root, 'packages', name);
    mkdirSync(folder, { recursive: true });
    writeJson(join(folder, 'package.json'), { name, private: true, type, dependencies: { [PACKAGE_NAME]: '*' } });
    // skipLibCheck: drizzle-orm's own declaration files do not type-check (see the test on that below).
    writeJson(join(folder, 'tsconfig.json'), {
      compilerOptions: { target: 'ES2022', strict: true, skipLibCheck: true, types: ['node'], outDir: 'out', ...compilerOptions },
      include: ['main.ts'],
    });
    writeFileSync(join(folder, 'main.ts'), main);
  };
  consumer('esm-consumer', 'module', { module: 'NodeNext', moduleResolution: 'NodeNext' }, consumerProgram(IMPORTS));
  consumer('cjs-consumer', 'commonjs', { module: 'NodeNext', moduleResolution: 'NodeNext' }, consumerProgram(IMPORTS));
  // What a bundled runtime's type-check sees (esbuild, webpack, Vite): bundler resolution, the `import` condition.
  consumer('bundled-consumer', 'module', { module: 'ESNext', moduleResolution: 'bundler', noEmit: true }, consumerProgram(IMPORTS));

  // The dependencies this package has installed, as hard links (seconds, and no download, no native compile).
  // npm's record of this package's own tree is left out: the workspace's tree is npm's to work out.
  execFileSync('cp', ['-al', join(packageRoot, 'node_modules'), join(root, 'node_modules')]);
  rmSync(join(root, 'node_modules', '.package-lock.json'), { force: true });

  const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--strict-allow-scripts'], {
    cwd: root,
    encoding: 'utf8',
    env: shellEnv(),
  });
  return { root, install: { status: install.status, output: `${install.stdout}${install.stderr}` } };
}

const tsc = (root: string, project: string) =>
  spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: root, encoding: 'utf8' });

// Each test runs tsc, npm or npx: on 2 cores with another test file running beside it (vitest.config.ts) the check
// without skipLibCheck took 20 s alone, 42 s in the full run and 62 s with the machine loaded further, past the
// default 60 s.
describe('a fresh npm workspace with this package under packages/', { timeout: 180_000 }, () => {
  let workspace: Workspace;
  beforeAll(() => {
    workspace = buildWorkspace();
  }, 300_000);
  afterAll(() => rmSync(workspace.root, { recursive: true, force: true }));

  it('installs with one `npm install` at the root, offline, with install scripts approved by the root', () => {
    expect(workspace.install.output).not.toMatch(/not yet covered by allowScripts|ERR!/);
    expect(workspace.install.status, workspace.install.output).toBe(0);
    const library = join(workspace.root, 'packages', 'execution-history');
    // The `prepare` script built the package during the install.
    for (const built of ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts', 'dist/cli/main.js']) {
      expect(existsSync(join(library, built)), built).toBe(true);
    }
    // The consumers reach the package through the workspace link.
    expect(JSON.parse(readFileSync(join(workspace.root, 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8')).name).toBe(PACKAGE_NAME);
  });

  it.each([
    ['an ES module consumer (NodeNext)', 'esm-consumer'],
    ['a CommonJS consumer (NodeNext)', 'cjs-consumer'],
  ])('%s type-checks strictly, compiles and runs', (_, name) => {
    const folder = join(workspace.root, 'packages', name);
    const check = tsc(workspace.root, folder);
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
    const emitted = readFileSync(join(folder, 'out', 'main.js'), 'utf8');
    // Each is what its kind of module compiles to: a require() call in the CommonJS consumer.
    expect(emitted.includes(`require("${PACKAGE_NAME}")`)).toBe(name === 'cjs-consumer');
    const output = execFileSync(process.execPath, [join(folder, 'out', 'main.js')], { cwd: folder, encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual(EXPECTED_OUTPUT);
  });

  it('a consumer type-checked with bundler resolution sees the same types', () => {
    const check = tsc(workspace.root, join(workspace.root, 'packages', 'bundled-consumer'));
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('a type error in a consumer is caught by the package types, in both module systems', () => {
    for (const name of ['esm-consumer', 'cjs-consumer']) {
      const folder = join(workspace.root, 'packages', name);
      writeFileSync(
        join(folder, 'wrong.ts'),
        `import type { NewExecution } from '${PACKAGE_NAME}';
export const input: NewExecution = { workflowId: 'wf', workflowName: 'x', triggerType: 'cron', status: 'running', startedAt: 1 };
`,
      );
      const check = spawnSync(
        process.execPath,
        [join(workspace.root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--skipLibCheck', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', 'wrong.ts'],
        { cwd: folder, encoding: 'utf8' },
      );
      expect(check.stdout).toMatch(
        /^wrong\.ts\(2,\d+\): error TS2322: Type '"cron"' is not assignable to type '"webhook" \| "schedule" \| "manual" \| "db_change" \| "internal_event"'/,
      );
      rmSync(join(folder, 'wrong.ts'));
    }
  });

  it('without skipLibCheck, every error is inside drizzle-orm: none in this package or in the consumer', () => {
    const folder = join(workspace.root, 'packages', 'esm-consumer');
    const check = spawnSync(
      process.execPath,
      [join(workspace.root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--types', 'node', 'main.ts'],
      { cwd: folder, encoding: 'utf8' },
    );
    const errorFiles = [...check.stdout.matchAll(/^(\S+?)\(\d+,\d+\): error/gm)].map(([, file]) => file as string);
    expect(errorFiles.length).toBeGreaterThan(0); // drizzle-orm's, as its issue #5187 reports
    expect(errorFiles.filter((file) => !file.includes('node_modules/drizzle-orm/'))).toEqual([]);
  });

  it('`npx execution-history` runs this package\'s command, from the root and from a consumer', () => {
    for (const cwd of [workspace.root, join(workspace.root, 'packages', 'esm-consumer')]) {
      const help = spawnSync('npx', ['execution-history', '--help'], {
        cwd,
        encoding: 'utf8',
        // Offline: were npx to look for a package of that name in the registry, this would fail.
        env: shellEnv(),
      });
      expect(help.stderr).toBe('');
      expect(help.stdout).toMatch(/^Usage: execution-history \[options\] \[command\]\n\nBrowse, debug and maintain workflow execution history\./);
      expect(help.status).toBe(0);
    }
  });

  it('both deploy routes create the file the store would: `execution-history migrate` and drizzle-kit through -w', () => {
    const created = (file: string) => {
      const sqlite = new Database(file, { readonly: true });
      try {
        return {
          mode: (statSync(file).mode & 0o777).toString(8),
          pageSize: sqlite.pragma('page_size', { simple: true }),
          autoVacuum: sqlite.pragma('auto_vacuum', { simple: true }),
          journal: sqlite.pragma('journal_mode', { simple: true }),
          migrations: (sqlite.prepare('SELECT count(*) n FROM __drizzle_migrations').get() as { n: number }).n,
        };
      } finally {
        sqlite.close();
      }
    };
    const env = shellEnv();
    const viaCommand = spawnSync('npx', ['execution-history', '--db', 'data/by-command.db', 'migrate'], { cwd: workspace.root, encoding: 'utf8', env });
    expect(viaCommand.status).toBe(0);
    // A relative path is the root's, where the command was typed, not the library folder npm runs the script in.
    const viaKit = spawnSync('npm', ['run', 'db:migrate', '-w', PACKAGE_NAME], {
      cwd: workspace.root,
      encoding: 'utf8',
      env: shellEnv({ EXECUTION_HISTORY_DB: 'data/by-drizzle-kit.db' }),
    });
    expect(viaKit.status, viaKit.stdout + viaKit.stderr).toBe(0);
    expect(existsSync(join(workspace.root, 'packages', 'execution-history', 'data'))).toBe(false);
    const migrations = readFileSync(join(packageRoot, 'drizzle', 'sqlite', 'meta', '_journal.json'), 'utf8').match(/"tag"/g)?.length;
    const expected = { mode: '600', pageSize: 8192, autoVacuum: 2, journal: 'wal', migrations };
    expect(created(join(workspace.root, 'data', 'by-command.db'))).toEqual(expected);
    expect(created(join(workspace.root, 'data', 'by-drizzle-kit.db'))).toEqual(expected);
    // And doctor finds nothing to say about either.
    for (const file of ['by-command.db', 'by-drizzle-kit.db']) {
      const doctor = spawnSync('npx', ['execution-history', '--db', `data/${file}`, 'doctor'], { cwd: workspace.root, encoding: 'utf8', env });
      expect(doctor.status, doctor.stdout).toBe(0);
      expect(doctor.stdout.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('✓'))).toEqual([]);
    }
  });
});

describe('the package as published', () => {
  let folder: string;
  let tarball: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'execution-history-pack-'));
    // The build is the global set-up's; packing without scripts takes the files as they are.
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', folder], { cwd: packageRoot, encoding: 'utf8' }),
    ) as { filename: string; files: { path: string }[] }[];
    tarball = join(folder, (packed as { filename: string }).filename);
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('publint finds nothing wrong with its package.json and exports', async () => {
    const { publint } = await import('publint');
    const { formatMessage } = await import('publint/utils');
    const packageJson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    // publint packs with npm itself, lifecycle scripts left out.
    const { messages } = await publint({ pkgDir: packageRoot, strict: true, pack: 'npm' });
    expect(messages.map((message) => formatMessage(message, packageJson))).toEqual([]);
  });

  it('are-the-types-wrong finds types for import and require under every resolution', () => {
    const attw = spawnSync(process.execPath, [join(packageRoot, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'), tarball, '--format', 'json'], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024, // the report holds every resolution's trace
    });
    const report = JSON.parse(attw.stdout) as { analysis: { problems: unknown[] } };
    expect(report.analysis.problems).toEqual([]);
    expect(attw.status).toBe(0);
  });
});
