/**
 * Issue 13's instruction targets for the email path, on the instrumented wasm in the Node host (instruction counts
 * are deterministic): `smtp_request` with a DNSSEC proof ≤ 0.8 B cold and ≤ 0.3 B warm for the reference case
 * (RSA-2048 DKIM, a ≈ 5 KB body, P-256 zones under the RSA test root), ≤ 1.2 B cold for the cross-zone CNAME case;
 * and the per-phase accounting on /metrics (canister/metering.ts) adds up to the call. `npm run bench:canister`
 * records the same figures in bench/canister.json.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { afterAll, describe, expect, it } from 'vitest';
import { type Deployed, INSTR_WASM, metricsText } from './helpers/canister.ts';
import { challengeMail, type DkimKeyName, emailProof } from './helpers/challenge-mail.ts';
import { deployEmailCanister } from './helpers/email-canister.ts';
import { ok } from './helpers/result.ts';

const BODY = `${'A typical line of a recovery email, with some words in it. '.repeat(80)}\r\n`;
const owner = Ed25519KeyIdentity.generate();
const deployed: Deployed[] = [];

async function fresh(): Promise<Deployed> {
  const c = await deployEmailCanister({}, INSTR_WASM);
  deployed.push(c);
  return c;
}

/** smtp_request's instructions per phase, from /metrics. */
async function phases(c: Deployed): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const sample = /^waxseal_email_instructions_total\{method="smtp_request",phase="([^"]+)"\} (\d+)$/gm;
  for (const m of (await metricsText(c)).matchAll(sample)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** One setup email from `address`, signed with `key`, with `proof` attached; its instructions. */
async function email(c: Deployed, address: string, key: DkimKeyName, selector: string, proof: Uint8Array) {
  const anchor = ok(await c.actor(owner).create_identity());
  const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
  await c.actor().smtp_request({
    envelope: { mail_from: 'x@y.test', rcpt_to: [ch.mailbox] },
    message: challengeMail(address, ch.nonce, ch.mailbox, { key, selector, body: BODY }),
    dns_proof: [proof],
  });
  const instructions = Number(c.backend.instructionsOfLastCall());
  expect(await c.actor().email_challenge_status(ch.nonce)).toMatchObject({ SetupComplete: {} });
  return instructions;
}

afterAll(async () => {
  for (const c of deployed) await c.backend.tearDown();
});

// PocketIC reports no instruction counts, so these run on the Node host only.
describe.skipIf(process.env.POCKET_IC_BIN)('smtp_request instructions (instrumented wasm)', () => {
  it('reference case: ≤ 0.8 B cold, ≤ 0.3 B warm, and the phases add up to the call', async () => {
    const c = await fresh();
    const proof = (await emailProof('deep.ecdsa.wxtest', ['rsa'])).chain;
    const cold = await email(c, 'cold@deep.ecdsa.wxtest', 'rsa2048', 'rsa', proof);
    const afterCold = await phases(c);
    const warm = await email(c, 'warm@deep.ecdsa.wxtest', 'rsa2048', 'rsa', proof);
    expect(cold).toBeLessThanOrEqual(800_000_000);
    expect(warm).toBeLessThanOrEqual(300_000_000);

    for (const phase of ['candid_decode', 'parse', 'precheck', 'dnssec', 'dnssec/ecdsa_p256', 'dnssec/rsa']) {
      expect(afterCold.get(phase), phase).toBeGreaterThan(0);
    }
    for (const phase of [
      'body_hash',
      'body_hash/sha256',
      'header_hash',
      'signature/rsa',
      'dkim',
      'store',
      'other',
    ]) {
      expect(afterCold.get(phase), phase).toBeGreaterThan(0);
    }
    // Everything the method body did is charged to some phase; only the reply's encoding comes after.
    const seen = [...afterCold.values()].reduce((a, b) => a + b, 0);
    expect(seen).toBeLessThanOrEqual(cold);
    expect(seen).toBeGreaterThan(cold * 0.97);
    // The warm email re-verifies no zone key: two P-256 verifications (the key's and DMARC's TXT RRsets).
    const warmP256 = ((await phases(c)).get('dnssec/ecdsa_p256') ?? 0) - afterCold.get('dnssec/ecdsa_p256')!;
    expect(warmP256).toBeGreaterThan(120_000_000);
    expect(warmP256).toBeLessThan(200_000_000);
  }, 120_000);

  it('Ed25519 DKIM behind a cross-zone CNAME: ≤ 1.2 B cold', async () => {
    const c = await fresh();
    const proof = (await emailProof('cname-src.wxtest', ['sel'])).chain;
    expect(await email(c, 'cold@cname-src.wxtest', 'ed25519', 'sel', proof)).toBeLessThanOrEqual(
      1_200_000_000,
    );
  }, 120_000);
});
