/**
 * `waxseal gateway --config FILE`: the SMTP gateway (src/gateway/). Logs are JSON lines on stdout (pino), one
 * per SMTP transaction and per delivery; when it serves, one line with `"msg":"gateway ready"` carries the SMTP
 * address, the operator URL and the principal. SIGTERM or SIGINT: stop accepting, let open sessions finish
 * within `smtp.shutdown_grace_s`, keep the spool, exit 0.
 *
 * `--print-principal` prints the gateway's principal (creating its key on first use) for the canister's
 * `gateway_principals`, and exits. A bad config is one line on stderr and exit 2; a port or key problem, exit 1.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../gateway/config.ts';
import { GatewayStartError, startGateway } from '../gateway/gateway.ts';
import { IdentityKeyError, loadOrCreateIdentity } from '../gateway/identity-key.ts';
import { UsageError } from './errors.ts';
import { takeLock } from './lock-file.ts';
import { GATEWAY_USAGE } from './usage.ts';

export async function gatewayCommand(argv: string[]): Promise<{ out: string; code: number }> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, 'print-principal': { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  });
  if (values.config === undefined) throw new UsageError(`--config is required (usage: ${GATEWAY_USAGE})`);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(values.config);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`config ${values.config}: ${e.message}`);
    throw e;
  }
  const fail = (message: string) => {
    process.stderr.write(`waxseal gateway: ${message}\n`);
    return { out: '', code: 1 };
  };
  if (values['print-principal']) {
    try {
      return {
        out: loadOrCreateIdentity(config.identity.key_file).identity.getPrincipal().toText(),
        code: 0,
      };
    } catch (e) {
      if (e instanceof IdentityKeyError) return fail(e.message);
      throw e;
    }
  }
  const log = pino({ level: config.log.level, base: { service: 'waxseal-gateway' } });
  const unlock = takeLock(config.spool.dir, 'gateway.lock', 'gateway');
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway(config, log);
  } catch (e) {
    unlock();
    if (e instanceof GatewayStartError || e instanceof IdentityKeyError) return fail(e.message);
    throw e;
  }
  log.info({ smtp: gateway.smtp, ops: gateway.ops, principal: gateway.principal }, 'gateway ready');
  const signal = await new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  log.info(
    { signal, grace_s: config.smtp.shutdown_grace_s },
    'stopping: no new sessions, open ones may finish',
  );
  await gateway.close();
  unlock();
  return { out: '', code: 0 };
}
