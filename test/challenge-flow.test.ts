/**
 * The challenge pipeline (src/challenge/flow.ts, protocol.md §3–§8) end to end on real material: messages signed
 * by dkimpy with the DKIM keys published in the BIND-signed zones of test-vectors/dnssec/generated, RFC 9102
 * proofs built from those zones by src/proof/build.ts, verified from the test root's anchor at the matrix time,
 * with the pure crypto backend the canister uses.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Challenge,
  ChallengeStore,
  completeResolving,
  type Decision,
  type FlowContext,
  isAllowedName,
  makeNonce,
  memoryKv,
  NS_PER_SECOND,
  nonceOfMessage,
  quorumLookup,
  receiveEmail,
  recoveryDelegationAllowed,
  recoveryReady,
  setupComplete,
  submitProof,
  txtRdataToString,
} from '../src/challenge/index.ts';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { pureCrypto } from '../src/crypto/pure.ts';
import type { TxtAnswer } from '../src/dns/lookup.ts';
import { nameFromText, nameToText } from '../src/dns/name.ts';
import { encodeChain, type ResourceRecord } from '../src/dns/record.ts';
import { TYPE } from '../src/dns/types.ts';
import { parseMessage } from '../src/mail/message.ts';
import type { Meter, Phase } from '../src/meter.ts';
import {
  ANCHORS,
  bytes,
  compose,
  type DkimKeyName,
  emailProof,
  signMail,
  VERIFY_TIME,
  ZONE_WITHOUT_DMARC,
} from './helpers/challenge-mail.ts';
import { allRecords } from './helpers/dnssec-generated.ts';

const NOW = BigInt(VERIFY_TIME) * NS_PER_SECOND;
const MINUTE = 60n * NS_PER_SECOND;
const SIGNED_AT = VERIFY_TIME - 120;
const HEADERS = ['From', 'To', 'Subject', 'Date', 'Message-ID'];
const CTX: FlowContext = { now: NOW, anchors: ANCHORS, crypto: pureCrypto };
const SESSION_KEY = Uint8Array.from(randomBytes(44));

const nonce = () => makeNonce(Uint8Array.from(randomBytes(13)));

interface Spec {
  from: string;
  domain: string;
  selector?: string;
  key?: DkimKeyName;
  headers?: string[];
  subject?: (nonce: string) => string;
  timestamp?: number;
}

const SPECS = {
  ed25519: { from: 'alice@ed25519.wxtest', domain: 'ed25519.wxtest' },
  rsa: { from: 'bob@rsa2048.wxtest', domain: 'rsa2048.wxtest', selector: 'rsa', key: 'rsa2048' },
  ecdsa: { from: 'carol@ecdsa.wxtest', domain: 'ecdsa.wxtest' },
  noSubject: { from: 'dave@ed25519.wxtest', domain: 'ed25519.wxtest', headers: ['From', 'To', 'Date'] },
  cname: { from: 'erin@cname-src.wxtest', domain: 'cname-src.wxtest' },
  cnameChain: { from: 'erin@cname-src.wxtest', domain: 'cname-src.wxtest', selector: 'chain' },
  parentFrom: { from: 'frank@wxtest', domain: 'ed25519.wxtest' },
  // RFC 7489 §3.2: ed25519.wxtest is the organizational domain of sub.ed25519.wxtest (a name without records).
  subFrom: { from: 'frank@sub.ed25519.wxtest', domain: 'ed25519.wxtest' },
  crossDomain: { from: 'gina@ed25519.wxtest', domain: 'ecdsa.wxtest' },
  future: { from: 'ivan@ed25519.wxtest', domain: 'ed25519.wxtest', timestamp: VERIFY_TIME + 3600 },
  encoded: {
    from: 'hana@ed25519.wxtest',
    domain: 'ed25519.wxtest',
    subject: (n: string) => `=?UTF-8?B?${Buffer.from(`Récupération ${n}`).toString('base64')}?=`,
  },
} satisfies Record<string, Spec>;
type MailName = keyof typeof SPECS;

// One nonce per message, all signed in one dkimpy process.
const NONCES = Object.fromEntries(Object.keys(SPECS).map((k) => [k, nonce()])) as Record<MailName, string>;
const SIGNED = (() => {
  const names = Object.keys(SPECS) as MailName[];
  const out = signMail(
    names.map((name) => {
      const s: Spec = SPECS[name];
      const subject = s.subject ? s.subject(NONCES[name]) : `Waxseal ${NONCES[name]}`;
      return {
        message: compose({ from: s.from, subject }),
        domain: s.domain,
        selector: s.selector ?? 'sel',
        key: s.key ?? 'ed25519',
        headers: s.headers ?? HEADERS,
        timestamp: s.timestamp ?? SIGNED_AT,
      };
    }),
  );
  return Object.fromEntries(names.map((n, i) => [n, out[i]!])) as Record<MailName, string>;
})();
const mail = (name: MailName) => bytes(SIGNED[name]);

function newStore() {
  return new ChallengeStore({ challenges: memoryKv(), byAge: memoryKv(), messages: memoryKv() });
}

/** A store holding one Pending challenge for `name`'s nonce and From address, created a minute ago. */
function pending(name: MailName, flow: 'setup' | 'recovery', address: string = SPECS[name].from) {
  const store = newStore();
  const r = store.insert(
    flow === 'setup'
      ? { nonce: NONCES[name], flow, address, anchor: 10_000n }
      : { nonce: NONCES[name], flow, address, sessionKey: SESSION_KEY },
    NOW - MINUTE,
  );
  if (!r.ok) throw new Error(r.detail);
  return { store, challenge: r.challenge };
}

