/**
 * The gateway process, assembled: identity key, spool, canister client, SMTP front end, relay worker, proof
 * attacher, metrics and the operator port. Everything that judges mail is in src/; this file only wires it.
 *
 * Order matters for "lose nothing": the spool is opened (and what an earlier run left is handed to the relay)
 * before SMTP listens, and on shutdown SMTP stops first, open sessions get the grace period, spool writes in
 * progress finish, and only then does the relay stop. Whatever is not delivered stays spooled for the next run.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { CanisterClient, type CanisterView } from './canister-client.ts';
import { ClientLimits } from './client-limits.ts';
import { type GatewayConfig, splitListen } from './config.ts';
import { DeliveryPacer } from './delivery-pacer.ts';
import { loadOrCreateIdentity } from './identity-key.ts';
import { gatewayMetrics } from './metrics.ts';
import { serveOps } from './ops-server.ts';
import { proofAttacher } from './proof-attach.ts';
import { type DeliveryOutcome, Relay, type RelayEvent } from './relay.ts';
import { createSmtpFront } from './smtp-front.ts';
import { Spool, type SpoolEntry } from './spool.ts';

export interface RunningGateway {
  /** `host:port` of the SMTP listener. */
  readonly smtp: string;
  /** Base URL of the operator port. */
  readonly ops: string;
  readonly principal: string;
  /** Graceful stop: see the module comment. */
  close(): Promise<void>;
}

export class GatewayStartError extends Error {}

function relayLogger(log: Logger, metrics: ReturnType<typeof gatewayMetrics>) {
  return (e: RelayEvent) => {
    const base = {
      event: 'delivery',
      queue_id: e.entry.id,
      rcpt: e.entry.envelope.rcpt_to,
      attempts: e.attempts,
    };
    metrics.deliveries.inc({ outcome: e.kind });
    if (e.kind === 'delivered')
      log.info({ ...base, outcome: 'delivered', latency_ms: e.latencyMs }, 'delivered');
    else if (e.kind === 'rejected')
      log.warn(
        { ...base, outcome: 'rejected', code: e.code, reason: e.message },
        'canister refused the message',
      );
    else if (e.kind === 'retry')
      log.warn(
        { ...base, outcome: 'retry', delay_ms: e.delayMs, err: e.error },
        'delivery failed, will retry',
      );
    else if (e.kind === 'expired')
      log.error(
        { ...base, outcome: 'expired', age_ms: e.ageMs },
        'message dropped: older than the maximum age',
      );
    else log.error({ ...base, outcome: 'unreadable', err: e.error }, 'spooled message unreadable');
  };
}

