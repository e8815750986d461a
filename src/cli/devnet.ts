/**
 * `waxseal devnet`: the local Internet Computer endpoint (src/devnet/) with the Waxseal canister installed, or
 * resumed from its data folder. When it is ready it prints one JSON line on stdout,
 * `{"url","canister_id","root_key"}`, for scripts to read; everything else goes to stderr. SIGINT and SIGTERM
 * finish the running round, write a snapshot and exit 0.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigArgError, encodeConfigArg } from '../devnet/config-arg.ts';
import { Devnet } from '../devnet/devnet.ts';
import { DataFolderError } from '../devnet/persistence.ts';
import { serveDevnet } from '../devnet/server.ts';
import { toHex } from '../encoding/bytes.ts';
import { InstallError } from '../host/host.ts';
import { UsageError } from './errors.ts';
import { takeLock } from './lock-file.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function readConfig(file: string): Uint8Array {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  try {
    return encodeConfigArg(json);
  } catch (e) {
    if (e instanceof ConfigArgError) throw new UsageError(`config ${file}: ${e.message}`);
    throw e;
  }
}

export async function devnetCommand(argv: string[]): Promise<{ out: string; code: number }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4943' },
      data: { type: 'string', default: '.waxseal/devnet' },
      clean: { type: 'boolean', default: false },
      fsync: { type: 'boolean', default: false },
      config: { type: 'string' },
      wasm: { type: 'string', default: join(ROOT, 'build', 'waxseal.wasm') },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${values.port} is not a port`);
  const wasmPath = resolve(values.wasm);
  if (!existsSync(wasmPath)) {
    throw new UsageError(`${wasmPath} not found; build the canister first with: npm run build:canister`);
  }
  // Without --config the argument is `(null)`: defaults on install, nothing changed on upgrade.
  const arg = values.config === undefined ? encodeConfigArg(null) : readConfig(values.config);
  const dataDir = resolve(values.data);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const unlock = takeLock(dataDir, 'devnet.lock', 'devnet');
  let devnet: Devnet;
  try {
    devnet = await Devnet.open({
      dataDir,
      wasm: new Uint8Array(readFileSync(wasmPath)),
      arg,
      clean: values.clean,
      fsync: values.fsync,
      log,
    });
  } catch (e) {
    unlock();
    if (e instanceof DataFolderError) throw new UsageError(`${e.message}; start over with --clean`);
    if (e instanceof InstallError) {
      process.stderr.write(`waxseal devnet: ${e.message}\n`);
      return { out: '', code: 1 };
    }
    throw e;
  }
  let server: Awaited<ReturnType<typeof serveDevnet>>;
  try {
    server = await serveDevnet(devnet, { port, log });
  } catch (e) {
    await devnet.close();
    unlock();
    const code = (e as { code?: string }).code;
    const why = code === 'EADDRINUSE' ? `port ${port} is already in use (try --port)` : (e as Error).message;
    process.stderr.write(`waxseal devnet: cannot listen on 127.0.0.1:${port}: ${why}\n`);
    return { out: '', code: 1 };
  }
  devnet.startTicking();
  const { mode, replayedRounds, tornTail } = devnet.started;
  log(
    `devnet: ${mode === 'installed' ? 'installed' : `resumed (${replayedRounds} journal rounds replayed${tornTail ? ', a torn last record dropped' : ''})`} canister ${devnet.canisterId.toText()} at ${server.url}, data in ${dataDir}`,
  );
  process.stdout.write(
    `${JSON.stringify({ url: server.url, canister_id: devnet.canisterId.toText(), root_key: toHex(devnet.rootKey) })}\n`,
  );
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      log(`devnet: ${signal}: finishing the current round and writing a snapshot`);
      done();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await server.close();
  await devnet.close();
  unlock();
  log('devnet: stopped');
  return { out: '', code: 0 };
}
