/**
 * Instruction counts per canister operation, on the instrumented wasm (build/waxseal.instr.wasm, ic-wasm's
 * counter exported by scripts/build-canister.sh) in the project's Node host. Writes bench/canister.json and prints
 * tables. Run: `npm run bench:canister`.
 *
 * bench/canister.json:
 * - `instructions`: one figure per operation, the whole call context (an update that awaits an inter-canister
 *   call, like the prepare methods' raw_rand, runs as several messages). `canister_post_upgrade` includes the
 *   pre_upgrade hook.
 * - `phases`: for the email methods, the same figure split by verification phase, read from the canister's own
 *   accounting (`waxseal_email_instructions_total` on /metrics, canister/metering.ts) before and after the call;
 *   `reply` is what the canister cannot see from inside (the reply's Candid encoding, Azle's bookkeeping).
 * - `growth`: smtp_request at 1, 5, 16 and 64 KiB with 1, 2 and 4 DKIM signatures (issue 13).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import type { EmailProof } from '../src/proof/email.ts';
import { deploy, encodeInit, INSTR_WASM, metricsText } from '../test/helpers/canister.ts';
import {
  bytes,
  compose,
  emailProof,
  type MailJob,
  signMail,
  VERIFY_TIME,
} from '../test/helpers/challenge-mail.ts';
import { ok } from '../test/helpers/result.ts';
import { GENERATED_DIR } from './local-stack/dns.ts';

const NS = 1_000_000_000n;
const HOST = 'mail.waxseal.test';
const ORIGIN = 'https://app.waxseal.test';
const ANCHORS = readFileSync(join(GENERATED_DIR, 'anchors.ds'), 'utf8').trim().split('\n');
const LINE = 'A typical line of a recovery email, with some words in it. ';
const BODY = `${LINE.repeat(80)}\r\n`; // ≈ 5 KB
const MESSAGE_LIMIT = 64 * 1024;

const fresh = () =>
  deploy({ app_origin: ORIGIN, mail_hosts: [HOST], root_anchors: ANCHORS }, INSTR_WASM, {
    now: BigInt(VERIFY_TIME) * NS,
  });
/** A new canister per DNSSEC case, so "cold" means an empty zone-key cache and a heap without the P-256 table. */
let c = await fresh();
const owner = Ed25519KeyIdentity.generate();
const instructions: Record<string, number> = {};
const phases: Record<string, Record<string, number>> = {};
const growth: Record<string, number> = {};

type Method = 'smtp_request' | 'email_challenge_submit_proof';

/** The canister's per-phase totals of `method` (canister/metering.ts), from /metrics. */
async function phaseTotals(method: Method): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const sample = /^waxseal_email_instructions_total\{method="([^"]+)",phase="([^"]+)"\} (\d+)$/gm;
  for (const m of (await metricsText(c)).matchAll(sample)) {
    if (m[1] === method) out.set(m[2]!, Number(m[3]));
  }
  return out;
}

/** Instructions of the call `run` makes (its whole call context); for an email method, per phase too. */
async function measure<T>(name: string, run: () => Promise<T>, method?: Method): Promise<T> {
  const before = method ? await phaseTotals(method) : null;
  const out = await run();
  const n = c.backend.instructionsOfLastCall();
  if (n === undefined) throw new Error('no instruction count: is the wasm instrumented?');
  instructions[name] = Number(n);
  if (method && before) {
    const split: Record<string, number> = {};
    let seen = 0;
    for (const [phase, total] of await phaseTotals(method)) {
      const delta = total - (before.get(phase) ?? 0);
      if (delta === 0) continue;
      split[phase] = delta;
      seen += delta;
    }
    split.reply = Number(n) - seen;
    phases[name] = split;
  }
  return out;
}

type Key = 'rsa2048' | 'ed25519';
type Signer = { key: Key; selector: string; canonicalize: NonNullable<MailJob['canonicalize']> };

const RSA: Signer = { key: 'rsa2048', selector: 'rsa', canonicalize: 'relaxed/relaxed' };
const ED25519: Signer = { key: 'ed25519', selector: 'sel', canonicalize: 'relaxed/relaxed' };
/** 1, 2 and 4 signatures: RSA, then Ed25519 (RFC 8463 dual signing), then both again with c=simple/simple. */
const SIGNER_SETS: Signer[][] = [
  [RSA],
  [RSA, ED25519],
  [RSA, ED25519, { ...RSA, canonicalize: 'simple/simple' }, { ...ED25519, canonicalize: 'simple/simple' }],
];