/** What the canister does with a decision. */
function apply(store: ChallengeStore, c: Challenge, d: Decision, message: Uint8Array) {
  if (d.kind === 'update') {
    expect(store.setState(c.nonce, d.state, NOW)).toBe(true);
    if (d.keepMessage) expect(store.putMessage(c.nonce, message, NOW)).toBe(true);
  } else if (d.kind === 'verified') {
    const state =
      d.flow === 'setup' ? setupComplete(c) : recoveryReady(7n, Uint8Array.of(1, 2, 3), NOW + MINUTE);
    expect(store.setState(c.nonce, state, NOW)).toBe(true);
  }
  return store.get(c.nonce, NOW)!;
}

function failure(d: Decision) {
  if (d.kind !== 'update' || d.state.kind !== 'Failed') throw new Error(`not Failed: ${JSON.stringify(d)}`);
  return d.state;
}

function tamperKeySignature(records: readonly ResourceRecord[], owner: string): Uint8Array {
  let hit = 0;
  const out = records.map((rr) => {
    const covers = rr.type === TYPE.RRSIG && ((rr.rdata[0]! << 8) | rr.rdata[1]!) === TYPE.TXT;
    if (!covers || nameToText(rr.name) !== owner) return rr;
    hit++;
    const rdata = rr.rdata.slice();
    rdata[rdata.length - 1]! ^= 0x01;
    return { ...rr, rdata };
  });
  expect(hit).toBe(1);
  return encodeChain(out);
}

