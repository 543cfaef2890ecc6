// The demo's workflows: the kind a workflow builder makes in their first weeks (orders to the CRM, invoices by email,
// a lead import, a nightly digest, refunds, stock levels, parcel notices, sign-ups), each a few nodes that call the
// partner APIs of ./partner-apis.ts. They fail the way real ones do: a partner's 502 after the retries, a timeout, a
// validation error naming the field, a 4xx that says what was wrong with the data.
import type { JsonObject } from '../core/types.js';
import { apiId, between, isEmail, money, order, person, pick, responseTime, sku } from './fake-data.js';
import { type Partners, call } from './partner-apis.js';
import { NodeError, type NodeContext, type WorkflowDefinition } from './workflow-engine.js';

type Random = () => number;

export interface DemoWorkflow {
  definition: WorkflowDefinition;
  /** How often it runs, against the other event-driven workflows' weights; 0 for one that runs on a schedule. */
  weight: number;
  /** The UTC hour it runs at every night, for a scheduled workflow. */
  nightlyAtUtcHour?: number;
  /** What its trigger hands it, for a run starting at `startedAt`. */
  trigger(random: Random, startedAt: number): JsonObject;
}

/** The simulated world the workflows run in: the partners' behaviour, and what the finance database holds. */
export interface DemoWorld {
  partners: Partners;
  /** How many overdue invoices the nightly digest finds; drawn per run when not given. */
  overdueInvoices?: number;
}

// Nodes read the outputs of the nodes before them, which this module made: the casts only name their shapes.
const get = <T>(value: JsonObject | undefined, key: string): T => (value as Record<string, unknown>)[key] as T;
/** Work done in the runtime itself (a function, a mapping): a few ms. */
const compute = (context: NodeContext, median = 3) => context.wait(responseTime(context.random, median));
/** A query on the runtime's own database. */
const query = (context: NodeContext, median = 12) => context.wait(responseTime(context.random, median));
const iso = (ms: number) => new Date(ms).toISOString();

const ORDER_WEBHOOK_TOKEN = 'Bearer sk_live_51Hx9demo'; // stored redacted: the demo shows what the database holds

export function orderSync({ partners }: DemoWorld): WorkflowDefinition {
  return {
    id: 'wf-order-sync',
    name: 'Sync new orders to CRM',
    triggerType: 'webhook',
    nodes: [
      {
        id: 'n1',
        type: 'webhook',
        name: 'Order webhook',
        run: async (input, context) => {
          await compute(context, 2);
          const body = get<JsonObject>(input, 'body');
          const customer = get<JsonObject>(body, 'customer');
          const headers = get<JsonObject>(input, 'headers');
          return { orderId: body.orderId, customerId: customer.id, email: customer.email, total: body.total, currency: body.currency, deliveryAttempt: Number(headers['x-webhook-attempt']) };
        },
      },
      {
        id: 'n2',
        type: 'function',
        name: 'Validate order',
        run: async (input, context) => {
          await compute(context, 4);
          const email = get<string>(input, 'email');
          if (!isEmail(email)) throw new NodeError(`Validation failed: customer.email "${email}" is not an email address`);
          return { valid: true, orderId: input.orderId, customerId: input.customerId };
        },
      },
      {
        id: 'n3',
        type: 'http_request',
        name: 'Fetch customer',
        input: (previous) => ({
          method: 'GET',
          url: `https://${partners.crm.host}/api/customers/${get<string>(previous, 'customerId')}`,
          headers: { authorization: ORDER_WEBHOOK_TOKEN },
        }),
        retry: { times: 3, backoffMs: 400 },
        run: async (input, context) => {
          const id = get<string>(input, 'url').split('/').pop() as string;
          return call(context, partners.crm, { method: 'GET', path: `/api/customers/${id}` }, () =>
            // Guests are not synced to the CRM, and the workflow does not check for them (yet).
            id.startsWith('guest-')
              ? { status: 404, body: { message: `no customer with id "${id}"` } }
              : { status: 200, body: { id, segment: pick(context.random, ['starter', 'pro', 'enterprise']), openDeals: between(context.random, 0, 3) } },
          );
        },
      },
      {
        id: 'n4',
        type: 'http_request',
        name: 'Upsert CRM deal',
        input: (_previous, outputs) => ({
          method: 'POST',
          url: `https://${partners.crm.host}/api/deals`,
          body: { externalId: `order-${get<number>(outputs.n1, 'orderId')}`, customerId: get(outputs.n1, 'customerId'), amount: get(outputs.n1, 'total'), stage: 'won' },
          deliveryAttempt: get(outputs.n1, 'deliveryAttempt'),
        }),
        retry: { times: 3, backoffMs: 400 },
        run: async (input, context) => {
          const body = get<JsonObject>(input, 'body');
          // The shop delivers a webhook again when the first delivery's answer was late: that run made the deal.
          const duplicate = get<number>(input, 'deliveryAttempt') > 1;
          return call(context, partners.crm, { method: 'POST', path: '/api/deals', body }, () =>
            duplicate
              ? { status: 409, body: { message: `a deal with externalId "${String(body.externalId)}" already exists` } }
              : { status: 201, body: { dealId: apiId(context.random, 'deal', 10), stage: 'won' } },
          );
        },
      },
      {
        id: 'n5',
        type: 'respond',
        name: 'Respond 200',
        run: async (_input, context) => {
          await compute(context, 1);
          return { status: 200, body: { received: true } };
        },
      },
    ],
  };
}

