/**
 * Instruction counts per canister operation, on the instrumented wasm (build/waxseal.instr.wasm, ic-wasm's
 * counter exported by scripts/build-canister.sh) in the project's Node host. Writes bench/canister.json as
 * {"<operation>": <instructions>} and prints a table. Run: `npm run bench:canister`.
 *
 * An update that awaits an inter-canister call (the prepare methods call raw_rand) runs as several messages; the
 * figure covers its whole call context. `canister_post_upgrade` includes the pre_upgrade hook.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { deploy, encodeInit, INSTR_WASM } from '../test/helpers/canister.ts';
import { bytes, compose, emailProof, signMail, VERIFY_TIME } from '../test/helpers/challenge-mail.ts';
import { GENERATED_DIR } from './local-stack/dns.ts';

const NS = 1_000_000_000n;
const HOST = 'mail.waxseal.test';
const ORIGIN = 'https://app.waxseal.test';
const ANCHORS = readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8').trim().split('\n');
const BODY = `${'A typical line of a recovery email, with some words in it. '.repeat(80)}\r\n`; // ≈ 5 KB

const fresh = () =>
  deploy({ app_origin: ORIGIN, mail_hosts: [HOST], root_anchors: ANCHORS }, INSTR_WASM, {
    now: BigInt(VERIFY_TIME) * NS,
  });
/** A new canister per DNSSEC case, so "cold" means an empty zone-key cache and a heap without the P-256 table. */
let c = await fresh();
const owner = Ed25519KeyIdentity.generate();
const results: Record<string, number> = {};

function ok<T>(r: { Ok: T } | { Err: { code: string; message: string } }): T {
  if ('Err' in r) throw new Error(`${r.Err.code}: ${r.Err.message}`);
  return r.Ok;
}

/** Instructions of the call `run` makes: its whole call context (callbacks of awaited calls included). */
async function measure<T>(name: string, run: () => Promise<T>): Promise<T> {
  const out = await run();
  const n = c.backend.instructionsOfLastCall();
  if (n === undefined) throw new Error('no instruction count: is the wasm instrumented?');
  results[name] = Number(n);
  return out;
}

function signed(from: string, nonce: string, key: 'rsa2048' | 'ed25519', selector: string) {
  const [m] = signMail([
    {
      message: compose({ from, subject: `Waxseal ${nonce}`, to: `register@${HOST}`, body: BODY }),
      domain: from.split('@')[1]!,
      selector,
      key,
      headers: ['from', 'to', 'subject', 'date', 'message-id'],
      timestamp: VERIFY_TIME - 60,
    },
  ]);
  return bytes(m!);
}

async function smtpCase(label: string, domain: string, key: 'rsa2048' | 'ed25519', selector: string) {
  await c.backend.tearDown();
  c = await fresh();
  const proof = await emailProof(domain, [selector]);
  for (const phase of ['cold', 'warm']) {
    const anchor = ok(await c.actor(owner).create_identity());
    const address = `bench-${phase}-${label}@${domain}`;
    const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
    await measure(`smtp_request_${label}_${phase}`, () =>
      c.actor().smtp_request({
        envelope: { mail_from: 'x@y.test', rcpt_to: [ch.mailbox] },
        message: signed(address, ch.nonce, key, selector),
        dns_proof: [proof.chain],
      }),
    );
    const status = await c.actor().email_challenge_status(ch.nonce);
    if (!('SetupComplete' in status))
      throw new Error(`${label} ${phase}: ${JSON.stringify(Object.keys(status))}`);
  }
  return proof;
}

// The reference case: RSA-2048 DKIM, proof through 4 zones, ECDSA from the TLD down
// (RSA test root → ECDSA wxtest. → ECDSA ecdsa.wxtest. → ECDSA deep.ecdsa.wxtest.).
await smtpCase('dnssec', 'deep.ecdsa.wxtest', 'rsa2048', 'rsa');
// The same proof with an Ed25519 DKIM signature.
await smtpCase('dnssec_ed25519', 'deep.ecdsa.wxtest', 'ed25519', 'sel');
// RSA-2048 DKIM in an RSA zone (RSA root → ECDSA TLD → RSA zone: 3 zones).
await smtpCase('dnssec_rsa_zone', 'rsa2048.wxtest', 'rsa2048', 'rsa');
// Ed25519 DKIM behind a cross-zone CNAME (RSA root → ECDSA TLD → RSA cname-src → ECDSA ecdsa: 4 zones).
const cnameProof = await smtpCase('dnssec_cname', 'cname-src.wxtest', 'ed25519', 'sel');

