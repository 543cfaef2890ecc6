import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CIRCULAR_MARKER, ExecutionStore, ExecutionStoreError, openExecutionStore } from '../src/index.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newStep, tempDir, track } from './factories.js';

/** Every text column of every row of the file, as the bytes stored, decoded as UTF-8 that must be valid. */
function storedTexts(path: string): string[] {
  const sqlite = new Database(path, { readonly: true });
  try {
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    const texts: string[] = [];
    for (const table of ['workflow_executions', 'execution_steps']) {
      const columns = (sqlite.pragma(`table_info(${table})`) as { name: string; type: string }[]).filter((column) => column.type === 'TEXT');
      const select = columns.map((column) => `CAST(${column.name} AS BLOB) AS ${column.name}`).join(', ');
      for (const row of sqlite.prepare(`SELECT ${select} FROM ${table}`).all() as Record<string, Buffer | null>[]) {
        for (const bytes of Object.values(row)) if (bytes !== null) texts.push(utf8.decode(bytes));
      }
    }
    return texts;
  } finally {
    sqlite.close();
  }
}

forEachBackend((backend) => {
  describe('payloads', () => {
    it('round-trips payloads under the limit exactly, keeping key order', async () => {
      const store = await backend.open();
      const triggerData = {
        headers: { 'content-type': 'application/json', 'x-request-id': 'abc' },
        body: { items: [1, 2.5, -3, null, true, 'ünïcødé ✓ 🚀'], nested: { deep: { deeper: [{}] } } },
        empty: {},
      };
      const id = await store.createExecution(newExecution({ triggerData, metadata: { z: 1, a: 2 } }));
      const execution = await store.getExecution(id);
      expect(execution?.triggerData).toEqual(triggerData);
      expect(Object.keys(execution?.metadata ?? {})).toEqual(['z', 'a']);
    });

    it('stores circular references, BigInt, functions, symbols and errors in a safe form instead of throwing', async () => {
      const store = await backend.open();
      const circular: Record<string, unknown> = { name: 'order' };
      circular.self = circular;
      circular.list = [circular, 1];
      const cause = new TypeError('bad header');
      const executionId = await store.createExecution(newExecution());
      const stepId = await store.addStep(
        newStep(executionId, {
          inputData: {
            circular,
            big: 12345678901234567890n,
            callback: () => 1,
            [Symbol('hidden')]: 'gone',
            tag: Symbol('tag'),
            error: cause,
            when: new Date(T0),
          },
        }),
      );

      const [step] = await store.getStepsForExecution(executionId);
      expect(step?.id).toBe(stepId);
      expect(step?.inputData).toEqual({
        circular: { name: 'order', self: CIRCULAR_MARKER, list: [CIRCULAR_MARKER, 1] },
        big: '12345678901234567890',
        error: { name: 'TypeError', message: 'bad header', stack: cause.stack },
        when: new Date(T0).toISOString(),
      });
    });

    it('keeps the fact of a payload whose getter throws', async () => {
      const store = await backend.open();
      const hostile = {
        get secret(): string {
          throw new Error('no access');
        },
      };
      const id = await store.createExecution(newExecution({ metadata: hostile }));
      expect((await store.getExecution(id))?.metadata).toEqual({ __unserializable: true, reason: 'no access' });
    });

    it('keeps the fact of a payload whose toJSON() throws, or that is a revoked Proxy, instead of failing the write', async () => {
      const store = await backend.open();
      const { proxy: revoked, revoke } = Proxy.revocable({ orderId: 42 }, {});
      revoke();
      const id = await store.createExecution(
        newExecution({
          triggerData: { toJSON: () => { throw new Error('lazy value not loaded'); } } as never,
          metadata: revoked,
        }),
      );
      const execution = await store.getExecution(id);
      expect({ triggerData: execution?.triggerData, metadata: execution?.metadata }).toEqual({
        triggerData: { __unserializable: true, reason: 'lazy value not loaded' },
        metadata: { __unserializable: true, reason: "Cannot perform 'get' on a proxy that has been revoked" },
      });
    });

    it('truncates a payload over maxPayloadBytes to a marker with its size and a preview of at most that many bytes', async () => {
      const maxPayloadBytes = 1000;
      const store = await backend.open({ maxPayloadBytes });
      const big = { rows: Array.from({ length: 200 }, (_, i) => ({ i, name: `row ${i}` })) };
      const json = JSON.stringify(big);
      const executionId = await store.createExecution(newExecution());
      await store.addStep(newStep(executionId, { outputData: big }));

      const [step] = await store.getStepsForExecution(executionId);
      expect(step?.outputData).toEqual({
        __truncated: true,
        originalBytes: Buffer.byteLength(json),
        preview: json.slice(0, maxPayloadBytes),
      });
    });

    it('cuts the preview at a character boundary and counts UTF-8 bytes, not characters', async () => {
      const store = await backend.open({ maxPayloadBytes: 20 });
      const payload = { text: '€€€€€€€€' }; // 8 × 3 bytes of text: over 20 bytes though only 19 characters of JSON
      const id = await store.createExecution(newExecution({ triggerData: payload }));
      const stored = (await store.getExecution(id))?.triggerData;
      // '{"text":"' is 9 bytes; three more euro signs make 18; a fourth would need 21.
      expect(stored).toEqual({ __truncated: true, originalBytes: 35, preview: '{"text":"€€€' });
    });

    it('stores a payload exactly at the limit unchanged', async () => {
      const payload = { text: 'x'.repeat(100) };
      const store = await backend.open({ maxPayloadBytes: JSON.stringify(payload).length });
      const id = await store.createExecution(newExecution({ triggerData: payload }));
      expect((await store.getExecution(id))?.triggerData).toEqual(payload);
    });

    it('uses 64 KiB as the default limit', async () => {
      const store = await backend.open();
      const fits = { data: 'a'.repeat(64 * 1024 - 20) };
      const overflows = { data: 'a'.repeat(64 * 1024) };
      const fitsId = await store.createExecution(newExecution({ triggerData: fits }));
      const overflowsId = await store.createExecution(newExecution({ triggerData: overflows }));
      expect((await store.getExecution(fitsId))?.triggerData).toEqual(fits);
      expect((await store.getExecution(overflowsId))?.triggerData).toMatchObject({
        __truncated: true,
        originalBytes: 64 * 1024 + 11,
      });
    });

    it('does not carry __proto__ or constructor.prototype keys into returned objects', async () => {
      const store = await backend.open();
      const hostile = JSON.parse(
        '{"__proto__": {"polluted": "yes"}, "ok": 1, "nested": {"constructor": {"prototype": {"polluted": "yes"}}, "__proto__": {"isAdmin": true}}}',
      ) as Record<string, unknown>;
      const id = await store.createExecution(newExecution({ triggerData: hostile }));

      const triggerData = (await store.getExecution(id))?.triggerData as Record<string, unknown>;
      expect(triggerData).toEqual({ ok: 1, nested: {} });
      expect(Object.getPrototypeOf(triggerData)).toBe(Object.prototype);
      expect(Object.hasOwn(triggerData, '__proto__')).toBe(false);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });

    it('cuts nesting deeper than the depth limit instead of overflowing the stack', async () => {
      const store = await backend.open();
      let deep: Record<string, unknown> = { leaf: true };
      for (let i = 0; i < 10_000; i++) deep = { next: deep };
      const id = await store.createExecution(newExecution({ triggerData: deep }));
      const stored = JSON.stringify((await store.getExecution(id))?.triggerData);
      expect(stored.startsWith('{"next":{"next":')).toBe(true);
      expect(stored).toContain('"[Object]"');
      expect(stored).not.toContain('leaf');
    });
  });

  describe('a payload whose toJSON() answers differently each time', () => {
    it('is stored as an object even when the second answer, the one written, is not one', async () => {
      const store = await backend.open();
      let calls = 0;
      const fickle = { toJSON: () => (++calls === 1 ? { first: true } : [1, 2]) };
      const id = await store.createExecution(newExecution({ triggerData: fickle as unknown as Record<string, unknown> }));
      expect(calls).toBe(2); // once by validation, once by the encoder
      expect((await store.getExecution(id))?.triggerData).toEqual({ __unserializable: true, reason: 'its JSON was not an object ([1,2]) when it was written' });
    });
  });
});