/**
 * What the shop's order webhook delivers: one customer in 20 typed an address that is none, one in 50 checked out
 * as a guest, one delivery in 25 is the shop's second try. An order given (the showcase's) is a first delivery with a good address.
 */
export function orderWebhookTrigger(random: Random, given?: { orderId: number; customerId: string }): JsonObject {
  const buyer = person(random, given === undefined ? 20 : 0);
  const { lines, total } = order(random);
  const attempt = given === undefined && random() < 1 / 25 ? 2 : 1;
  return {
    method: 'POST',
    path: '/hooks/orders',
    headers: { 'x-webhook-attempt': String(attempt) },
    body: {
      orderId: given?.orderId ?? between(random, 1000, 99_999),
      customer: { id: given?.customerId ?? (random() < 0.02 ? `guest-${between(random, 1000, 9999)}` : `cus_${between(random, 10, 9999)}`), name: buyer.name, email: buyer.email },
      lines,
      total,
      currency: 'EUR',
    },
  };
}

function invoiceSending({ partners }: DemoWorld): WorkflowDefinition {
  return {
    id: 'wf-invoice-send',
    name: 'Email invoices when they are finalized',
    triggerType: 'internal_event',
    nodes: [
      { id: 'i1', type: 'event_trigger', name: 'Invoice finalized', run: async (input, context) => (await compute(context, 1), get<JsonObject>(input, 'invoice')) },
      {
        id: 'i2',
        type: 'function',
        name: 'Render invoice PDF',
        run: async (input, context) => {
          await context.wait(between(context.random, 150, 900));
          return { file: `${get<string>(input, 'number')}.pdf`, pages: between(context.random, 1, 3), bytes: between(context.random, 40_000, 180_000) };
        },
      },
      {
        id: 'i3',
        type: 'http_request',
        name: 'Upload PDF to storage',
        input: (previous) => ({ method: 'PUT', url: `https://${partners.storage.host}/2026/${get<string>(previous, 'file')}`, contentType: 'application/pdf', bytes: previous.bytes }),
        retry: { times: 2, backoffMs: 1000 },
        run: async (input, context) =>
          call(context, partners.storage, { method: 'PUT', path: get<string>(input, 'url') }, () => ({ status: 200, body: { etag: apiId(context.random, 'etag', 16) } })),
      },
      {
        id: 'i4',
        type: 'email',
        name: 'Email invoice to customer',
        input: (_previous, outputs) => ({
          from: 'billing@acme.example',
          to: get(outputs.i1, 'email'),
          subject: `Your invoice ${get<string>(outputs.i1, 'number')}`,
          attachment: get(outputs.i2, 'file'),
        }),
        retry: { times: 2, backoffMs: 2000 },
        run: async (input, context) => {
          // An address that bounced hard once is never sent to again: Postmark refuses it.
          const inactive = context.random() < 0.04;
          return call(context, partners.mail, { method: 'POST', path: '/email', body: input }, () =>
            inactive
              ? { status: 422, body: { ErrorCode: 406, Message: `You tried to send to recipient(s) that have been marked as inactive: ${String(input.to)}` } }
              : { status: 200, body: { MessageID: apiId(context.random, 'msg', 12), SubmittedAt: iso(context.now()) } },
          );
        },
      },
      {
        id: 'i5',
        type: 'db_query',
        name: 'Mark invoice as sent',
        input: (_previous, outputs) => ({ sql: 'UPDATE invoices SET sent_at = now() WHERE number = $1', params: [get(outputs.i1, 'number')] }),
        run: async (_input, context) => (await query(context), { rowsAffected: 1 }),
      },
    ],
  };
}