// Two-phase: NeedProof, then the proof.
{
  const anchor = ok(await c.actor(owner).create_identity());
  const address = 'bench-submit@cname-src.wxtest';
  const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
  await measure('smtp_request_need_proof', () =>
    c.actor().smtp_request({
      envelope: { mail_from: 'x@y.test', rcpt_to: [ch.mailbox] },
      message: signed(address, ch.nonce, 'ed25519', 'sel'),
      dns_proof: [],
    }),
  );
  await measure('email_challenge_submit_proof', () =>
    c.actor().email_challenge_submit_proof(ch.nonce, cnameProof.chain),
  );
  await measure('email_challenge_status', () => c.actor().email_challenge_status(ch.nonce));
}

const sessionKey = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
await measure('email_recovery_prepare', () =>
  c.actor().email_recovery_prepare('someone@ecdsa.wxtest', sessionKey),
);

const anchor = ok(await c.actor(owner).create_identity());
const first = await measure('prepare_delegation_1_live', () =>
  c.actor(owner).prepare_delegation(anchor, ORIGIN, sessionKey, []),
);
await measure('get_delegation_1_live', () =>
  c.actor(owner).get_delegation(anchor, ORIGIN, sessionKey, ok(first).expiration),
);
// 98 more live signatures (all within their one-minute lifetime), so the next one is the 100th.
for (let i = 0; i < 98; i++) {
  const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
  ok(await c.actor(owner).prepare_delegation(anchor, ORIGIN, key, []));
}
const key100 = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
const p100 = await measure('prepare_delegation_100_live', () =>
  c.actor(owner).prepare_delegation(anchor, ORIGIN, key100, []),
);
await measure('get_delegation_100_live', () =>
  c.actor(owner).get_delegation(anchor, ORIGIN, key100, ok(p100).expiration),
);

await measure('canister_post_upgrade', () =>
  c.backend.upgrade(c.id, INSTR_WASM, { arg: encodeInit(null), tick: false }),
);

// The same upgrade with 10 RecoveryReady recoveries, whose delegations post_upgrade signs again.
{
  const address = 'bench-recovery@cname-src.wxtest';
  const recovered = ok(await c.actor(owner).create_identity());
  const setup = ok(await c.actor(owner).email_setup_prepare(recovered, address));
  const deliver = (nonce: string, mailbox: string) =>
    c.actor().smtp_request({
      envelope: { mail_from: 'x@y.test', rcpt_to: [mailbox] },
      message: signed(address, nonce, 'ed25519', 'sel'),
      dns_proof: [cnameProof.chain],
    });
  await deliver(setup.nonce, setup.mailbox);
  for (let i = 0; i < 10; i++) {
    const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    const ch = ok(await c.actor().email_recovery_prepare(address, key));
    await deliver(ch.nonce, ch.mailbox);
    const status = await c.actor().email_challenge_status(ch.nonce);
    if (!('RecoveryReady' in status)) throw new Error(`recovery ${i}: ${Object.keys(status)[0]}`);
  }
  await measure('canister_post_upgrade_10_recovery_ready', () =>
    c.backend.upgrade(c.id, INSTR_WASM, { arg: encodeInit(null), tick: false }),
  );
}

const budgets: Record<string, number> = {
  smtp_request_dnssec_cold: 2_000_000_000,
  smtp_request_dnssec_ed25519_cold: 2_000_000_000,
  smtp_request_dnssec_rsa_zone_cold: 2_000_000_000,
  smtp_request_dnssec_cname_cold: 2_000_000_000,
  email_challenge_status: 10_000_000,
  get_delegation_100_live: 100_000_000,
};
mkdirSync(join(import.meta.dirname, '..', 'bench'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, '..', 'bench', 'canister.json'),
  `${JSON.stringify(results, null, 2)}\n`,
);
console.table(
  Object.entries(results).map(([operation, n]) => ({
    operation,
    instructions: n.toLocaleString('en-US'),
    budget: budgets[operation]?.toLocaleString('en-US') ?? '',
    within: budgets[operation] === undefined ? '' : n <= budgets[operation]! ? 'yes' : 'NO',
  })),
);
await c.backend.tearDown();
if (Object.entries(budgets).some(([operation, budget]) => (results[operation] ?? 0) > budget)) {
  console.error('bench:canister: a budget is exceeded');
  process.exitCode = 1;
}