describe('verified emails with an attached proof', () => {
  it('setup: Ed25519 key in an Ed25519-signed zone, DMARC published → SetupComplete; a replay changes nothing', async () => {
    const { store, challenge } = pending('ed25519', 'setup');
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const d = await receiveEmail(
      challenge,
      { message: mail('ed25519'), flow: 'setup', proof: proof.chain },
      CTX,
    );
    expect(d).toMatchObject({ kind: 'verified', flow: 'setup', address: 'alice@ed25519.wxtest' });
    if (d.kind !== 'verified') return;
    expect(d).toMatchObject({ domain: 'ed25519.wxtest', selector: 'sel' });
    expect(d.checks.find((c) => c.name === 'dmarc')).toMatchObject({ status: 'Pass' });
    expect(d.checks.find((c) => c.name === 'dns sel._domainkey.ed25519.wxtest')).toMatchObject({
      status: 'Pass',
    });
    const done = apply(store, challenge, d, mail('ed25519'));
    expect(store.status(challenge.nonce, NOW)).toEqual({
      kind: 'SetupComplete',
      address: 'alice@ed25519.wxtest',
    });

    const replay = await receiveEmail(
      done,
      { message: mail('ed25519'), flow: 'setup', proof: proof.chain },
      CTX,
    );
    expect(replay).toMatchObject({ kind: 'unchanged', code: 'AlreadyFinished' });
    expect(store.setState(challenge.nonce, { kind: 'Pending' }, NOW)).toBe(false);
    expect(store.status(challenge.nonce, NOW).kind).toBe('SetupComplete');
  });

  it('recovery: RSA-2048 DKIM key in an RSA-signed zone → RecoveryReady, delegation only for the same key', async () => {
    const { store, challenge } = pending('rsa', 'recovery');
    const proof = await emailProof('rsa2048.wxtest', ['rsa']);
    const d = await receiveEmail(
      challenge,
      { message: mail('rsa'), flow: 'recovery', proof: proof.chain },
      CTX,
    );
    expect(d).toMatchObject({
      kind: 'verified',
      flow: 'recovery',
      domain: 'rsa2048.wxtest',
      selector: 'rsa',
    });
    const ready = apply(store, challenge, d, mail('rsa'));
    expect(ready.state).toMatchObject({ kind: 'RecoveryReady', anchor: 7n, expiration: NOW + MINUTE });
    expect(recoveryDelegationAllowed(ready, SESSION_KEY, NOW + MINUTE, NOW)).toBe(true);
    expect(recoveryDelegationAllowed(ready, Uint8Array.of(9), NOW + MINUTE, NOW)).toBe(false);
    expect(recoveryDelegationAllowed(ready, SESSION_KEY, NOW, NOW)).toBe(false);
    expect(recoveryDelegationAllowed(ready, SESSION_KEY, NOW + MINUTE, ready.expiresAt)).toBe(false);
  });

  it('DKIM key behind a cross-zone CNAME (cname-src → ecdsa), _dmarc also a CNAME', async () => {
    const { challenge } = pending('cname', 'recovery');
    const proof = await emailProof('cname-src.wxtest', ['sel']);
    const d = await receiveEmail(
      challenge,
      { message: mail('cname'), flow: 'recovery', proof: proof.chain },
      CTX,
    );
    expect(d.kind).toBe('verified');
    expect(d.checks.find((c) => c.name === 'dns sel._domainkey.cname-src.wxtest')?.detail).toMatch(
      /via 1 CNAME/,
    );
    expect(d.checks.find((c) => c.name === 'dmarc')).toMatchObject({ status: 'Pass' });
  });

  it('two CNAME hops across three zones (cname-src → rsa4096 → ed25519)', async () => {
    const { challenge } = pending('cnameChain', 'recovery');
    const proof = await emailProof('cname-src.wxtest', ['chain']);
    const d = await receiveEmail(
      challenge,
      { message: mail('cnameChain'), flow: 'recovery', proof: proof.chain },
      CTX,
    );
    expect(d.kind).toBe('verified');
    expect(d.checks.find((c) => c.name === 'dns chain._domainkey.cname-src.wxtest')?.detail).toMatch(
      /via 2 CNAME/,
    );
  });

  it('without _dmarc in the proof: no record, so d= equal to the From domain is enough', async () => {
    const { challenge } = pending('ed25519', 'setup');
    const proof = await emailProof('ed25519.wxtest', ['sel'], ZONE_WITHOUT_DMARC);
    expect(proof.dmarc).toBe('absent');
    const d = await receiveEmail(
      challenge,
      { message: mail('ed25519'), flow: 'setup', proof: proof.chain },
      CTX,
    );
    expect(d.kind).toBe('verified');
    expect(d.checks.find((c) => c.name === 'dns _dmarc.ed25519.wxtest')).toMatchObject({ status: 'Skipped' });
    expect(d.checks.find((c) => c.name === 'dmarc')).toMatchObject({ status: 'Skipped' });
  });

  it('a Subject sent as an RFC 2047 encoded-word still yields the nonce', async () => {
    const { challenge } = pending('encoded', 'recovery');
    expect(nonceOfMessage(mail('encoded'))).toBe(NONCES.encoded);
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const d = await receiveEmail(
      challenge,
      { message: mail('encoded'), flow: 'recovery', proof: proof.chain },
      CTX,
    );
    expect(d.kind).toBe('verified');
  });
});