function leadImport({ partners }: DemoWorld): WorkflowDefinition {
  return {
    id: 'wf-lead-import',
    name: 'Import leads from the trade-fair spreadsheet',
    triggerType: 'manual',
    nodes: [
      { id: 'l1', type: 'manual_trigger', name: 'Upload spreadsheet', run: async (input, context) => (await compute(context, 2), input) },
      {
        id: 'l2',
        type: 'function',
        name: 'Parse CSV',
        run: async (input, context) => {
          // Now and then a whole fair's list: its rows are more than the store keeps of a payload, and stored cut.
          const count = context.random() < 0.04 ? between(context.random, 1200, 1500) : between(context.random, 8, 120);
          const rows = Array.from({ length: count }, () => person(context.random));
          // A row someone left half-filled at the booth.
          if (context.random() < 0.08) (rows[Math.floor(context.random() * count)] as { email: string }).email = '';
          await context.wait(Math.ceil(count / 20));
          return { file: input.file, rows };
        },
      },
      {
        id: 'l3',
        type: 'function',
        name: 'Validate rows',
        run: async (input, context) => {
          const rows = get<{ email: string }[]>(input, 'rows');
          await context.wait(Math.ceil(rows.length / 50));
          const empty = rows.findIndex((row) => row.email === '');
          // Row 1 of the file is its header.
          if (empty >= 0) throw new NodeError(`Validation failed: row ${empty + 2}, column "email" is empty`);
          return { valid: rows.length };
        },
      },
      {
        id: 'l4',
        type: 'db_query',
        name: 'Find existing contacts',
        input: (previous) => ({ sql: 'SELECT email FROM contacts WHERE email = ANY($1)', emails: previous.valid }),
        run: async (input, context) => {
          await query(context, 25);
          const count = get<number>(input, 'emails');
          // A file uploaded a second time: every lead is known already.
          const existing = context.random() < 0.15 ? count : Math.floor(count * context.random() * 0.4);
          return { existing, newLeads: count - existing };
        },
      },
      {
        id: 'l5',
        type: 'condition',
        name: 'Any new leads?',
        run: async (input, context) => (await compute(context, 1), { branch: get<number>(input, 'newLeads') > 0 ? 'true' : 'false', newLeads: input.newLeads }),
      },
      {
        id: 'l6',
        type: 'http_request',
        name: 'Create leads in CRM',
        skip: (input) => (input.branch === 'false' ? 'no new leads in this file' : undefined),
        retry: { times: 3, backoffMs: 400 },
        run: async (input, context) =>
          call(context, partners.crm, { method: 'POST', path: '/api/leads/batch', body: input }, () => ({ status: 201, body: { created: input.newLeads } })),
      },
      {
        id: 'l7',
        type: 'http_request',
        name: 'Post summary to #sales',
        input: (_previous, outputs) => ({ channel: '#sales', text: `Imported ${get<number>(outputs.l5, 'newLeads')} new leads from ${get<string>(outputs.l1, 'file')}` }),
        run: async (input, context) => call(context, partners.chat, { method: 'POST', path: '/services/T024/B07/XyZ', body: input }, () => ({ status: 200, body: { ok: true } })),
      },
    ],
  };
}