/** `message` signed by each signer in turn (the last signer's DKIM-Signature ends up on top). */
function signAll(message: string, domain: string, signers: Signer[]): Uint8Array {
  let text = message;
  for (const s of signers) {
    [text] = signMail([
      {
        message: text,
        domain,
        selector: s.selector,
        key: s.key,
        canonicalize: s.canonicalize,
        headers: ['from', 'to', 'subject', 'date', 'message-id'],
        timestamp: VERIFY_TIME - 60,
      },
    ]) as [string];
  }
  return bytes(text);
}

function mail(address: string, nonce: string, body: string, signers: Signer[]): Uint8Array {
  const message = compose({ from: address, subject: `Waxseal ${nonce}`, to: `register@${HOST}`, body });
  return signAll(message, address.split('@')[1]!, signers);
}

/** One setup challenge for `address`, answered by `message(nonce)` with `proof`; must complete. */
async function deliver(
  name: string,
  address: string,
  proof: EmailProof,
  message: (nonce: string) => Uint8Array,
): Promise<number> {
  const anchor = ok(await c.actor(owner).create_identity());
  const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
  const raw = message(ch.nonce);
  await measure(
    name,
    () =>
      c.actor().smtp_request({
        envelope: { mail_from: 'x@y.test', rcpt_to: [ch.mailbox] },
        message: raw,
        dns_proof: [proof.chain],
      }),
    'smtp_request',
  );
  const status = await c.actor().email_challenge_status(ch.nonce);
  if (!('SetupComplete' in status)) throw new Error(`${name}: ${JSON.stringify(Object.keys(status))}`);
  return raw.length;
}

async function smtpCase(label: string, domain: string, signer: Signer) {
  await c.backend.tearDown();
  c = await fresh();
  const proof = await emailProof(domain, [signer.selector]);
  for (const phase of ['cold', 'warm']) {
    const address = `bench-${phase}-${label}@${domain}`;
    await deliver(`smtp_request_${label}_${phase}`, address, proof, (nonce) =>
      mail(address, nonce, BODY, [signer]),
    );
  }
  return proof;
}

// The reference case: RSA-2048 DKIM, proof through 4 zones, ECDSA from the TLD down
// (RSA test root → ECDSA wxtest. → ECDSA ecdsa.wxtest. → ECDSA deep.ecdsa.wxtest.).
await smtpCase('dnssec', 'deep.ecdsa.wxtest', RSA);
// The same proof with an Ed25519 DKIM signature.
await smtpCase('dnssec_ed25519', 'deep.ecdsa.wxtest', ED25519);
// RSA-2048 DKIM in an RSA zone (RSA root → ECDSA TLD → RSA zone: 3 zones).
await smtpCase('dnssec_rsa_zone', 'rsa2048.wxtest', RSA);
// Ed25519 DKIM behind a cross-zone CNAME (RSA root → ECDSA TLD → RSA cname-src → ECDSA ecdsa: 4 zones).
const cnameProof = await smtpCase('dnssec_cname', 'cname-src.wxtest', ED25519);

// Two-phase: NeedProof, then the proof.
{
  const anchor = ok(await c.actor(owner).create_identity());
  const address = 'bench-submit@cname-src.wxtest';
  const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
  await measure(
    'smtp_request_need_proof',
    () =>
      c.actor().smtp_request({
        envelope: { mail_from: 'x@y.test', rcpt_to: [ch.mailbox] },
        message: mail(address, ch.nonce, BODY, [ED25519]),
        dns_proof: [],
      }),
    'smtp_request',
  );
  await measure(
    'email_challenge_submit_proof',
    () => c.actor().email_challenge_submit_proof(ch.nonce, cnameProof.chain),
    'email_challenge_submit_proof',
  );
  await measure('email_challenge_status', () => c.actor().email_challenge_status(ch.nonce));
}