describe('two-phase: NeedProof, then the proof', () => {
  it('NeedProof names the From domain and the aligned selectors; a bad proof leaves it waiting; a good one verifies', async () => {
    const { store, challenge } = pending('ecdsa', 'recovery');
    const message = mail('ecdsa');
    const first = await receiveEmail(challenge, { message, flow: 'recovery' }, CTX);
    expect(first).toMatchObject({
      kind: 'update',
      keepMessage: true,
      state: {
        kind: 'NeedProof',
        domain: 'ecdsa.wxtest',
        selectors: ['sel'],
        keyNames: ['sel._domainkey.ecdsa.wxtest'],
      },
    });
    const waiting = apply(store, challenge, first, message);
    expect(store.message(challenge.nonce, NOW)).toEqual(message);

    // A second email while waiting changes nothing.
    expect(await receiveEmail(waiting, { message, flow: 'recovery' }, CTX)).toMatchObject({
      kind: 'unchanged',
      code: 'InProgress',
    });
    if (waiting.state.kind !== 'NeedProof') throw new Error('not NeedProof');
    const proof = await emailProof(waiting.state.domain, [...waiting.state.selectors]);

    const tampered = tamperKeySignature(proof.records, 'sel._domainkey.ecdsa.wxtest.');
    const bad = await submitProof(waiting, message, tampered, CTX);
    expect(bad).toMatchObject({ kind: 'unchanged', code: 'ProofInvalid' });
    if (bad.kind === 'unchanged') expect(bad.message).toMatch(/BadSignature/);
    expect(await submitProof(waiting, message, proof.chain.subarray(0, 100), CTX)).toMatchObject({
      kind: 'unchanged',
      code: 'ProofInvalid',
    });
    expect(await submitProof(waiting, mail('ed25519'), proof.chain, CTX)).toMatchObject({
      kind: 'unchanged',
      code: 'MessageMismatch',
    });

    const good = await submitProof(waiting, store.message(challenge.nonce, NOW)!, proof.chain, CTX);
    expect(good).toMatchObject({ kind: 'verified', domain: 'ecdsa.wxtest', selector: 'sel' });
    const ready = apply(store, challenge, good, message);
    expect(ready.state.kind).toBe('RecoveryReady');
    expect(store.message(challenge.nonce, NOW)).toBeNull();
    expect(await submitProof(ready, message, proof.chain, CTX)).toMatchObject({ code: 'AlreadyFinished' });
  });

  it('a proof is accepted only in NeedProof', async () => {
    const { challenge } = pending('ecdsa', 'recovery');
    const proof = await emailProof('ecdsa.wxtest', ['sel']);
    expect(await submitProof(challenge, mail('ecdsa'), proof.chain, CTX)).toMatchObject({
      kind: 'unchanged',
      code: 'NotAwaitingProof',
    });
    expect(await submitProof(null, mail('ecdsa'), proof.chain, CTX)).toMatchObject({ code: 'UnknownNonce' });
  });
});

