/**
 * Hostile input on the compiled canister: bytes that are not Candid are rejected by decoding (no state changes),
 * and hostile values inside valid Candid get typed answers, never a trap.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deployed, deploy, metricsText } from './helpers/canister.ts';

let c: Deployed;
const owner = Ed25519KeyIdentity.generate();
beforeAll(async () => {
  c = await deploy({ app_origin: 'https://app.waxseal.test', mail_hosts: ['mail.waxseal.test'] });
}, 120_000);
afterAll(async () => c?.backend.tearDown());

const METHODS = [
  'create_identity',
  'add_authenticator',
  'email_setup_prepare',
  'email_recovery_prepare',
  'email_challenge_submit_proof',
  'email_credential_remove',
  'smtp_request',
];

describe('hostile input', () => {
  // Raw (non-Candid) calls go through the Node host's API; PocketIC actors always encode Candid.
  it.runIf(!process.env.POCKET_IC_BIN)(
    'rejects non-Candid arguments without changing state (Node host)',
    async () => {
      const host = c.backend.host!;
      const before = await metricsText(c);
      for (const method of METHODS) {
        for (const arg of [
          new Uint8Array(0),
          Uint8Array.of(0x44, 0x49, 0x44, 0x4c),
          new Uint8Array(64).fill(0xff),
        ]) {
          const r = await host.update(c.id, method, arg);
          expect(r.kind, `${method} with ${arg.length} bytes`).toBe('reject');
        }
      }
      const after = await metricsText(c);
      const strip = (text: string) => text.replace(/^waxseal_cycle_balance .*$/m, '');
      expect(strip(after)).toBe(strip(before));
      // Still serving.
      expect(await c.actor(owner).create_identity()).toMatchObject({ Ok: expect.any(BigInt) });
    },
  );

  it('answers hostile values inside valid Candid with typed results', async () => {
    const anchor = (await c.actor(owner).create_identity()) as { Ok: bigint };
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }),
        fc.string({ maxLength: 300 }),
        async (blob, text) => {
          const smtp = await c.actor().smtp_request({
            envelope: { mail_from: text, rcpt_to: ['recover@mail.waxseal.test'] },
            message: blob,
            dns_proof: [blob],
          });
          expect('Ok' in smtp || ('Err' in smtp && [552, 554].includes(smtp.Err.code))).toBe(true);
          expect(await c.actor().email_challenge_status(text)).toEqual({ Expired: null });
          const submit = await c.actor().email_challenge_submit_proof(text, blob);
          expect(submit).toMatchObject({ Err: { code: expect.any(String) } });
          const prep = await c.actor().email_recovery_prepare(text, blob);
          expect(prep).toMatchObject({
            Err: { code: expect.stringMatching(/^(InvalidSessionKey|InvalidAddress)$/) },
          });
          const setup = await c.actor(owner).email_setup_prepare(anchor.Ok, text);
          expect('Ok' in setup || setup.Err.code === 'InvalidAddress').toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