// Growth: message size × signature count on the reference domain, warm (the zone keys are cached by a first
// email), then the worst case cold: 64 KiB with 4 signatures on a fresh canister, for the reference chain and for
// the costliest one (the CNAME).
{
  const domain = 'deep.ecdsa.wxtest';
  const both = await emailProof(domain, ['rsa', 'sel']);
  /** A body of whole lines that makes the signed message `kib` KiB (at most the 64 KiB limit). */
  const bodyFor = (kib: number, signers: Signer[]) => {
    const overhead = mail(`bench-size@${domain}`, 'WX-aaaaaaaaaaaaaaaaaaaa', '', signers).length + 64;
    const line = `${LINE.slice(0, 78)}\r\n`;
    return line.repeat(Math.max(1, Math.floor((kib * 1024 - overhead) / line.length)));
  };
  await c.backend.tearDown();
  c = await fresh();
  await deliver('growth_warmup', `bench-warmup@${domain}`, both, (n) =>
    mail(`bench-warmup@${domain}`, n, BODY, [RSA]),
  );
  for (const kib of [1, 5, 16, 64]) {
    for (const [i, signers] of SIGNER_SETS.entries()) {
      const address = `bench-${kib}k-${i}@${domain}`;
      const body = bodyFor(kib, signers);
      const name = `smtp_request_${kib}KiB_${signers.length}sig_warm`;
      const size = await deliver(name, address, both, (n) => mail(address, n, body, signers));
      if (size > MESSAGE_LIMIT) throw new Error(`${name}: ${size} bytes exceeds the limit`);
      growth[name] = instructions[name]!;
      delete instructions[name];
    }
  }
  delete instructions.growth_warmup;
  delete phases.growth_warmup;
  const worst = [
    { label: 'reference', domain, proof: both, signers: SIGNER_SETS[2]! },
    {
      label: 'cname',
      domain: 'cname-src.wxtest',
      proof: await emailProof('cname-src.wxtest', ['sel']),
      signers: [
        ED25519,
        ED25519,
        { ...ED25519, canonicalize: 'simple/simple' as const },
        { ...ED25519, canonicalize: 'simple/simple' as const },
      ],
    },
  ];
  for (const w of worst) {
    await c.backend.tearDown();
    c = await fresh();
    const address = `bench-worst@${w.domain}`;
    const body = bodyFor(64, w.signers);
    const name = `smtp_request_64KiB_4sig_cold_${w.label}`;
    await deliver(name, address, w.proof, (n) => mail(address, n, body, w.signers));
    growth[name] = instructions[name]!;
    delete instructions[name];
  }
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
  const send = (nonce: string, mailbox: string) =>
    c.actor().smtp_request({
      envelope: { mail_from: 'x@y.test', rcpt_to: [mailbox] },
      message: mail(address, nonce, BODY, [ED25519]),
      dns_proof: [cnameProof.chain],
    });
  await send(setup.nonce, setup.mailbox);
  for (let i = 0; i < 10; i++) {
    const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
    const ch = ok(await c.actor().email_recovery_prepare(address, key));
    await send(ch.nonce, ch.mailbox);
    const status = await c.actor().email_challenge_status(ch.nonce);
    if (!('RecoveryReady' in status)) throw new Error(`recovery ${i}: ${Object.keys(status)[0]}`);
  }
  await measure('canister_post_upgrade_10_recovery_ready', () =>
    c.backend.upgrade(c.id, INSTR_WASM, { arg: encodeInit(null), tick: false }),
  );
}

/** Issue 13's targets for the email path, and the older budgets. */
const budgets: Record<string, number> = {
  smtp_request_dnssec_cold: 800_000_000,
  smtp_request_dnssec_warm: 300_000_000,
  smtp_request_dnssec_ed25519_cold: 1_200_000_000,
  smtp_request_dnssec_rsa_zone_cold: 1_200_000_000,
  smtp_request_dnssec_cname_cold: 1_200_000_000,
  smtp_request_64KiB_4sig_cold_reference: 4_000_000_000,
  smtp_request_64KiB_4sig_cold_cname: 4_000_000_000,
  email_challenge_status: 10_000_000,
  get_delegation_100_live: 100_000_000,
};
const all = { ...instructions, ...growth };
mkdirSync(join(import.meta.dirname, '..', 'bench'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, '..', 'bench', 'canister.json'),
  `${JSON.stringify({ instructions, phases, growth }, null, 2)}\n`,
);
const fmt = (n: number | undefined) => (n === undefined ? '' : n.toLocaleString('en-US'));
console.table(
  Object.entries(all).map(([operation, n]) => ({
    operation,
    instructions: fmt(n),
    budget: fmt(budgets[operation]),
    within: budgets[operation] === undefined ? '' : n <= budgets[operation]! ? 'yes' : 'NO',
  })),
);
const columns = [...new Set(Object.values(phases).flatMap((p) => Object.keys(p)))].sort();
console.table(
  Object.fromEntries(
    Object.entries(phases).map(([name, p]) => [
      name,
      Object.fromEntries(columns.map((k) => [k, p[k] === undefined ? '' : (p[k]! / 1e6).toFixed(1)])),
    ]),
  ),
);
await c.backend.tearDown();
if (Object.entries(budgets).some(([operation, budget]) => (all[operation] ?? 0) > budget)) {
  console.error('bench:canister: a budget is exceeded');
  process.exitCode = 1;
}