export function invoiceDigest({ partners, overdueInvoices }: DemoWorld): WorkflowDefinition {
  return {
    id: 'wf-invoice-digest',
    name: 'Nightly overdue invoice digest',
    triggerType: 'schedule',
    nodes: [
      { id: 'd1', type: 'schedule', name: 'Every night at 02:00', run: async (input, context) => (await compute(context, 1), { firedAt: iso(context.now()), cron: input.cron }) },
      {
        id: 'd2',
        type: 'db_query',
        name: 'Find overdue invoices',
        input: () => ({ table: 'invoices', where: 'due_at < now() AND paid_at IS NULL' }),
        run: async (_input, context) => {
          // The month-end batch holds the table: the query runs into the database's statement timeout.
          if (overdueInvoices === undefined && context.random() < 0.08) {
            await context.wait(30_000);
            throw new NodeError('canceling statement due to statement timeout (30000 ms)');
          }
          await query(context, 45);
          const count = overdueInvoices ?? (context.random() < 0.4 ? 0 : between(context.random, 1, 9));
          const rows = Array.from({ length: count }, () => ({
            number: `INV-2026-${between(context.random, 100, 4999)}`,
            customer: person(context.random).company,
            amount: money(between(context.random, 4_000, 480_000) / 100),
            daysOverdue: between(context.random, 1, 60),
          }));
          return { rows };
        },
      },
      {
        id: 'd3',
        type: 'condition',
        name: 'Any overdue?',
        input: (previous) => ({ count: get<unknown[]>(previous, 'rows').length }),
        run: async (input, context) => (await compute(context, 1), { branch: get<number>(input, 'count') > 0 ? 'true' : 'false' }),
      },
      {
        id: 'd4',
        type: 'email',
        name: 'Email reminder to finance',
        input: (_previous, outputs) => ({ to: 'finance@acme.example', subject: 'Overdue invoices', invoices: get(outputs.d2, 'rows') }),
        skip: (input) => (get<unknown[]>(input, 'invoices').length === 0 ? 'no overdue invoices' : undefined),
        retry: { times: 2, backoffMs: 2000 },
        run: async (input, context) =>
          call(context, partners.mail, { method: 'POST', path: '/email', body: input }, () => ({ status: 200, body: { MessageID: apiId(context.random, 'msg', 12) } })),
      },
      {
        id: 'd5',
        type: 'log',
        name: 'Log summary',
        input: (_previous, outputs) => {
          const count = get<unknown[]>(outputs.d2, 'rows').length;
          return { message: count === 0 ? 'No overdue invoices' : `${count} overdue invoices, reminder sent to finance` };
        },
        run: async (_input, context) => (await compute(context, 2), { logged: true }),
      },
    ],
  };
}

export const digestTrigger = (startedAt: number): JsonObject => ({ cron: '0 2 * * *', timezone: 'UTC', firedAt: iso(startedAt) });

