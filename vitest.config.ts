import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // Type-level tests (*.test-d.ts) are checked by tsc as part of the run, so a wrong shape fails it.
    typecheck: { enabled: true, include: ['tests/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // One test file per core. Vitest's default (cores - 1) is a single worker on a 2-core machine, where files then
    // run one at a time and much of their time goes to waiting (child processes, the PostgreSQL server, timers).
    // Measured on 2 cores: one worker ~765 s, two workers 528 s with both cores ~95% busy.
    maxWorkers: availableParallelism(),
    // Several tests spawn processes or build the package; a shared 2-core machine needs headroom.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
