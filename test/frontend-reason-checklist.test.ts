/**
 * The failure view's words and checklist (frontend/src/logic/reason-checklist.ts): every canister code has copy,
 * and the checklist read from the `checks` the real challenge flow (src/challenge/flow.ts) produces for
 * dkimpy-signed mail over the generated DNSSEC zones, as the Candid actor would return them.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Check as CandidCheck } from '../canister/declarations/waxseal.did.ts';
import {
  CHECKLIST_ITEMS,
  type ChecklistItem,
  checklist,
  explainReason,
  type ItemState,
  REASONS,
} from '../frontend/src/logic/reason-checklist.ts';
import {
  CHALLENGE_CODES,
  type Challenge,
  type Check,
  type Decision,
  type FlowContext,
  isAllowedName,
  makeNonce,
  NS_PER_SECOND,
  quorumLookup,
  receiveEmail,
  txtRdataToString,
} from '../src/challenge/index.ts';
import { pureCrypto } from '../src/crypto/pure.ts';
import type { TxtAnswer } from '../src/dns/lookup.ts';
import { nameFromText, nameToText } from '../src/dns/name.ts';
import { TYPE } from '../src/dns/types.ts';
import { ANCHORS, bytes, compose, emailProof, signMail, VERIFY_TIME } from './helpers/challenge-mail.ts';
import { allRecords } from './helpers/dnssec-generated.ts';

const NOW = BigInt(VERIFY_TIME) * NS_PER_SECOND;
const CTX: FlowContext = { now: NOW, anchors: ANCHORS, crypto: pureCrypto };
const CONTEXT = { address: 'alice@ed25519.wxtest' };

describe('reason copy', () => {
  it('every canister code has a non-empty explanation and next step', () => {
    expect(Object.keys(REASONS).sort()).toEqual([...CHALLENGE_CODES].sort());
    for (const code of CHALLENGE_CODES) {
      const r = explainReason(code, 'technical', CONTEXT);
      expect(r.known).toBe(true);
      expect(r.explanation.length).toBeGreaterThan(10);
      expect(r.nextStep.length).toBeGreaterThan(10);
      expect(r.explanation).not.toMatch(/technical/);
    }
  });

  it('AddressMismatch names the address to send from', () => {
    const r = explainReason('AddressMismatch', '', CONTEXT);
    expect(r.explanation).toMatch(/different address/);
    expect(r.nextStep).toMatch(/exactly alice@ed25519\.wxtest/);
  });

  it('a code this page does not know falls back to the canister message', () => {
    const r = explainReason('SomethingNew', 'the canister says why', CONTEXT);
    expect(r).toMatchObject({ known: false, code: 'SomethingNew' });
    expect(r.explanation).toMatch(/the canister says why/);
    expect(r.nextStep.length).toBeGreaterThan(0);
  });
});

// --- real checks from the flow -------------------------------------------------------------------------------

const toCandid = (c: Check): CandidCheck => ({
  name: c.name,
  detail: c.detail,
  status: c.status === 'Pass' ? { Pass: null } : c.status === 'Fail' ? { Fail: null } : { Skipped: null },
});

const HEADERS = ['From', 'To', 'Subject', 'Date', 'Message-ID'];
const MAILS = {
  good: { from: 'alice@ed25519.wxtest', domain: 'ed25519.wxtest', headers: HEADERS },
  noSubject: { from: 'alice@ed25519.wxtest', domain: 'ed25519.wxtest', headers: ['From', 'To', 'Date'] },
  crossDomain: { from: 'alice@ed25519.wxtest', domain: 'ecdsa.wxtest', headers: HEADERS },
  // The From domain wxtest is a public suffix (the PSL's implicit * rule): d=ed25519.wxtest below it never aligns.
  suffixFrom: { from: 'alice@wxtest', domain: 'ed25519.wxtest', headers: HEADERS },
};
type MailName = keyof typeof MAILS;
const NONCES = Object.fromEntries(
  Object.keys(MAILS).map((k) => [k, makeNonce(Uint8Array.from(randomBytes(13)))]),
) as Record<MailName, string>;
const SIGNED = (() => {
  const names = Object.keys(MAILS) as MailName[];
  const out = signMail(
    names.map((n) => ({
      message: compose({ from: MAILS[n].from, subject: `Waxseal ${NONCES[n]}` }),
      domain: MAILS[n].domain,
      selector: 'sel',
      key: 'ed25519' as const,
      headers: MAILS[n].headers,
      timestamp: VERIFY_TIME - 120,
    })),
  );
  return Object.fromEntries(names.map((n, i) => [n, bytes(out[i]!)])) as Record<MailName, Uint8Array>;
})();

function challenge(name: MailName, address = 'alice@ed25519.wxtest'): Challenge {
  return {
    nonce: NONCES[name],
    flow: 'setup',
    address,
    anchor: 10_000n,
    sessionKey: null,
    createdAt: NOW - 60n * NS_PER_SECOND,
    expiresAt: NOW + 29n * 60n * NS_PER_SECOND,
    seq: 0n,
    state: { kind: 'Pending' },
  };
}

/** The code (null when verified) and the checks as the Candid actor returns them. */
function outcome(d: Decision): { code: string | null; checks: CandidCheck[] } {
  if (d.kind === 'verified') return { code: null, checks: d.checks.map(toCandid) };
  if (d.kind === 'update' && d.state.kind === 'Failed') {
    return { code: d.state.code, checks: d.state.checks.map(toCandid) };
  }
  throw new Error(`not a final outcome: ${JSON.stringify(d)}`);
}