function refunds({ partners }: DemoWorld): WorkflowDefinition {
  const LIMIT = 150;
  return {
    id: 'wf-refunds',
    name: 'Process refund requests from the help desk',
    triggerType: 'webhook',
    nodes: [
      { id: 'r1', type: 'webhook', name: 'Help desk webhook', run: async (input, context) => (await compute(context, 2), get<JsonObject>(input, 'body')) },
      {
        id: 'r2',
        type: 'http_request',
        name: 'Look up payment',
        input: (previous) => ({ method: 'GET', url: `https://${partners.payments.host}/v1/charges/${get<string>(previous, 'chargeId')}` }),
        retry: { times: 2, backoffMs: 500 },
        run: async (input, context) =>
          call(context, partners.payments, { method: 'GET', path: get<string>(input, 'url') }, () => ({
            status: 200,
            // One customer in 20 asks twice: the first request was refunded already.
            body: { id: get<string>(input, 'url').split('/').pop(), paid: true, refunded: context.random() < 0.05 },
          })),
      },
      {
        id: 'r3',
        type: 'condition',
        name: 'Within refund policy?',
        input: (_previous, outputs) => ({ amount: get(outputs.r1, 'amount'), limit: LIMIT }),
        run: async (input, context) => (await compute(context, 1), { branch: get<number>(input, 'amount') <= LIMIT ? 'refund' : 'needs approval' }),
      },
      {
        id: 'r4',
        type: 'http_request',
        name: 'Refund through Stripe',
        input: (previous, outputs) => ({
          method: 'POST',
          url: `https://${partners.payments.host}/v1/refunds`,
          body: { charge: get(outputs.r1, 'chargeId'), amount: Math.round(get<number>(outputs.r1, 'amount') * 100), reason: 'requested_by_customer' },
          branch: previous.branch,
          alreadyRefunded: get<JsonObject>(outputs.r2, 'body').refunded,
        }),
        skip: (input) => (input.branch === 'refund' ? undefined : `over the ${LIMIT} EUR limit: left to a manager`),
        retry: { times: 2, backoffMs: 500 },
        run: async (input, context) => {
          const body = get<JsonObject>(input, 'body');
          return call(context, partners.payments, { method: 'POST', path: '/v1/refunds', body }, () =>
            input.alreadyRefunded === true
              ? { status: 400, body: { code: 'charge_already_refunded', message: `Charge ${String(body.charge)} has already been refunded.` } }
              : { status: 200, body: { id: apiId(context.random, 're', 14), status: 'succeeded', amount: body.amount } },
          );
        },
      },
      {
        id: 'r5',
        type: 'http_request',
        name: 'Reply to customer',
        input: (previous, outputs) => ({
          method: 'PUT',
          url: `https://${partners.helpdesk.host}/api/v2/tickets/${get<number>(outputs.r1, 'ticketId')}`,
          body: { status: previous.status === 'succeeded' ? 'solved' : 'pending' },
        }),
        retry: { times: 2, backoffMs: 500 },
        run: async (input, context) =>
          call(context, partners.helpdesk, { method: 'PUT', path: get<string>(input, 'url'), body: get(input, 'body') }, () => ({ status: 200, body: { ticket: get(input, 'body') } })),
      },
    ],
  };
}

function stockSync({ partners }: DemoWorld): WorkflowDefinition {
  const REORDER_POINT = 5;
  return {
    id: 'wf-stock-sync',
    name: 'Sync stock levels to the online shop',
    triggerType: 'db_change',
    nodes: [
      { id: 's1', type: 'db_trigger', name: 'Stock level changed', run: async (input, context) => (await compute(context, 1), get<JsonObject>(input, 'row')) },
      {
        id: 's2',
        type: 'transform',
        name: 'Map to shop inventory',
        run: async (input, context) => {
          await compute(context, 2);
          const quantity = get<number>(input, 'quantity');
          if (quantity < 0) throw new NodeError(`Validation failed: available must be 0 or more, got ${quantity} for SKU ${String(input.sku)}`);
          return { inventory_item_id: 43_000_000_000 + between(context.random, 1, 999_999), location_id: 68_842_258_731, available: quantity };
        },
      },
      {
        id: 's3',
        type: 'http_request',
        name: 'Set inventory level',
        input: (previous) => ({ method: 'POST', url: `https://${partners.shop.host}/admin/api/2024-10/inventory_levels/set.json`, body: previous }),
        retry: { times: 3, backoffMs: 1000 },
        run: async (input, context) =>
          call(context, partners.shop, { method: 'POST', path: '/admin/api/2024-10/inventory_levels/set.json', body: get(input, 'body') }, () => ({
            status: 200,
            body: { inventory_level: { ...get<JsonObject>(input, 'body'), updated_at: iso(context.now()) } },
          })),
      },
      {
        id: 's4',
        type: 'condition',
        name: 'Below reorder point?',
        input: (_previous, outputs) => ({ available: get(outputs.s2, 'available'), reorderPoint: REORDER_POINT }),
        run: async (input, context) => (await compute(context, 1), { branch: get<number>(input, 'available') < REORDER_POINT ? 'true' : 'false', available: input.available }),
      },
      {
        id: 's5',
        type: 'http_request',
        name: 'Alert purchasing on Slack',
        skip: (input) => (input.branch === 'false' ? `${String(input.available)} in stock, above the reorder point of ${REORDER_POINT}` : undefined),
        run: async (input, context) =>
          call(context, partners.chat, { method: 'POST', path: '/services/T024/B09/AbC', body: input }, () => ({ status: 200, body: { ok: true } })),
      },
    ],
  };
}

