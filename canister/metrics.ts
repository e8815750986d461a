/**
 * Metrics served at `GET /metrics` in the Prometheus text exposition format (version 0.0.4). A module adds
 * its own metric with `registerMetric` at top level; values are read when the page is rendered, inside a
 * query, so a metric's `value` must be cheap and must not write state.
 */
import { canisterCycleBalance, canisterVersion } from 'azle';
import { saltReady } from './salt.ts';
import { counterValue } from './state.ts';

export interface Metric {
  /** Full metric name, `waxseal_` prefixed, matching `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  /** One value, or one value per label set (`[{ state: "Pending" }, 3]`). */
  value: () => number | bigint | ReadonlyArray<readonly [Readonly<Record<string, string>>, number | bigint]>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const registry: Metric[] = [];

export function registerMetric(metric: Metric): void {
  if (!METRIC_NAME.test(metric.name)) throw new Error(`bad metric name ${JSON.stringify(metric.name)}`);
  if (registry.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
  registry.push(metric);
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** The exposition text of every registered metric, in registration order. */
export function renderMetrics(): string {
  let out = '';
  for (const metric of registry) {
    out += `# HELP ${metric.name} ${escapeHelp(metric.help)}\n`;
    out += `# TYPE ${metric.name} ${metric.type}\n`;
    const value = metric.value();
    if (typeof value === 'number' || typeof value === 'bigint') {
      out += `${metric.name} ${formatValue(value)}\n`;
      continue;
    }
    for (const [labels, v] of value) {
      const text = Object.entries(labels)
        .map(([k, l]) => `${k}="${l.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
        .join(',');
      out += `${metric.name}{${text}} ${formatValue(v)}\n`;
    }
  }
  return out;
}

registerMetric({
  name: 'waxseal_identities',
  help: 'Identities created (identities are never deleted).',
  type: 'gauge',
  value: () => counterValue('identities'),
});
registerMetric({
  name: 'waxseal_salt_ready',
  help: '1 once the principal-seed salt has been made from raw_rand, 0 before.',
  type: 'gauge',
  value: () => (saltReady() ? 1 : 0),
});
registerMetric({
  name: 'waxseal_cycle_balance',
  help: 'Cycle balance of the canister.',
  type: 'gauge',
  value: () => canisterCycleBalance(),
});
registerMetric({
  name: 'waxseal_canister_version',
  help: 'Canister version (increments on every install, upgrade and settings change).',
  type: 'gauge',
  value: () => canisterVersion(),
});