describe('failures', () => {
  it('AddressMismatch: the From address is not the claimed one', async () => {
    const { challenge } = pending('ed25519', 'setup', 'bob@ed25519.wxtest');
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const f = failure(
      await receiveEmail(challenge, { message: mail('ed25519'), flow: 'setup', proof: proof.chain }, CTX),
    );
    expect(f.code).toBe('AddressMismatch');
    expect(f.checks.at(-1)).toMatchObject({ name: 'address', status: 'Fail' });
  });

  it('SubjectNotSigned: the only aligned signature does not cover Subject (with or without a proof)', async () => {
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    for (const p of [proof.chain, null]) {
      const { challenge } = pending('noSubject', 'setup');
      const f = failure(
        await receiveEmail(challenge, { message: mail('noSubject'), flow: 'setup', proof: p }, CTX),
      );
      expect(f.code).toBe('SubjectNotSigned');
    }
  });

  it('NonceMismatch: the Subject holds another nonce', async () => {
    const store = newStore();
    const r = store.insert(
      { nonce: nonce(), flow: 'setup', address: 'alice@ed25519.wxtest', anchor: 1n },
      NOW,
    );
    if (!r.ok) throw new Error(r.detail);
    const f = failure(await receiveEmail(r.challenge, { message: mail('ed25519'), flow: 'setup' }, CTX));
    expect(f.code).toBe('NonceMismatch');
  });

  it('WrongFlow: a setup nonce mailed to recover@', async () => {
    const { challenge } = pending('ed25519', 'setup');
    const f = failure(await receiveEmail(challenge, { message: mail('ed25519'), flow: 'recovery' }, CTX));
    expect(f.code).toBe('WrongFlow');
  });

  it('an expired or unknown nonce: unchanged, and reads as Expired', async () => {
    const { store, challenge } = pending('ed25519', 'setup');
    const later = { ...CTX, now: challenge.expiresAt };
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const email = { message: mail('ed25519'), flow: 'setup' as const, proof: proof.chain };
    expect(await receiveEmail(challenge, email, later)).toMatchObject({ kind: 'unchanged', code: 'Expired' });
    expect(store.status(challenge.nonce, challenge.expiresAt)).toEqual({ kind: 'Expired' });
    expect(store.get(challenge.nonce, challenge.expiresAt)).toBeNull();
    expect(await receiveEmail(null, email, CTX)).toMatchObject({ kind: 'unchanged', code: 'UnknownNonce' });
  });

  it('tampered proof attached: ProofInvalid with the DNSSEC reason, or a fall-back to NeedProof', async () => {
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const tampered = tamperKeySignature(proof.records, 'sel._domainkey.ed25519.wxtest.');
    const email = { message: mail('ed25519'), flow: 'setup' as const, proof: tampered };
    const strict = failure(
      await receiveEmail(pending('ed25519', 'setup').challenge, email, { ...CTX, twoPhase: false }),
    );
    expect(strict.code).toBe('ProofInvalid');
    expect(strict.message).toMatch(/sel\._domainkey\.ed25519\.wxtest.*BadSignature/);
    expect(strict.checks.find((c) => c.name === 'dns sel._domainkey.ed25519.wxtest')).toMatchObject({
      status: 'Fail',
    });

    const lenient = await receiveEmail(pending('ed25519', 'setup').challenge, email, CTX);
    expect(lenient).toMatchObject({ kind: 'update', state: { kind: 'NeedProof', domain: 'ed25519.wxtest' } });
    if (lenient.kind === 'update') expect(lenient.note).toMatch(/attached proof was refused/);
  });

  it('a proof for another domain: the key is not in it → ProofInvalid (MissingRecords is not proof of absence)', async () => {
    const other = await emailProof('ecdsa.wxtest', ['sel']);
    const email = { message: mail('ed25519'), flow: 'setup' as const, proof: other.chain };
    const f = failure(
      await receiveEmail(pending('ed25519', 'setup').challenge, email, { ...CTX, twoPhase: false }),
    );
    expect(f.code).toBe('ProofInvalid');
    expect(f.message).toMatch(/not in the DNSSEC proof/);
  });

  it('tampered body: DkimFailed, from the full verdict with a proof, and before any key without one', async () => {
    const body = bytes(SIGNED.ed25519.replace('Please recover', 'Please rescind'));
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const withProof = failure(
      await receiveEmail(
        pending('ed25519', 'setup').challenge,
        { message: body, flow: 'setup', proof: proof.chain },
        CTX,
      ),
    );
    expect(withProof.code).toBe('DkimFailed');
    expect(withProof.message).toMatch(/BodyHashMismatch/);
    expect(withProof.checks.find((c) => c.name === 'dkim[1] key')).toMatchObject({ status: 'Pass' });

    const early = failure(
      await receiveEmail(pending('ed25519', 'setup').challenge, { message: body, flow: 'setup' }, CTX),
    );
    expect(early.code).toBe('DkimFailed');
    expect(early.checks.find((c) => c.name === 'dkim[1] key')).toMatchObject({ status: 'Skipped' });
    expect(early.checks.find((c) => c.name === 'dkim[1] body-hash')).toMatchObject({ status: 'Fail' });
  });

  it('DMARC: d= the organizational domain with no DMARC record at either name does not align; an unrelated d= never does', async () => {
    const proof = await emailProof('ed25519.wxtest', ['sel'], ZONE_WITHOUT_DMARC);
    const sub = failure(
      await receiveEmail(
        pending('subFrom', 'setup').challenge,
        { message: mail('subFrom'), flow: 'setup', proof: proof.chain },
        CTX,
      ),
    );
    expect(sub.code).toBe('DmarcNotAligned');
    expect(sub.message).toMatch(/no DMARC record/);
    // Both names were looked up in the proof (RFC 7489 §6.6.3), neither is in it.
    expect(sub.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['dns _dmarc.sub.ed25519.wxtest', 'dns _dmarc.ed25519.wxtest']),
    );

    const cross = failure(
      await receiveEmail(
        pending('crossDomain', 'setup').challenge,
        { message: mail('crossDomain'), flow: 'setup' },
        CTX,
      ),
    );
    expect(cross.code).toBe('DmarcNotAligned');
  });

  it('PublicSuffixAlignment: From a public suffix (wxtest, implicit * rule), d= below it, refused before any DNS', async () => {
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    for (const attachedProof of [proof.chain, null]) {
      const f = failure(
        await receiveEmail(
          pending('parentFrom', 'setup').challenge,
          { message: mail('parentFrom'), flow: 'setup', proof: attachedProof },
          CTX,
        ),
      );
      expect(f.code).toBe('PublicSuffixAlignment');
      expect(f.message).toMatch(
        /d=ed25519\.wxtest can never align with wxtest: a public suffix separates them/,
      );
    }
  });

  it('relaxed alignment by organizational domain: From sub.ed25519.wxtest, d=ed25519.wxtest, the record found at _dmarc.ed25519.wxtest', async () => {
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    expect(proof.dmarc).toBe('present');
    const d = await receiveEmail(
      pending('subFrom', 'setup').challenge,
      { message: mail('subFrom'), flow: 'setup', proof: proof.chain },
      CTX,
    );
    expect(d.kind).toBe('verified');
    expect(d.checks.find((c) => c.name === 'dns _dmarc.sub.ed25519.wxtest')).toMatchObject({
      status: 'Skipped',
    });
    expect(d.checks.find((c) => c.name === 'dmarc')).toMatchObject({
      status: 'Pass',
      detail: expect.stringMatching(/adkim=r at _dmarc\.ed25519\.wxtest/),
    });
  });

  it('the only aligned signature is unusable (t= an hour ahead): DkimFailed, not DmarcNotAligned', async () => {
    const f = failure(
      await receiveEmail(
        pending('future', 'setup').challenge,
        { message: mail('future'), flow: 'setup' },
        CTX,
      ),
    );
    expect(f.code).toBe('DkimFailed');
    expect(f.message).toMatch(/FutureTimestamp/);
  });

  it('a message that does not parse, and one with two Subjects', async () => {
    const { challenge } = pending('ed25519', 'setup');
    const bare = bytes(SIGNED.ed25519.replace(/\r\n/g, '\n'));
    expect(failure(await receiveEmail(challenge, { message: bare, flow: 'setup' }, CTX)).code).toBe(
      'MalformedMessage',
    );
    const twice = bytes(`Subject: ${NONCES.ed25519}\r\n${SIGNED.ed25519}`);
    expect(failure(await receiveEmail(challenge, { message: twice, flow: 'setup' }, CTX)).code).toBe(
      'HeaderOccurrence',
    );
  });
});