function shipmentUpdates({ partners }: DemoWorld): WorkflowDefinition {
  return {
    id: 'wf-shipment-updates',
    name: 'Tell customers when their parcel is delivered',
    triggerType: 'webhook',
    nodes: [
      { id: 'h1', type: 'webhook', name: 'Carrier webhook', run: async (input, context) => (await compute(context, 2), get<JsonObject>(input, 'body')) },
      {
        id: 'h2',
        type: 'db_query',
        name: 'Find order',
        input: (previous) => ({ sql: 'SELECT id, email, name FROM orders WHERE tracking_number = $1', params: [previous.trackingNumber] }),
        run: async (input, context) => {
          await query(context);
          const [trackingNumber] = get<string[]>(input, 'params');
          // A parcel sent by hand from the warehouse, with a label the shop never saw.
          if (context.random() < 0.05) throw new NodeError(`No order has tracking number ${trackingNumber}`);
          const buyer = person(context.random);
          return { orderId: between(context.random, 1000, 99_999), email: buyer.email, name: buyer.name };
        },
      },
      {
        id: 'h3',
        type: 'condition',
        name: 'Delivered?',
        input: (_previous, outputs) => ({ status: get(outputs.h1, 'status') }),
        run: async (input, context) => (await compute(context, 1), { branch: input.status === 'delivered' ? 'true' : 'false', status: input.status }),
      },
      {
        id: 'h4',
        type: 'email',
        name: 'Email delivery notice',
        input: (previous, outputs) => ({ to: get(outputs.h2, 'email'), template: 'parcel-delivered', orderId: get(outputs.h2, 'orderId'), status: previous.status }),
        skip: (input) => (input.status === 'delivered' ? undefined : `parcel is ${String(input.status)}: only deliveries are emailed`),
        retry: { times: 2, backoffMs: 2000 },
        run: async (input, context) =>
          call(context, partners.mail, { method: 'POST', path: '/email/withTemplate', body: input }, () => ({ status: 200, body: { MessageID: apiId(context.random, 'msg', 12) } })),
      },
      { id: 'h5', type: 'respond', name: 'Respond 200', run: async (_input, context) => (await compute(context, 1), { status: 200 }) },
    ],
  };
}

function onboarding({ partners }: DemoWorld): WorkflowDefinition {
  return {
    id: 'wf-onboarding',
    name: 'Onboard new sign-ups',
    triggerType: 'internal_event',
    nodes: [
      { id: 'o1', type: 'event_trigger', name: 'User signed up', run: async (input, context) => (await compute(context, 1), get<JsonObject>(input, 'user')) },
      {
        id: 'o2',
        type: 'http_request',
        name: 'Create Stripe customer',
        input: (previous) => ({ method: 'POST', url: `https://${partners.payments.host}/v1/customers`, body: { email: previous.email, name: previous.name, metadata: { userId: previous.id } } }),
        retry: { times: 2, backoffMs: 500 },
        run: async (input, context) =>
          call(context, partners.payments, { method: 'POST', path: '/v1/customers', body: get(input, 'body') }, () => ({ status: 200, body: { id: apiId(context.random, 'cus', 14) } })),
      },
      {
        id: 'o3',
        type: 'http_request',
        name: 'Add to newsletter',
        input: (_previous, outputs) => ({ method: 'POST', url: `https://${partners.newsletter.host}/3.0/lists/8a1c2e/members`, body: { email_address: get(outputs.o1, 'email'), status: 'subscribed' } }),
        retry: { times: 1, backoffMs: 1000 },
        run: async (input, context) => {
          const email = get<string>(get(input, 'body'), 'email_address');
          return call(context, partners.newsletter, { method: 'POST', path: '/3.0/lists/8a1c2e/members', body: get(input, 'body') }, () =>
            // Mailchimp refuses addresses it judges fake, which the sign-up form accepted.
            isEmail(email) && context.random() >= 0.04
              ? { status: 200, body: { id: apiId(context.random, 'mbr', 12), status: 'subscribed' } }
              : { status: 400, body: { title: 'Invalid Resource', detail: `email_address "${email}" looks fake or invalid, please enter a real email address.` } },
          );
        },
      },
      {
        id: 'o4',
        type: 'email',
        name: 'Send welcome email',
        input: (_previous, outputs) => ({ to: get(outputs.o1, 'email'), template: 'welcome', plan: get(outputs.o1, 'plan') }),
        retry: { times: 2, backoffMs: 2000 },
        run: async (input, context) =>
          call(context, partners.mail, { method: 'POST', path: '/email/withTemplate', body: input }, () => ({ status: 200, body: { MessageID: apiId(context.random, 'msg', 12) } })),
      },
      {
        id: 'o5',
        type: 'http_request',
        name: 'Notify #growth on Slack',
        input: (_previous, outputs) => ({ channel: '#growth', text: `${get<string>(outputs.o1, 'name')} (${get<string>(outputs.o1, 'company')}) signed up for ${get<string>(outputs.o1, 'plan')}` }),
        run: async (input, context) => call(context, partners.chat, { method: 'POST', path: '/services/T024/B11/GhI', body: input }, () => ({ status: 200, body: { ok: true } })),
      },
    ],
  };
}

