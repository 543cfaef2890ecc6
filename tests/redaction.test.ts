import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REDACT_KEYS, openExecutionStore, REDACTED } from '../src/index.js';
import { Redactor } from '../src/core/redaction.js';
import { forEachBackend } from './backends.js';
import { T0, newExecution, newRunStep, newStep, tempDir, track } from './factories.js';

const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

forEachBackend((backend) => {
  describe('redaction of payloads by key', () => {
    it('stores values under secret keys as [REDACTED] at any depth, whatever the case or separators', async () => {
      const store = await backend.open();
      const triggerData = {
        headers: { Authorization: 'Basic dXNlcjpwYXNz', 'X-API-Key': 'k-123', 'content-type': 'application/json', Cookie: 'sid=1' },
        body: { user: { email: 'ada@example.test', password: 'hunter2', auth: { username: 'ada', pass: 'x' } } },
        items: [{ client_secret: 's1', id: 1 }, { refreshToken: { value: 'r1', expires: 3600 }, id: 2 }],
        author: 'Ada', // contains "auth" but is not the key "auth"
        usage: { prompt_tokens: 12 }, // "token" matches counters too: the list errs on the side of hiding
      };
      const id = await store.createExecution(newExecution({ triggerData, metadata: { apiKey: 'm-1', region: 'eu' } }));

      expect(await store.getExecution(id)).toEqual({
        ...newExecution(),
        id,
        instanceId: store.instanceId,
        triggerData: {
          headers: { Authorization: REDACTED, 'X-API-Key': REDACTED, 'content-type': 'application/json', Cookie: REDACTED },
          body: { user: { email: 'ada@example.test', password: REDACTED, auth: REDACTED } },
          items: [{ client_secret: REDACTED, id: 1 }, { refreshToken: REDACTED, id: 2 }],
          author: 'Ada',
          usage: { prompt_tokens: REDACTED },
        },
        metadata: { apiKey: REDACTED, region: 'eu' },
      });
    });

    it('redacts step input and output, on insert and on update', async () => {
      const store = await backend.open();
      const executionId = await store.createExecution(newExecution());
      const stepId = await store.addStep(newStep(executionId, { inputData: { url: 'https://api.test', accessToken: 'a-1' } }));
      await store.updateStep(stepId, { status: 'success', completedAt: T0 + 5, outputData: { session: { privateKey: 'pk', ok: true } } });
      const { stepIds } = await store.recordExecution(newExecution(), [{ ...newRunStep(), outputData: { webhookSecret: 'w' } }]);

      expect((await store.getStepsForExecution(executionId))[0]).toMatchObject({
        inputData: { url: 'https://api.test', accessToken: REDACTED },
        outputData: { session: { privateKey: REDACTED, ok: true } },
      });
      expect((await store.getExecutionWithSteps((await store.queryExecutions())[0]!.id))?.steps.map((step) => [step.id, step.outputData]))
        .toEqual([[stepIds[0], { webhookSecret: REDACTED }]]);
    });

    it('takes a list of its own instead of the default, and [] stores payloads as given', async () => {
      const custom = await backend.open({ redactKeys: ['ssn', /^x-internal-/] });
      const id = await custom.createExecution(newExecution({ triggerData: { SSN: '078-05-1120', 'x-internal-route': 'b', password: 'p' } }));
      expect((await custom.getExecution(id))?.triggerData).toEqual({ SSN: REDACTED, 'x-internal-route': REDACTED, password: 'p' });

      const extended = await backend.open({ redactKeys: [...DEFAULT_REDACT_KEYS, 'ssn'] });
      const both = await extended.createExecution(newExecution({ triggerData: { ssn: '1', password: 'p' } }));
      expect((await extended.getExecution(both))?.triggerData).toEqual({ ssn: REDACTED, password: REDACTED });

      const none = await backend.open({ redactKeys: [] });
      const plain = await none.createExecution(newExecution({ triggerData: { password: 'p' } }));
      expect((await none.getExecution(plain))?.triggerData).toEqual({ password: 'p' });
    });

    it('rejects a redactKeys option that is not a list of strings and RegExps', async () => {
      await expect(openExecutionStore(await backend.target(), { redactKeys: ['token', 42] as never })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'ExecutionStore: invalid input: redactKeys[1]: expected a non-empty string or a RegExp (got 42)',
      });
      await expect(openExecutionStore(await backend.target(), { redactKeys: 'token' as never })).rejects.toMatchObject({
        code: 'VALIDATION',
        message: 'ExecutionStore: invalid input: redactKeys: expected an array of strings and RegExps (got "token")',
      });
    });
  });

  describe('redaction of free text', () => {
    it('redacts error messages and stacks of executions and steps, on insert and on update', async () => {
      const store = await backend.open();
      const id = await store.createExecution(newExecution({ status: 'error', completedAt: T0 + 1, errorMessage: `401 with Bearer ${jwt}` }));
      await store.updateExecution(id, { errorStack: 'Error: fetch https://x.test/?token=t0k3n failed\n    at call (run.js:1:1)' });
      const stepId = await store.addStep(newStep(id, { status: 'error', errorMessage: 'refused Bearer abc' }));

      expect(await store.getExecution(id)).toMatchObject({
        errorMessage: '401 with Bearer [REDACTED]',
        errorStack: 'Error: fetch https://x.test/?token=[REDACTED] failed\n    at call (run.js:1:1)',
      });
      expect((await store.getStepsForExecution(id)).map((step) => [step.id, step.errorMessage])).toEqual([[stepId, 'refused Bearer [REDACTED]']]);
    });
  });
});

