import { describe, expect, it } from 'vitest';
import type { ExecutionPageQuery, ExecutionStore, WorkflowExecution } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution } from './factories.js';

async function allPages(store: ExecutionStore, query: ExecutionPageQuery, between?: () => Promise<void>) {
  const pages: WorkflowExecution[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.queryExecutionsPage({ ...query, cursor });
    pages.push(page.items);
    cursor = page.nextCursor ?? undefined;
    await between?.();
  } while (cursor !== undefined);
  return pages;
}

/** 23 executions over two workflows; several share a start time, some are running (no duration). */
async function seed(store: ExecutionStore) {
  for (let i = 0; i < 23; i++) {
    const running = i % 7 === 3;
    await store.createExecution(
      newExecution({
        workflowId: i % 3 === 0 ? 'wf-a' : 'wf-b',
        status: running ? 'running' : i % 4 === 0 ? 'error' : 'success',
        startedAt: T0 + Math.floor(i / 2) * 1000, // pairs share a start time
        completedAt: running ? undefined : T0 + Math.floor(i / 2) * 1000 + ((i * 37) % 11) * 10, // durations repeat
      }),
    );
  }
}

forEachBackend((backend) => {
  describe('queryExecutionsPage', () => {
    it.each([
      ['newest first', {}],
      ['oldest first', { orderDir: 'asc' }],
      ['slowest first, running last', { orderBy: 'duration_ms' }],
      ['fastest first, running first', { orderBy: 'duration_ms', orderDir: 'asc' }],
      ['one workflow', { workflowId: 'wf-b' }],
      ['a status and time range', { status: 'success', startedAfter: T0 + 2000, startedBefore: T0 + 9000 }],
    ] as [string, ExecutionPageQuery][])('walks %s page by page in exactly the order of one big query', async (_name, query) => {
      const store = await backend.open();
      await seed(store);
      const expected = await store.queryExecutions({ ...query, limit: 1000 });
      const pages = await allPages(store, { ...query, limit: 4 });

      expect(pages.flat()).toEqual(expected);
      expect(pages.map((page) => page.length)).toEqual(
        Array.from({ length: Math.ceil(expected.length / 4) }, (_, i) => Math.min(4, expected.length - 4 * i)),
      );
    });

    it('returns one empty page with no cursor when nothing matches, and no cursor after an exactly full last page', async () => {
      const store = await backend.open();
      expect(await store.queryExecutionsPage({ workflowId: 'none' })).toEqual({ items: [], nextCursor: null });
      for (let i = 0; i < 4; i++) await store.createExecution(newExecution({ startedAt: T0 + i }));
      const first = await store.queryExecutionsPage({ limit: 2 });
      const second = await store.queryExecutionsPage({ limit: 2, cursor: first.nextCursor ?? undefined });
      expect(second.items).toHaveLength(2);
      expect(second.nextCursor).toBeNull();
    });

    it('has no gaps or repeats while new executions are being recorded between pages', async () => {
      const store = await backend.open();
      await seed(store);
      const before = await store.queryExecutions({ limit: 1000 });
      let inserted = 0;
      const pages = await allPages(store, { limit: 5 }, async () => {
        // A busy runtime keeps recording: newer runs, and one that started at the very same time as existing ones.
        await store.createExecution(newExecution({ startedAt: T0 + 60_000 + inserted }));
        await store.createExecution(newExecution({ startedAt: T0 + 5000 }));
        inserted += 2;
      });
      const seen = pages.flat().map((execution) => execution.id);

      expect(new Set(seen).size).toBe(seen.length);
      const existing = new Set(before.map((execution) => execution.id));
      expect(seen.filter((id) => existing.has(id))).toEqual(before.map((execution) => execution.id));
      expect(inserted).toBeGreaterThan(0);
    });

    it('rejects a cursor that is not one of its own, a cursor for another sort, and a cursor with an offset', async () => {
      const store = await backend.open();
      await seed(store);
      const { nextCursor } = await store.queryExecutionsPage({ limit: 2 });
      const cursor = nextCursor ?? '';

      await expect(store.queryExecutionsPage({ cursor: 'bm90IGEgY3Vyc29y' })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'queryExecutionsPage: invalid input: cursor: not a cursor this store issued; expected the nextCursor of a previous page',
      });
      await expect(store.queryExecutionsPage({ cursor, orderBy: 'duration_ms' })).rejects.toMatchObject({
        code: 'VALIDATION',
        message:
          'queryExecutionsPage: invalid input: cursor: it continues a page sorted by started_at desc, but this query sorts by duration_ms desc; expected the same orderBy and orderDir as the first page',
      });
      await expect(store.queryExecutionsPage({ cursor, offset: 2 })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'queryExecutionsPage: invalid input: offset: expected either cursor or offset, not both',
      });
    });
  });
});
