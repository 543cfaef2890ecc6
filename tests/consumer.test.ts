import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { tempDir } from './factories.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc');

it('another workspace package imports the built package by name, type-checks and runs', () => {
  const consumer = tempDir();
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({
      name: 'scratch-consumer',
      private: true,
      type: 'module',
      dependencies: { '@opennoodl/execution-history': `file:${packageRoot}` },
    }),
  );
  // What npm or a workspace does for a path dependency: a link in node_modules.
  mkdirSync(join(consumer, 'node_modules', '@opennoodl'), { recursive: true });
  symlinkSync(packageRoot, join(consumer, 'node_modules', '@opennoodl', 'execution-history'), 'dir');
  mkdirSync(join(consumer, 'node_modules', '@types'), { recursive: true });
  symlinkSync(join(packageRoot, 'node_modules', '@types', 'node'), join(consumer, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      // skipLibCheck as Drizzle asks of its users: its .d.ts files name optional drivers that are not installed.
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, skipLibCheck: true, outDir: 'out' },
      include: ['main.ts'],
    }),
  );
  writeFileSync(
    join(consumer, 'main.ts'),
    `import { openExecutionStore, ExecutionStoreError, workflowExecutions, type ExecutionWithSteps } from '@opennoodl/execution-history';

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
console.log(JSON.stringify({ durationMs: found?.durationMs, steps: found?.steps.map((step) => step.status), code, table: typeof workflowExecutions }));
`,
  );

  execFileSync(process.execPath, [tsc, '-p', consumer], { cwd: consumer, stdio: 'pipe' });
  const output = execFileSync(process.execPath, [join(consumer, 'out', 'main.js')], { cwd: consumer, encoding: 'utf8' });
  expect(JSON.parse(output)).toEqual({ durationMs: 2, steps: ['skipped'], code: 'NOT_FOUND', table: 'object' });
});

it('a type error in the consumer is caught by the package types', () => {
  const consumer = tempDir();
  mkdirSync(join(consumer, 'node_modules', '@opennoodl'), { recursive: true });
  symlinkSync(packageRoot, join(consumer, 'node_modules', '@opennoodl', 'execution-history'), 'dir');
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'bad-consumer', type: 'module' }));
  writeFileSync(
    join(consumer, 'main.ts'),
    `import type { NewExecution } from '@opennoodl/execution-history';
export const input: NewExecution = { workflowId: 'wf', workflowName: 'x', triggerType: 'cron', status: 'running', startedAt: 1 };
`,
  );
  const check = () =>
    execFileSync(
      process.execPath,
      [tsc, '--noEmit', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--strict', '--skipLibCheck', 'main.ts'],
      { cwd: consumer, stdio: 'pipe', encoding: 'utf8' },
    );
  let output = '';
  try {
    check();
  } catch (error) {
    output = String((error as { stdout?: string }).stdout);
  }
  expect(output).toMatch(/main\.ts\(2,\d+\): error TS2322: Type '"cron"' is not assignable to type '"webhook" \| "schedule" \| "manual" \| "db_change" \| "internal_event"'/);
});
