/**
 * DMARC alignment by organizational domain end to end (protocol.md §6, RFC 7489 §3.2, §6.6.3): mail signed by
 * dkimpy with d=ecdsa.wxtest and From: …@sub.ecdsa.wxtest (a name without records, so without a DMARC record of
 * its own) in the BIND-signed test zones. The proof builder fetches `_dmarc.ecdsa.wxtest`, the organizational
 * domain's record; verifyEmail and the compiled canister accept the mail. Then the Public Suffix List is replaced
 * through the install/upgrade argument (`public_suffix_list`): a list naming ecdsa.wxtest a public suffix makes
 * the same mail `PublicSuffixAlignment`; a malformed list is refused and changes nothing; "" returns to the
 * shipped snapshot.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { describe, expect, it } from 'vitest';
import { proofLookup } from '../src/challenge/proof-lookup.ts';
import { pureCrypto } from '../src/crypto/pure.ts';
import { proofForMessage } from '../src/proof/message.ts';
import { verifyEmail } from '../src/verify-email.ts';
import { encodeInit, WASM } from './helpers/canister.ts';
import { ANCHORS, challengeMail, VERIFY_TIME, ZONE } from './helpers/challenge-mail.ts';
import { useEmailCanister } from './helpers/email-canister.ts';
import { ok } from './helpers/result.ts';

const ORG = 'ecdsa.wxtest';
const SUB = `sub.${ORG}`;

/** A list in the official format that makes the test zones' ecdsa.wxtest a public suffix (private section). */
const PSL_WITH_ORG_AS_SUFFIX = `// ===BEGIN ICANN DOMAINS===
com
wxtest
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
${ORG}
// ===END PRIVATE DOMAINS===
`;

const proofOpts = { anchors: ANCHORS, now: VERIFY_TIME, crypto: pureCrypto };

/** The signed mail for `nonce`, and the proof the gateway would attach to it. */
async function mailAndProof(address: string, nonce: string, mailbox: string) {
  const message = challengeMail(address, nonce, mailbox, { domain: ORG });
  const out = await proofForMessage(message, ZONE, proofOpts);
  if (out.kind !== 'attached') throw new Error(`no proof: ${out.reason}: ${out.detail}`);
  return { message, proof: out.proof, names: out.names };
}

describe('From a subdomain, d= its organizational domain: verifyEmail over the gateway’s proof', () => {
  it('the proof carries _dmarc.ecdsa.wxtest (none at the From domain) and the verdict is aligned (relaxed)', async () => {
    const { message, proof, names } = await mailAndProof(
      `frank@${SUB}`,
      'WX-aaaaaaaaaaaaaaaaaaaa',
      'recover@x.test',
    );
    expect(names).toEqual([`sel._domainkey.${ORG}`, `_dmarc.${ORG}`]);
    const read = proofLookup(proof, proofOpts);
    if (!read.ok) throw new Error(read.detail);
    const v = await verifyEmail(message, read.lookup, VERIFY_TIME, { crypto: pureCrypto });
    expect(v).toMatchObject({ accepted: true, reason: 'Accepted', from: `frank@${SUB}` });
    expect(v.dmarc).toMatchObject({
      result: 'pass',
      alignment: 'relaxed',
      recordName: `_dmarc.${ORG}`,
      organizationalDomain: ORG,
    });
  });
});

describe('the canister: the shipped list, then public_suffix_list in the install and upgrade arguments', () => {
  const c = useEmailCanister({ public_suffix_list: PSL_WITH_ORG_AS_SUFFIX });
  const owner = Ed25519KeyIdentity.generate();
  let n = 0;

  /** Sets up a new identity with a fresh address at SUB: the challenge's final status. */
  async function setUp() {
    const anchor = ok(await c.actor(owner).create_identity());
    const address = `user${n++}@${SUB}`;
    const ch = ok(await c.actor(owner).email_setup_prepare(anchor, address));
    const { message, proof } = await mailAndProof(address, ch.nonce, ch.mailbox);
    const reply = await c.actor(Ed25519KeyIdentity.generate()).smtp_request({
      envelope: { mail_from: 'someone@example.test', rcpt_to: [ch.mailbox] },
      message,
      dns_proof: [proof],
    });
    expect(reply).toEqual({ Ok: null });
    return { address, status: await c.actor().email_challenge_status(ch.nonce) };
  }

  const upgrade = (public_suffix_list: string) =>
    c.backend.upgrade(c.id, WASM, { arg: encodeInit({ public_suffix_list }) });

  it('installed with a list naming ecdsa.wxtest a suffix: PublicSuffixAlignment', async () => {
    expect((await c.actor().config()).public_suffix_list).toMatchObject({
      custom: true,
      detail: expect.stringMatching(
        /^custom: 3 rules \(ICANN 2, private 1, unsectioned 0\), sha256 [0-9a-f]{16}…$/,
      ),
    });
    const { status } = await setUp();
    expect(status).toMatchObject({ Failed: { code: 'PublicSuffixAlignment' } });
    if (!('Failed' in status)) throw new Error('not Failed');
    expect(status.Failed.message).toMatch(/d=ecdsa\.wxtest can never align with sub\.ecdsa\.wxtest/);
  });

  it('a malformed list in the upgrade argument is refused with its line, and changes nothing', async () => {
    const before = await c.actor().config();
    await expect(upgrade('com\nbad..rule\n')).rejects.toThrow(/public_suffix_list: PslBadRule at line 2/);
    await expect(upgrade('// ===BEGIN ICANN DOMAINS===\ncom\n')).rejects.toThrow(/PslBadSection/);
    await expect(upgrade('// nothing but comments\n')).rejects.toThrow(/PslEmpty/);
    expect(await c.actor().config()).toEqual(before);
    expect((await setUp()).status).toMatchObject({ Failed: { code: 'PublicSuffixAlignment' } });
  });

  it('"" returns to the shipped snapshot: the same mail sets up; the custom list again refuses it', async () => {
    await upgrade('');
    expect((await c.actor().config()).public_suffix_list).toEqual({
      custom: false,
      detail: expect.stringMatching(/^shipped: tldts /),
    });
    const shipped = await setUp();
    expect(shipped.status).toEqual({ SetupComplete: { address: shipped.address } });

    await upgrade(PSL_WITH_ORG_AS_SUFFIX);
    expect((await setUp()).status).toMatchObject({ Failed: { code: 'PublicSuffixAlignment' } });
    // An upgrade without the field keeps the stored list (read again from stable memory in the new heap).
    await c.backend.upgrade(c.id, WASM, { arg: encodeInit({}) });
    expect((await c.actor().config()).public_suffix_list.custom).toBe(true);
    expect((await setUp()).status).toMatchObject({ Failed: { code: 'PublicSuffixAlignment' } });
  });
});