function states(code: string | null, checks: readonly CandidCheck[]): Record<ChecklistItem, ItemState> {
  const lines = checklist(code, checks);
  expect(lines.map((l) => l.item)).toEqual([...CHECKLIST_ITEMS]);
  for (const l of lines) expect(l.label.length).toBeGreaterThan(0);
  return Object.fromEntries(lines.map((l) => [l.item, l.state])) as Record<ChecklistItem, ItemState>;
}

describe('checklist from real flow checks', () => {
  it('verified with a DNSSEC proof: all six passed', async () => {
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const o = outcome(
      await receiveEmail(challenge('good'), { message: SIGNED.good, flow: 'setup', proof: proof.chain }, CTX),
    );
    expect(states(o.code, o.checks)).toEqual({
      signature: 'passed',
      key: 'passed',
      dnssec: 'passed',
      alignment: 'passed',
      subject: 'passed',
      from: 'passed',
    });
  });

  it('AddressMismatch: From fails, the DKIM lines are not reached', async () => {
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const o = outcome(
      await receiveEmail(
        challenge('good', 'bob@ed25519.wxtest'),
        { message: SIGNED.good, flow: 'setup', proof: proof.chain },
        CTX,
      ),
    );
    expect(o.code).toBe('AddressMismatch');
    expect(states(o.code, o.checks)).toEqual({
      signature: 'not-reached',
      key: 'not-reached',
      dnssec: 'not-reached',
      alignment: 'not-reached',
      subject: 'not-reached',
      from: 'failed',
    });
    const from = checklist(o.code, o.checks).find((l) => l.item === 'from')!;
    expect(from.detail).toMatch(/bob@ed25519\.wxtest/);
  });

  it('SubjectNotSigned: From matches, Subject line fails', async () => {
    const o = outcome(
      await receiveEmail(challenge('noSubject'), { message: SIGNED.noSubject, flow: 'setup' }, CTX),
    );
    expect(o.code).toBe('SubjectNotSigned');
    expect(states(o.code, o.checks)).toMatchObject({
      from: 'passed',
      subject: 'failed',
      signature: 'not-reached',
    });
  });

  it('DmarcNotAligned: signed by another domain', async () => {
    const o = outcome(
      await receiveEmail(challenge('crossDomain'), { message: SIGNED.crossDomain, flow: 'setup' }, CTX),
    );
    expect(o.code).toBe('DmarcNotAligned');
    expect(states(o.code, o.checks)).toMatchObject({
      from: 'passed',
      alignment: 'failed',
      key: 'not-reached',
    });
  });

  it('PublicSuffixAlignment: From a public suffix, signed below it: the alignment line fails', async () => {
    const o = outcome(
      await receiveEmail(
        challenge('suffixFrom', 'alice@wxtest'),
        { message: SIGNED.suffixFrom, flow: 'setup' },
        CTX,
      ),
    );
    expect(o.code).toBe('PublicSuffixAlignment');
    expect(states(o.code, o.checks)).toMatchObject({
      from: 'passed',
      alignment: 'failed',
      key: 'not-reached',
    });
    expect(REASONS.PublicSuffixAlignment.explanation({ address: 'alice@wxtest' })).toMatch(
      /public suffix with wxtest/,
    );
  });

  it('DomainNotSupported (no proof, not on the DoH list, two-phase off): the DNSSEC line fails', async () => {
    const o = outcome(
      await receiveEmail(
        challenge('good'),
        { message: SIGNED.good, flow: 'setup' },
        { ...CTX, twoPhase: false },
      ),
    );
    expect(o.code).toBe('DomainNotSupported');
    expect(states(o.code, o.checks)).toMatchObject({
      from: 'passed',
      subject: 'passed',
      dnssec: 'failed',
      signature: 'not-reached',
    });
  });

  it('verified over DoH: the DNSSEC line is not needed, the rest passed', async () => {
    const txt = (name: string): TxtAnswer => {
      const owner = nameToText(nameFromText(`${name}.`));
      const records = allRecords
        .filter((rr) => rr.type === TYPE.TXT && nameToText(rr.name) === owner)
        .map((rr) => txtRdataToString(rr.rdata));
      return records.length > 0 ? { kind: 'txt', records } : { kind: 'nxdomain' };
    };
    const names = ['sel._domainkey.ed25519.wxtest', '_dmarc.ed25519.wxtest'];
    const o = outcome(
      await receiveEmail(
        challenge('good'),
        { message: SIGNED.good, flow: 'setup' },
        {
          ...CTX,
          dohAllowed: (d) => isAllowedName(d, ['ed25519.wxtest']),
          dohLookup: quorumLookup(new Map(names.map((n) => [n, txt(n)]))),
        },
      ),
    );
    expect(states(o.code, o.checks)).toEqual({
      signature: 'passed',
      key: 'passed',
      dnssec: 'not-needed',
      alignment: 'passed',
      subject: 'passed',
      from: 'passed',
    });
  });

  it('the code wins over earlier passing checks (a Subject-covering candidate that later did not verify)', () => {
    const checks: CandidCheck[] = [
      { name: 'address', status: { Pass: null }, detail: 'From is the claimed address' },
      { name: 'dkim[1] candidate', status: { Pass: null }, detail: 'd=x s=y: covers Subject' },
    ];
    expect(states('SubjectNotSigned', checks)).toMatchObject({ subject: 'failed', from: 'passed' });
    expect(states(null, [])).toEqual(Object.fromEntries(CHECKLIST_ITEMS.map((i) => [i, 'not-reached'])));
  });
});
