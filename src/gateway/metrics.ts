/**
 * The gateway's one Prometheus registry (prom-client), named as the Prometheus conventions say: a
 * `waxseal_gateway_` prefix, `_total` counters, base units (seconds), outcomes as labels. Spool depth and age
 * are read when scraped, so they are never stale.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets from a local fsync (~1 ms) to a slow IC update call (tens of seconds). */
const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface SpoolGauges {
  readonly depth: () => number;
  readonly oldestAgeSeconds: () => number;
}

export function gatewayMetrics(spool: SpoolGauges) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'waxseal_gateway_' });
  const registers = [registry];
  return {
    registry,
    sessions: new Gauge({
      name: 'waxseal_gateway_smtp_sessions',
      help: 'Open SMTP sessions.',
      registers,
    }),
    accepted: new Counter({
      name: 'waxseal_gateway_messages_accepted_total',
      help: 'Messages answered 250 after they were spooled durably.',
      registers,
    }),
    refused: new Counter({
      name: 'waxseal_gateway_refusals_total',
      help: 'SMTP refusals by reply code and reason.',
      labelNames: ['code', 'reason'] as const,
      registers,
    }),
    acceptSeconds: new Histogram({
      name: 'waxseal_gateway_accept_seconds',
      help: 'From the end of DATA to the 250: checks and the durable spool write.',
      buckets: SECONDS,
      registers,
    }),
    spoolDepth: new Gauge({
      name: 'waxseal_gateway_spool_messages',
      help: 'Messages in the spool, waiting for the canister.',
      registers,
      collect() {
        this.set(spool.depth());
      },
    }),
    spoolAge: new Gauge({
      name: 'waxseal_gateway_spool_oldest_age_seconds',
      help: 'Age of the oldest spooled message (0 when the spool is empty).',
      registers,
      collect() {
        this.set(spool.oldestAgeSeconds());
      },
    }),
    deliveries: new Counter({
      name: 'waxseal_gateway_deliveries_total',
      help: 'Relay attempts by outcome: delivered, rejected (canister Err), retry, expired, unreadable.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    canisterSeconds: new Histogram({
      name: 'waxseal_gateway_canister_call_seconds',
      help: 'smtp_request call latency, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: SECONDS,
      registers,
    }),
    proofs: new Counter({
      name: 'waxseal_gateway_proofs_total',
      help: 'DNSSEC proof attempts: attached, or why none was (Insecure, Bogus, LookupFailed, Timeout, …).',
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof gatewayMetrics>;