export async function startGateway(config: GatewayConfig, log: Logger): Promise<RunningGateway> {
  const { identity, created } = loadOrCreateIdentity(config.identity.key_file);
  const principal = identity.getPrincipal().toText();
  if (created) log.info({ key_file: config.identity.key_file, principal }, 'created the gateway key');

  const { spool, recovery } = await Spool.open(config.spool.dir);
  log.info({ event: 'spool', dir: config.spool.dir, ...recovery }, 'spool opened');

  const client = new CanisterClient({
    url: config.canister.url,
    canisterId: config.canister.canister_id,
    identity,
    fetchRootKey: config.canister.fetch_root_key,
    stateDir: config.spool.dir,
  });
  let view: CanisterView | null = client.cachedView();
  const refresh = async () => {
    try {
      view = await client.fetchView(Date.now());
      log.debug({ event: 'config', mail_hosts: view.mailHosts }, 'canister config read');
    } catch (e) {
      log.warn(
        { event: 'config', err: (e as Error).message },
        'cannot read the canister config; keeping the last one',
      );
    }
  };
  await refresh();
  const refreshTimer = setInterval(refresh, config.canister.config_refresh_s * 1000);
  refreshTimer.unref();

  const metrics = gatewayMetrics({
    depth: () => spool.depth,
    oldestAgeSeconds: () => spool.oldestAgeMs(Date.now()) / 1000,
  });
  const attacher = proofAttacher(config.proof.doh, config.proof.timeout_ms);

  // Busy above 100 accepted messages/s; then at most 10 delivery starts per second (delivery-pacer.ts).
  const pacer = new DeliveryPacer({ busyPerSecond: 100, busyGapMs: 100 });
  const deliver = async (entry: SpoolEntry, message: Uint8Array): Promise<DeliveryOutcome> => {
    const wait = pacer.reserve(Date.now());
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const anchors = view?.anchors ?? [];
    const attached = await attacher.attach(message, anchors, Date.now());
    metrics.proofs.inc({ outcome: attached.kind === 'attached' ? 'attached' : attached.reason });
    log.info(
      attached.kind === 'attached'
        ? { event: 'proof', queue_id: entry.id, outcome: 'attached', names: attached.names }
        : {
            event: 'proof',
            queue_id: entry.id,
            outcome: 'none',
            reason: attached.reason,
            detail: attached.detail,
          },
      attached.kind === 'attached' ? 'proof attached' : 'no proof attached',
    );
    const started = performance.now();
    const timer = metrics.canisterSeconds;
    try {
      const r = await client.smtpRequest(
        entry.envelope,
        message,
        attached.kind === 'attached' ? attached.proof : null,
      );
      timer.observe({ outcome: r.ok ? 'ok' : 'err' }, (performance.now() - started) / 1000);
      return r.ok ? { kind: 'delivered' } : { kind: 'rejected', code: r.code, message: r.message };
    } catch (e) {
      timer.observe({ outcome: 'transport' }, (performance.now() - started) / 1000);
      throw e;
    }
  };
  const relay = config.relay.enabled
    ? new Relay({
        spool,
        deliver,
        concurrency: config.relay.concurrency,
        maxAgeMs: config.relay.max_age_s * 1000,
        attemptTimeoutMs: config.relay.attempt_timeout_s * 1000,
        retryBaseMs: config.relay.retry_base_ms,
        retryMaxMs: config.relay.retry_max_ms,
        onEvent: relayLogger(log, metrics),
      })
    : null;
  relay?.start();

  let tls: { key: Buffer; cert: Buffer } | undefined;
  if (config.tls) {
    try {
      tls = { key: readFileSync(config.tls.key), cert: readFileSync(config.tls.cert) };
    } catch (e) {
      throw new GatewayStartError(`cannot read the TLS key or certificate: ${(e as Error).message}`);
    }
  }
  const front = createSmtpFront({
    hostname: config.smtp.hostname,
    maxClients: config.smtp.max_clients,
    idleTimeoutMs: config.smtp.idle_timeout_s * 1000,
    sessionTimeoutMs: config.smtp.session_timeout_s * 1000,
    shutdownGraceMs: config.smtp.shutdown_grace_s * 1000,
    ...(tls ? { tls } : {}),
    limits: new ClientLimits({
      connectionsPerIp: config.limits.connections_per_ip,
      messagesPerMinute: config.limits.messages_per_ip_per_minute,
    }),
    mailHosts: () => view?.mailHosts ?? null,
    accept: async (meta, message) => {
      const entry = await spool.put(meta, message);
      pacer.accepted(Date.now());
      relay?.enqueue(entry);
      return entry.id;
    },
    log,
    metrics,
  });

  const listen = splitListen(config.smtp.listen);
  const opsAt = splitListen(config.ops.listen);
  let smtpAddress: { host: string; port: number };
  try {
    smtpAddress = await front.listen(listen.host, listen.port);
  } catch (e) {
    await relay?.stop();
    throw new GatewayStartError(`cannot listen for SMTP on ${config.smtp.listen}: ${(e as Error).message}`);
  }
  const ready = () =>
    view
      ? { ok: true, detail: `ready: serving ${view.mailHosts.join(', ') || 'no mail hosts'}` }
      : { ok: false, detail: 'not ready: the canister config has not been read yet' };
  let ops: Awaited<ReturnType<typeof serveOps>>;
  try {
    ops = await serveOps(opsAt.host, opsAt.port, metrics.registry, ready);
  } catch (e) {
    await front.close();
    await relay?.stop();
    throw new GatewayStartError(
      `cannot listen for the operator port on ${config.ops.listen}: ${(e as Error).message}`,
    );
  }
  const smtp = `${smtpAddress.host.includes(':') ? `[${smtpAddress.host}]` : smtpAddress.host}:${smtpAddress.port}`;
  return {
    smtp,
    ops: ops.url,
    principal,
    async close() {
      clearInterval(refreshTimer);
      await front.close();
      await relay?.stop();
      await client.close();
      await ops.close();
      log.info({ event: 'stop', spooled: spool.depth }, 'gateway stopped; undelivered messages stay spooled');
    },
  };
}