describe('DoH path (protocol.md §8)', () => {
  const allowed = (d: string) => isAllowedName(d, ['ed25519.wxtest']);
  const txt = (name: string): TxtAnswer => {
    const owner = nameFromText(`${name}.`);
    const records = allRecords
      .filter((rr) => rr.type === TYPE.TXT && nameToText(rr.name) === nameToText(owner))
      .map((rr) => txtRdataToString(rr.rdata));
    return records.length > 0 ? { kind: 'txt', records } : { kind: 'nxdomain' };
  };

  it('allowed domain, no proof → Resolving with the names to fetch; then the quorum answers verify it', async () => {
    const { store, challenge } = pending('ed25519', 'recovery');
    const message = mail('ed25519');
    const first = await receiveEmail(
      challenge,
      { message, flow: 'recovery' },
      { ...CTX, dohAllowed: allowed },
    );
    expect(first).toMatchObject({
      kind: 'update',
      keepMessage: true,
      state: { kind: 'Resolving', names: ['sel._domainkey.ed25519.wxtest', '_dmarc.ed25519.wxtest'] },
    });
    const resolving = apply(store, challenge, first, message);
    if (resolving.state.kind !== 'Resolving') throw new Error('not Resolving');
    const answers = new Map(resolving.state.names.map((n) => [n, txt(n)]));
    const d = await completeResolving(resolving, message, quorumLookup(answers), {
      ...CTX,
      dohAllowed: allowed,
    });
    expect(d).toMatchObject({ kind: 'verified', domain: 'ed25519.wxtest' });

    // DoH answers already at hand: verified at once.
    const again = pending('ed25519', 'recovery').challenge;
    const direct = await receiveEmail(
      again,
      { message, flow: 'recovery' },
      { ...CTX, dohAllowed: allowed, dohLookup: quorumLookup(answers) },
    );
    expect(direct.kind).toBe('verified');
  });

  it('no quorum for the key → DnsLookupFailed; a domain neither allowed nor proven → DomainNotSupported', async () => {
    const { store, challenge } = pending('ed25519', 'recovery');
    const message = mail('ed25519');
    const resolving = apply(
      store,
      challenge,
      await receiveEmail(challenge, { message, flow: 'recovery' }, { ...CTX, dohAllowed: allowed }),
      message,
    );
    const lookup = quorumLookup(new Map([['_dmarc.ed25519.wxtest', txt('_dmarc.ed25519.wxtest')]]));
    const f = failure(await completeResolving(resolving, message, lookup, CTX));
    expect(f.code).toBe('DnsLookupFailed');

    const unsupported = failure(
      await receiveEmail(
        pending('ecdsa', 'recovery').challenge,
        { message: mail('ecdsa'), flow: 'recovery' },
        {
          ...CTX,
          dohAllowed: allowed,
          twoPhase: false,
        },
      ),
    );
    expect(unsupported.code).toBe('DomainNotSupported');
  });
});

