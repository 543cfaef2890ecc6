import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    // Type-level tests (*.test-d.ts) are checked by tsc as part of the run, so a wrong shape fails it.
    typecheck: { enabled: true, include: ['tests/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    // Several tests spawn processes or build the package; a shared 2-core machine needs headroom.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