// The redactor itself, without a store: once, not per backend.
describe('redaction of free text', () => {
  const redactor = new Redactor(DEFAULT_REDACT_KEYS);

  it.each([
    ['a bearer token', 'GET /orders failed: 401 (Authorization: Bearer abc.DEF-123_x/y+z==)', 'GET /orders failed: 401 (Authorization: Bearer [REDACTED])'],
    ['a lower-case bearer token', 'sent bearer sk-live-123', 'sent bearer [REDACTED]'],
    ['a JWT anywhere', `token rejected: ${jwt} expired`, 'token rejected: [REDACTED] expired'],
    ['a secret query parameter', 'GET https://api.test/v1/items?api_key=abc123&page=2 timed out', 'GET https://api.test/v1/items?api_key=[REDACTED]&page=2 timed out'],
    ['a secret in quoted JSON', 'HTTP 400: {"user":"ada","password":"hun\\"ter2","ok":false}', 'HTTP 400: {"user":"ada","password":"[REDACTED]","ok":false}'],
    ['nothing secret', 'Cannot read properties of undefined (reading "id") at step 3', 'Cannot read properties of undefined (reading "id") at step 3'],
  ])('redacts %s', (_what, text, expected) => {
    expect(redactor.text(text)).toBe(expected);
  });
});

// SQLite only: the bytes of the database file and its WAL.
describe('secrets on disk', () => {
  it('leaves no canary value under a redacted key in the database or WAL file bytes', async () => {
    const file = join(tempDir(), 'canary.db');
    const store = track(await openExecutionStore(file));
    const canary = (n: number) => `CANARY-SECRET-${n}-7f3a9c`;
    const visible = 'CANARY-VISIBLE-7f3a9c'; // under an ordinary key: proves the byte search finds what is there

    const executionId = await store.createExecution(newExecution({
      triggerData: { headers: { authorization: `Bearer ${canary(1)}` }, note: visible },
      metadata: { credentials: { apiKey: canary(2) } },
    }));
    const stepId = await store.addStep(newStep(executionId, { inputData: { password: canary(3) } }));
    await store.updateStep(stepId, { status: 'error', completedAt: T0 + 3, outputData: { token: canary(4) }, errorMessage: `Bearer ${canary(5)}` });
    await store.addSteps([newStep(executionId, { stepIndex: 1, inputData: { nested: [{ client_secret: canary(6) }] } })]);
    await store.recordExecution(newExecution({ errorStack: `at fetch(https://a.test/?access_token=${canary(7)})` }), [
      { ...newRunStep(), outputData: { cookie: canary(8) } },
    ]);
    await store.updateExecution(executionId, { status: 'error', completedAt: T0 + 9, errorMessage: `{"secret":"${canary(9)}"}` });

    const bytes = () => ['', '-wal'].map((suffix) => readFileSync(file + suffix).toString('latin1')).join('');
    const beforeClose = bytes();
    expect(beforeClose).toContain(visible);
    for (let n = 1; n <= 9; n++) expect(beforeClose, canary(n)).not.toContain(canary(n));

    store.close(); // checkpoints the WAL into the database file
    const afterClose = readFileSync(file).toString('latin1');
    expect(afterClose).toContain(visible);
    for (let n = 1; n <= 9; n++) expect(afterClose, canary(n)).not.toContain(canary(n));
  });
});

