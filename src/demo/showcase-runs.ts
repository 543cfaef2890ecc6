// Three hand-written runs of the demo's workflows, the newest executions the demo records, so that `list` and `show`
// open on names and payloads a workflow builder recognises: an order sync that succeeds, the same workflow failing on
// its CRM call (whose input holds a token, stored redacted), and a nightly digest that skips its email.
//
// They run on the engine's simulated clock, like the history before them, rather than in real time: the CLI's "now"
// may be fixed (EXECUTION_HISTORY_NOW, for output that reads the same every run), which the recorder's own clock would
// not follow, and the failed call's three retries take seconds, which the demo need not wait for.
import type { Recorder } from '../recorder/recorder.js';
import { type DemoWorld, digestTrigger, invoiceDigest, orderSync, orderWebhookTrigger } from './demo-workflows.js';
import { PARTNERS, type Partners, down, healthy } from './partner-apis.js';
import { RUNTIME_VERSION } from './demo-history.js';
import { random } from './simulated-history.js';
import { type RunOutcome, runWorkflow } from './workflow-engine.js';

/** Records the showcase runs, ending a little before `now`; resolves with their outcomes, in the order above. */
export async function recordShowcaseRuns(recorder: Recorder, { now, seed }: { now: number; seed: number }): Promise<RunOutcome[]> {
  // Partners that never fail, and a finance database with nothing overdue: each run does what it is here to show.
  const partners = Object.fromEntries(Object.entries(PARTNERS).map(([name, api]) => [name, healthy(api)])) as Partners;
  const calm: DemoWorld = { partners, overdueInvoices: 0 };
  const crmDown: DemoWorld = { ...calm, partners: { ...partners, crm: down(PARTNERS.crm) } };
  const next = random(seed);
  const metadata = { runtimeVersion: RUNTIME_VERSION, host: 'worker-1' };
  const ok = await runWorkflow(recorder, orderSync(calm), {
    triggerData: orderWebhookTrigger(next, { orderId: 1001, customerId: 'cus_17' }),
    metadata,
    startedAt: now - 120_000,
    random: next,
  });
  const failed = await runWorkflow(recorder, orderSync(crmDown), {
    triggerData: orderWebhookTrigger(next, { orderId: 1002, customerId: 'cus_42' }),
    metadata,
    startedAt: now - 60_000,
    random: next,
  });
  const digest = await runWorkflow(recorder, invoiceDigest(calm), {
    triggerData: digestTrigger(now - 30_000),
    metadata,
    startedAt: now - 30_000,
    random: next,
  });
  return [ok, failed, digest];
}