const FAIRS = ['hannover-messe', 'websummit-lisbon', 'saastr-europa', 'cebit-legacy-meetup'];
const REFUND_REASONS = ['damaged on arrival', 'wrong size', 'never arrived', 'changed my mind'];
const PARCEL_STATES = ['in_transit', 'out_for_delivery', 'delivered', 'delivered'];

/** Every workflow of the demo's history, with how often it runs and what its trigger delivers. */
export function demoWorkflows(world: DemoWorld): DemoWorkflow[] {
  return [
    { definition: orderSync(world), weight: 26, trigger: (random) => orderWebhookTrigger(random) },
    {
      definition: invoiceSending(world),
      weight: 10,
      trigger: (random, startedAt) => {
        const customer = person(random);
        return {
          event: 'invoice.finalized',
          invoice: {
            number: `INV-2026-${between(random, 100, 4999)}`,
            customerId: `cus_${between(random, 10, 9999)}`,
            company: customer.company,
            email: customer.email,
            amount: money(between(random, 2_000, 250_000) / 100),
            currency: 'EUR',
            dueAt: iso(startedAt + 14 * 86_400_000).slice(0, 10),
          },
        };
      },
    },
    {
      definition: leadImport(world),
      weight: 3,
      trigger: (random) => ({ file: `leads-${pick(random, FAIRS)}.csv`, uploadedBy: person(random).email }),
    },
    {
      definition: invoiceDigest(world),
      weight: 0,
      nightlyAtUtcHour: 2,
      trigger: (_random, startedAt) => digestTrigger(startedAt),
    },
    {
      definition: refunds(world),
      weight: 8,
      trigger: (random) => ({
        method: 'POST',
        path: '/hooks/zendesk/refunds',
        body: {
          ticketId: between(random, 40_000, 60_000),
          requester: person(random).email,
          chargeId: apiId(random, 'ch', 24),
          amount: money(between(random, 900, 32_000) / 100),
          currency: 'EUR',
          reason: pick(random, REFUND_REASONS),
        },
      }),
    },
    {
      definition: stockSync(world),
      weight: 24,
      trigger: (random) => {
        const before = between(random, 0, 60);
        // A miscount at the warehouse now and then writes a negative quantity.
        const quantity = random() < 0.04 ? -between(random, 1, 4) : Math.max(0, before - between(random, 1, 8));
        return { table: 'stock_levels', operation: 'UPDATE', row: { sku: sku(random), warehouse: 'BER-1', quantity }, old: { quantity: before } };
      },
    },
    {
      definition: shipmentUpdates(world),
      weight: 18,
      trigger: (random, startedAt) => ({
        method: 'POST',
        path: '/hooks/dhl',
        body: { trackingNumber: `JJD00022${between(random, 10_000_000, 99_999_999)}`, status: pick(random, PARCEL_STATES), timestamp: iso(startedAt) },
      }),
    },
    {
      definition: onboarding(world),
      weight: 11,
      trigger: (random) => {
        const user = person(random, 40);
        return { event: 'user.signed_up', user: { id: apiId(random, 'usr', 10), ...user, plan: pick(random, ['free', 'free', 'starter', 'pro']) } };
      },
    },
  ];
}