describe('work per event (issue 13: parse once, hash each body once)', () => {
  /** A meter that counts the steps entered per phase, and a backend that notes the phase of each SHA-256. */
  function counting() {
    const entered = new Map<Phase, number>();
    const open: Phase[] = [];
    const run = <T>(phase: Phase, step: () => T): T => {
      entered.set(phase, (entered.get(phase) ?? 0) + 1);
      open.push(phase);
      try {
        return step();
      } finally {
        open.pop();
      }
    };
    const meter: Meter = { sync: run, task: run };
    const hashedIn: (Phase | undefined)[] = [];
    const crypto: CryptoBackend = {
      ...pureCrypto,
      sha256: (data) => {
        hashedIn.push(open[open.length - 1]);
        return pureCrypto.sha256(data);
      },
    };
    return { ctx: { ...CTX, meter, crypto }, entered, hashedIn };
  }

  it('the raw message is parsed once; a parsed one is handed through, and the decision is the same', async () => {
    const proof = await emailProof('rsa2048.wxtest', ['rsa']);
    const raw = counting();
    const fromBytes = await receiveEmail(
      pending('rsa', 'setup').challenge,
      { message: mail('rsa'), flow: 'setup', proof: proof.chain },
      raw.ctx,
    );
    expect(fromBytes.kind).toBe('verified');
    expect(raw.entered.get('parse')).toBe(1);
    // The proof's parse, then every name the verdict reads validated in one step before it.
    expect(raw.entered.get('dnssec')).toBe(2);
    expect(raw.entered.get('body_hash')).toBe(1);
    expect(raw.hashedIn.filter((p) => p === 'body_hash')).toHaveLength(1);

    const parsed = parseMessage(mail('rsa'));
    if (!parsed.ok) throw new Error('unparsable');
    const handed = counting();
    const fromMessage = await receiveEmail(
      pending('rsa', 'setup').challenge,
      { message: parsed.message, flow: 'setup', proof: proof.chain },
      handed.ctx,
    );
    expect(fromMessage).toEqual(fromBytes);
  });

  it('NeedProof, then the proof: each event parses the message once and hashes its body once', async () => {
    const { store, challenge } = pending('ed25519', 'setup');
    const first = counting();
    const waiting = apply(
      store,
      challenge,
      await receiveEmail(challenge, { message: mail('ed25519'), flow: 'setup' }, first.ctx),
      mail('ed25519'),
    );
    expect(waiting.state.kind).toBe('NeedProof');
    expect(first.entered.get('parse')).toBe(1);
    expect(first.hashedIn.filter((p) => p === 'body_hash')).toHaveLength(1);

    const second = counting();
    const proof = await emailProof('ed25519.wxtest', ['sel']);
    const d = await submitProof(waiting, mail('ed25519'), proof.chain, second.ctx);
    expect(d.kind).toBe('verified');
    expect(second.entered.get('parse')).toBe(1);
    expect(second.hashedIn.filter((p) => p === 'body_hash')).toHaveLength(1);
  });
});
