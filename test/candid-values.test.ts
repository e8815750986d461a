/** The hand-written Candid value writer of the status reply equals @dfinity/candid's encoding byte for byte. */
import { IDL } from '@icp-sdk/core/candid';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHALLENGE_STATUS_SHAPE,
  decodeCanonicalTextArg,
  fieldId,
  replyWriter,
  SUBMIT_PROOF_RESULT_SHAPE,
} from '../canister/candid-values.ts';
import { idlFactory } from '../canister/declarations/waxseal.did.ts';

// The ChallengeStatus type as the generated bindings define it (the return type of email_challenge_status).
const service = idlFactory({ IDL }) as unknown as { _fields: [string, IDL.FuncClass][] };
const returnType = (method: string) => service._fields.find(([name]) => name === method)![1].retTypes[0]!;
const statusType = returnType('email_challenge_status');
const submitProofType = returnType('email_challenge_submit_proof');

const textArb = fc.string({ maxLength: 40 });
/** fc.record builds null-prototype objects, which IDL.encode refuses; spread them into plain ones. */
const plain = <T extends object>(o: T): T => ({ ...o });
const checkArb = fc
  .record({
    name: textArb,
    status: fc.constantFrom({ Pass: null }, { Fail: null }, { Skipped: null }),
    detail: textArb,
  })
  .map(plain);
const statusArb = fc.oneof(
  fc.constant({ Pending: null }),
  fc.constant({ Resolving: null }),
  fc.constant({ Expired: null }),
  fc
    .record({ domain: textArb, selectors: fc.array(textArb), key_names: fc.array(textArb) })
    .map((NeedProof) => ({ NeedProof: plain(NeedProof) })),
  textArb.map((address) => ({ SetupComplete: { address } })),
  fc
    .record({
      anchor: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      user_key: fc.uint8Array({ maxLength: 80 }),
      expiration: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    })
    .map((RecoveryReady) => ({ RecoveryReady: plain(RecoveryReady) })),
  fc
    .record({ code: textArb, message: textArb, checks: fc.array(checkArb, { maxLength: 12 }) })
    .map((Failed) => ({ Failed: plain(Failed) })),
);

describe('Candid value writer', () => {
  it('hashes labels as Candid does', () => {
    expect(fieldId('a')).toBe(97);
    expect(fieldId('Pending')).toBe(idlLabelId('Pending'));
  });

  it('encodes every ChallengeStatus exactly like IDL.encode', () => {
    const sample = { Expired: null };
    const reply = replyWriter(
      CHALLENGE_STATUS_SHAPE,
      new Uint8Array(IDL.encode([statusType], [sample])),
      sample,
    );
    fc.assert(
      fc.property(statusArb, (status) => {
        expect(reply(status)).toEqual(new Uint8Array(IDL.encode([statusType], [status])));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes every SubmitProofResult (a status, or an ApiError) exactly like IDL.encode', () => {
    const sample = { Ok: { Pending: null } };
    const reply = replyWriter(
      SUBMIT_PROOF_RESULT_SHAPE,
      new Uint8Array(IDL.encode([submitProofType], [sample])),
      sample,
    );
    const resultArb = fc.oneof(
      statusArb.map((Ok) => ({ Ok })),
      fc.record({ code: textArb, message: textArb }).map((Err) => ({ Err: plain(Err) })),
    );
    fc.assert(
      fc.property(resultArb, (result) => {
        expect(reply(result)).toEqual(new Uint8Array(IDL.encode([submitProofType], [result])));
      }),
      { numRuns: 300 },
    );
  });
});

describe('canonical text argument', () => {
  it('reads what IDL.encode writes, for any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'grapheme' }), (text) => {
        expect(decodeCanonicalTextArg(new Uint8Array(IDL.encode([IDL.Text], [text])))).toBe(text);
      }),
    );
  });
  it('declines anything else, so IDL.decode decides', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const got = decodeCanonicalTextArg(bytes);
        if (got !== undefined) expect(IDL.decode([IDL.Text], bytes)[0]).toBe(got);
      }),
    );
    expect(
      decodeCanonicalTextArg(new Uint8Array(IDL.encode([IDL.Text, IDL.Nat8], ['x', 1]))),
    ).toBeUndefined();
  });
});

function idlLabelId(label: string): number {
  // @icp-sdk/core's hash, via a one-field record's type table: the field id is its first LEB128 after the opcode.
  const bytes = new Uint8Array(IDL.encode([IDL.Record({ [label]: IDL.Null })], [{ [label]: null }]));
  let i = 4 + 1 + 1 + 1; // DIDL, 1 type, record opcode (0x6c), 1 field
  let v = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[i++]!;
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  return v;
}