// SQLite only: these read the bytes of the database file, or damage a row through the caller's own better-sqlite3 handle.
describe('payloads', () => {
  it('round-trips strings with lone surrogates in payload keys and values exactly, storing only valid UTF-8', async () => {
    const path = join(tempDir(), 'history.db');
    const store = track(await openExecutionStore(path));
    const triggerData = { text: 'Sync \uD800 orders', ['key \uDC00']: ['\uDE80\uD83D', { deep: 'end \uD83D' }], pair: '🚀' };
    const metadata = { note: '\uDFFF' };
    const inputData = { chunk: 'half an emoji: \uD83D' };
    const outputData = { chunk: '\uDE80 and the other half' };
    const executionId = await store.createExecution(newExecution({ triggerData, metadata }));
    await store.addStep(newStep(executionId, { inputData, outputData }));

    const stored = await store.getExecutionWithSteps(executionId);
    expect({ triggerData: stored?.triggerData, metadata: stored?.metadata }).toEqual({ triggerData, metadata });
    expect({ inputData: stored?.steps[0]?.inputData, outputData: stored?.steps[0]?.outputData }).toEqual({ inputData, outputData });
    store.close();
    // JSON escapes a lone surrogate (\ud800), so the payload text is plain ASCII there; decoding fails on any bad byte.
    expect(storedTexts(path).filter((text) => text.startsWith('{'))).toEqual([
      '{"text":"Sync \\ud800 orders","key \\udc00":["\\ude80\\ud83d",{"deep":"end \\ud83d"}],"pair":"🚀"}',
      '{"note":"\\udfff"}',
      '{"chunk":"half an emoji: \\ud83d"}',
      '{"chunk":"\\ude80 and the other half"}',
    ]);
  });

  it('rejects a lone surrogate in a text column, so the file never holds text that is not UTF-8', async () => {
    const path = join(tempDir(), 'history.db');
    const store = track(await openExecutionStore(path));
    const executionId = await store.createExecution(newExecution({ workflowName: 'Sync 🚀 orders' }));
    const attempts = [
      store.createExecution(newExecution({ workflowName: 'Sync \uD800 orders' })),
      store.addStep(newStep(executionId, { nodeName: 'Fetch \uDC00' })),
      store.updateExecution(executionId, { status: 'error', errorMessage: 'bad byte \uD83D' }),
    ];
    const codes = await Promise.all(attempts.map((attempt) => attempt.then(() => 'written', (error: unknown) => (error as ExecutionStoreError).code)));
    expect(codes).toEqual(['VALIDATION', 'VALIDATION', 'VALIDATION']);
    store.close();
    expect(storedTexts(path).filter((text) => text.includes('Sync'))).toEqual(['Sync 🚀 orders']);
  });

  it('reads a row whose JSON was damaged by hand as a marker, and the other rows normally', async () => {
    const sqlite = new Database(':memory:');
    const store = track(new ExecutionStore(sqlite));
    const good = await store.createExecution(newExecution({ startedAt: T0 }));
    const bad = await store.createExecution(newExecution({ startedAt: T0 + 1 }));
    sqlite.prepare('UPDATE workflow_executions SET trigger_data = ? WHERE id = ?').run('{"body": {"orderId": 4', bad);

    const [newest, oldest] = await store.queryExecutions();
    expect(oldest).toEqual({ ...newExecution({ startedAt: T0 }), id: good, instanceId: store.instanceId });
    expect(newest?.id).toBe(bad);
    expect(newest?.triggerData).toMatchObject({ __unreadable: true, preview: '{"body": {"orderId": 4' });
  });
});
