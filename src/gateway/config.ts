/**
 * The gateway's configuration file (TOML, one file; scripts/deploy/gateway.example.toml is the annotated example).
 *
 * Validated once at start with zod: an unknown key, a wrong type or a bad value is one line naming the key
 * (`waxseal gateway` prints it and exits 2), so a typo never silently becomes a default. Durations are in
 * seconds or milliseconds as the key's suffix says. Relative paths are resolved against the file's folder, so
 * a unit file can point at `/etc/waxseal/gateway.toml` and keep its spool beside it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';

/** `host:port` with a numeric port (0 = any free port); IPv6 hosts in brackets, as in URLs. */
const listen = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port');

const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

const Schema = z
  .object({
    smtp: z
      .object({
        listen: listen.default('0.0.0.0:25'),
        /** The name in the banner and the EHLO reply: the MX host name. */
        hostname: z
          .string()
          .min(1)
          .max(255)
          .regex(/^[A-Za-z0-9.-]+$/, 'expected a host name'),
        max_clients: z.number().int().min(1).max(100_000).default(1_000),
        /** Whole-session deadline against slow clients (RFC 5321 §4.5.3.2 bounds each step, not the total). */
        session_timeout_s: seconds(5, 3_600).default(300),
        /** Idle time between two client lines. */
        idle_timeout_s: seconds(1, 600).default(60),
        /** How long open sessions may run on after SIGTERM before they are cut. */
        shutdown_grace_s: seconds(0, 600).default(30),
      })
      .strict(),
    tls: z
      .object({ cert: z.string().min(1), key: z.string().min(1) })
      .strict()
      .optional(),
    limits: z
      .object({
        connections_per_ip: z.number().int().min(1).max(1_000_000).default(20),
        messages_per_ip_per_minute: z.number().int().min(1).max(100_000_000).default(60),
      })
      .strict()
      .default({ connections_per_ip: 20, messages_per_ip_per_minute: 60 }),
    canister: z
      .object({
        /** The IC API boundary (https://icp-api.io) or a local endpoint (`waxseal devnet`). */
        url: z.url({ protocol: /^https?$/ }),
        canister_id: z
          .string()
          .regex(/^[a-z0-9]{5}(-[a-z0-9]{5})*(-[a-z0-9]{1,5})?$/, 'expected a principal'),
        /** Trust whatever root key the endpoint serves: for a local devnet only, never for the IC. */
        fetch_root_key: z.boolean().default(false),
        /** How often the mail hosts and trust anchors are re-read from the canister's `config`. */
        config_refresh_s: seconds(5, 86_400).default(60),
      })
      .strict(),
    spool: z.object({ dir: z.string().min(1) }).strict(),
    identity: z.object({ key_file: z.string().min(1) }).strict(),
    relay: z
      .object({
        enabled: z.boolean().default(true),
        concurrency: z.number().int().min(1).max(256).default(8),
        /** The challenge TTL: a challenge this old has expired, so relaying the mail cannot help any more. */
        max_age_s: seconds(1, 86_400).default(1_800),
        attempt_timeout_s: seconds(1, 600).default(60),
        retry_base_ms: z.number().int().min(10).max(600_000).default(1_000),
        retry_max_ms: z.number().int().min(10).max(3_600_000).default(60_000),
      })
      .strict()
      .default({
        enabled: true,
        concurrency: 8,
        max_age_s: 1_800,
        attempt_timeout_s: 60,
        retry_base_ms: 1_000,
        retry_max_ms: 60_000,
      }),
    proof: z
      .object({
        /** RFC 8484 resolvers tried in order; an empty list turns proof attachment off. */
        doh: z.array(z.url({ protocol: /^https?$/ })).max(8),
        /** Total time allowed for one message's proof; past it the mail goes without one. */
        timeout_ms: z.number().int().min(100).max(60_000).default(5_000),
      })
      .strict()
      .default({ doh: [], timeout_ms: 5_000 }),
    ops: z
      .object({ listen: listen.default('127.0.0.1:9025') })
      .strict()
      .default({ listen: '127.0.0.1:9025' }),
    log: z
      .object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict()
  .refine((c) => c.relay.retry_base_ms <= c.relay.retry_max_ms, {
    message: 'must not exceed relay.retry_max_ms',
    path: ['relay', 'retry_base_ms'],
  });

export type GatewayConfig = z.infer<typeof Schema>;

export class ConfigError extends Error {}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function splitListen(value: string): HostPort {
  const i = value.lastIndexOf(':');
  const host = value.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(value.slice(i + 1)) };
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

/** Parses and validates TOML text; paths stay as written. */
export function parseConfig(text: string): GatewayConfig {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    throw new ConfigError(`not valid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
  const parsed = Schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(firstIssue(parsed.error));
  const { port } = splitListen(parsed.data.smtp.listen);
  const ops = splitListen(parsed.data.ops.listen).port;
  if (port > 65_535 || ops > 65_535) throw new ConfigError('listen: port above 65535');
  return parsed.data;
}

/** Reads the file and resolves its paths against the file's folder. */
export function loadConfig(file: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const config = parseConfig(text);
  const base = dirname(resolve(file));
  const at = (p: string) => resolve(base, p);
  return {
    ...config,
    spool: { dir: at(config.spool.dir) },
    identity: { key_file: at(config.identity.key_file) },
    ...(config.tls ? { tls: { cert: at(config.tls.cert), key: at(config.tls.key) } } : {}),
  };
}
