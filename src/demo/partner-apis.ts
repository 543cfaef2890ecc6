// The outside world the demo's nodes call: partner APIs that answer in their own time and now and then fail the way
// real ones do (a 502 from a gateway, a 429 when called too fast, no answer until the timeout), and go down for a
// while now and then, so that failures come in bursts, as they do in a real history.
import type { JsonObject } from '../core/types.js';
import { responseTime } from './fake-data.js';
import { NodeError, type NodeContext } from './workflow-engine.js';

/** A way a call fails, and the share of calls it fails. */
export type Fault =
  | { share: number; kind: 'timeout' }
  | { share: number; kind: 'http'; status: number; statusText: string; body: JsonObject | string; retryable: boolean };

export interface PartnerApi {
  host: string;
  /** A call's usual time, in ms (see responseTime). */
  latencyMs: number;
  /** How long a call waits for an answer before it gives up. */
  timeoutMs: number;
  /** What goes wrong with a call now and then (each try draws its own). */
  faults: readonly Fault[];
  /** When it is down: [from, to) in ms since the epoch; every call then gets a 502 from its gateway. */
  outages: readonly (readonly [number, number])[];
}

export interface Request {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  path: string;
  body?: JsonObject;
}

/** A type, not an interface: a node returns it as its output, a JsonObject. */
export type Response = {
  status: number;
  body: JsonObject;
};

const BAD_GATEWAY = { kind: 'http', status: 502, statusText: 'Bad Gateway', body: '<html><body><h1>502 Bad Gateway</h1></body></html>', retryable: true } as const;

/**
 * Calls `api` on the run's simulated clock: waits its response time (or its timeout), then fails with the fault drawn
 * or the outage under way, or answers with what `answer` makes of the request (a status of 400 or more fails too).
 */
export async function call(context: NodeContext, api: PartnerApi, request: Request, answer: (request: Request) => Response): Promise<Response> {
  const at = context.now();
  const down = api.outages.some(([from, to]) => at >= from && at < to);
  const fault = down ? { share: 1, ...BAD_GATEWAY } : drawn(api.faults, context.random());
  if (fault?.kind === 'timeout') {
    await context.wait(api.timeoutMs);
    // Only a read is safe to send again: a write that timed out may have been done.
    throw new NodeError(`Timed out after ${api.timeoutMs} ms waiting for ${api.host}`, { retryable: request.method === 'GET' });
  }
  // A gateway that has lost its upstream answers at once; everything else takes the API's time.
  await context.wait(down ? responseTime(context.random, 30) : responseTime(context.random, api.latencyMs));
  if (fault !== undefined) {
    throw new NodeError(`HTTP ${fault.status} ${fault.statusText} from ${api.host}`, { output: { status: fault.status, body: fault.body as JsonObject }, retryable: fault.retryable });
  }
  const response = answer(request);
  if (response.status >= 400) {
    const message = response.body.message ?? response.body.detail ?? response.body.Message;
    const detail = typeof message === 'string' ? `: ${message}` : '';
    throw new NodeError(`HTTP ${response.status} ${STATUS_TEXTS[response.status] ?? 'Error'} from ${api.host}${detail}`, { output: { ...response }, retryable: false });
  }
  return response;
}

/** The statuses the partners answer bad requests with. */
const STATUS_TEXTS: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity' };

function drawn(faults: readonly Fault[], roll: number): Fault | undefined {
  let below = 0;
  for (const fault of faults) {
    below += fault.share;
    if (roll < below) return fault;
  }
  return undefined;
}

/** The demo's partners, as they usually behave; outages are added per history (see withOutages). */
export const PARTNERS = {
  crm: {
    host: 'crm.example.com',
    latencyMs: 180,
    timeoutMs: 10_000,
    faults: [{ share: 0.02, ...BAD_GATEWAY }, { share: 0.003, kind: 'timeout' }],
    outages: [],
  },
  payments: {
    host: 'api.stripe.com',
    latencyMs: 320,
    timeoutMs: 30_000,
    faults: [
      { share: 0.01, kind: 'http', status: 500, statusText: 'Internal Server Error', body: { error: { type: 'api_error', message: 'An unknown error occurred' } }, retryable: true },
      { share: 0.002, kind: 'timeout' },
    ],
    outages: [],
  },
  mail: {
    host: 'api.postmarkapp.com',
    latencyMs: 140,
    timeoutMs: 10_000,
    faults: [{ share: 0.03, kind: 'http', status: 429, statusText: 'Too Many Requests', body: { ErrorCode: 429, Message: 'Rate limit exceeded, retry later' }, retryable: true }],
    outages: [],
  },
  shop: {
    host: 'acme-store.myshopify.com',
    latencyMs: 260,
    timeoutMs: 15_000,
    faults: [
      { share: 0.06, kind: 'http', status: 429, statusText: 'Too Many Requests', body: { errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }, retryable: true },
      { share: 0.03, kind: 'http', status: 503, statusText: 'Service Unavailable', body: { errors: 'Unavailable Shop' }, retryable: false },
    ],
    outages: [],
  },
  newsletter: {
    host: 'us21.api.mailchimp.com',
    latencyMs: 410,
    timeoutMs: 15_000,
    faults: [{ share: 0.015, kind: 'timeout' }],
    outages: [],
  },
  chat: { host: 'hooks.slack.com', latencyMs: 90, timeoutMs: 5_000, faults: [], outages: [] },
  storage: {
    host: 'invoices.s3.eu-central-1.amazonaws.com',
    latencyMs: 120,
    timeoutMs: 20_000,
    faults: [{ share: 0.01, kind: 'http', status: 503, statusText: 'Slow Down', body: '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>', retryable: true }],
    outages: [],
  },
  helpdesk: { host: 'acme.zendesk.com', latencyMs: 230, timeoutMs: 10_000, faults: [{ share: 0.01, kind: 'timeout' }], outages: [] },
} satisfies Record<string, PartnerApi>;

export type Partners = { [name in keyof typeof PARTNERS]: PartnerApi };

/** The partners as they behaved over [from, to): those that go down now and then went down one to three times, for 20–120 minutes. */
export function withOutages(random: () => number, from: number, to: number): Partners {
  const partners = { ...PARTNERS } as Partners;
  for (const name of ['crm', 'payments', 'shop', 'newsletter', 'mail'] as const) {
    const outages = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
      const start = from + Math.floor(random() * (to - from));
      return [start, start + (20 + Math.floor(random() * 100)) * 60_000] as const;
    });
    partners[name] = { ...partners[name], outages };
  }
  return partners;
}

/** A partner that behaves: no fault, no outage (the showcase's good runs). */
export const healthy = (api: PartnerApi): PartnerApi => ({ ...api, faults: [], outages: [] });

/** A partner that is down the whole time (the showcase's failed order sync). */
export const down = (api: PartnerApi): PartnerApi => ({ ...api, faults: [], outages: [[-Infinity, Infinity]] });
