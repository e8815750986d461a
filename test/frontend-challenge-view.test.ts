/** Status → view (frontend/src/logic/challenge-view.ts): every Candid ChallengeStatus variant has its own view. */
import { describe, expect, it } from 'vitest';
import {
  type ChallengeStatus,
  challengeView,
  type StatusTag,
  statusTag,
  unsupportedDomainView,
  type ViewKind,
} from '../frontend/src/logic/challenge-view.ts';

const ADDRESS = 'alice@example.com';

/** One value per variant: the Record type makes a new variant without a sample a compile error. */
const SAMPLES: { [T in StatusTag]: ChallengeStatus } = {
  Pending: { Pending: null },
  NeedProof: {
    NeedProof: { domain: 'example.com', selectors: ['sel'], key_names: ['sel._domainkey.example.com'] },
  },
  Resolving: { Resolving: null },
  SetupComplete: { SetupComplete: { address: ADDRESS } },
  RecoveryReady: { RecoveryReady: { anchor: 10_042n, user_key: Uint8Array.of(1), expiration: 5n } },
  Failed: {
    Failed: {
      code: 'AddressMismatch',
      message: 'the email is from bob@example.com, the challenge is for alice@example.com',
      checks: [{ name: 'address', status: { Fail: null }, detail: 'the email is from bob@example.com' }],
    },
  },
  Expired: { Expired: null },
};

const EXPECTED: { [T in StatusTag]: { kind: ViewKind; terminal: boolean } } = {
  Pending: { kind: 'waiting', terminal: false },
  NeedProof: { kind: 'need-proof', terminal: false },
  Resolving: { kind: 'resolving', terminal: false },
  SetupComplete: { kind: 'done-setup', terminal: true },
  RecoveryReady: { kind: 'done-recovery', terminal: true },
  Failed: { kind: 'failed', terminal: true },
  Expired: { kind: 'expired', terminal: true },
};

describe('challengeView', () => {
  it.each(Object.entries(SAMPLES))('%s has its own view with words for a person', (tag, status) => {
    expect(statusTag(status)).toBe(tag);
    const v = challengeView(status, ADDRESS);
    expect(v).toMatchObject(EXPECTED[tag as StatusTag]);
    for (const text of [v.title, v.body, v.live]) expect(text.length).toBeGreaterThan(0);
    expect(`${v.title} ${v.body} ${v.live}`).not.toMatch(/DKIM|nonce|Candid|undefined|null/);
    expect(v.failure === null).toBe(tag !== 'Failed' && tag !== 'Expired');
  });

  it('the views are distinct', () => {
    const views = Object.values(SAMPLES).map((s) => challengeView(s, ADDRESS));
    expect(new Set(views.map((v) => v.kind)).size).toBe(views.length);
    expect(new Set(views.map((v) => v.body)).size).toBe(views.length);
  });

  it('NeedProof while the page builds or submits the proof reads as checking', () => {
    for (const p of ['building', 'submitting'] as const) {
      expect(challengeView(SAMPLES.NeedProof, ADDRESS, p)).toMatchObject({
        kind: 'checking',
        terminal: false,
        live: 'Email received, checking it',
      });
    }
    expect(challengeView(SAMPLES.NeedProof, ADDRESS).live).toBe('Email received');
  });

  it('the failure view carries the reason copy and the checklist', () => {
    const v = challengeView(SAMPLES.Failed, ADDRESS);
    expect(v.body).toMatch(/different address/);
    expect(v.failure?.reason.nextStep).toMatch(/exactly alice@example\.com/);
    expect(v.failure?.checklist.find((l) => l.item === 'from')?.state).toBe('failed');
    expect(v.failure?.message).toMatch(/bob@example\.com/);
  });

  it('the expired view has the Expired words, a checklist with nothing reached, and no canister detail', () => {
    const v = challengeView(SAMPLES.Expired, ADDRESS);
    expect(v.title).toBe('This request expired');
    expect(v.failure?.reason.code).toBe('Expired');
    expect(v.failure?.reason.explanation).toMatch(/within 30 minutes/);
    expect(v.failure?.checklist.map((l) => l.state)).toEqual(Array(6).fill('not-reached'));
    expect(v.failure?.message).toBe('');
  });

  it('an unsupported domain, refused before anything is prepared, reads as DomainNotSupported would', () => {
    const v = unsupportedDomainView('dave@island.wxtest', 'island.wxtest. is provably unsigned');
    expect(v).toMatchObject({ kind: 'failed', title: 'This address cannot be used', terminal: true });
    expect(v.failure?.reason.code).toBe('DomainNotSupported');
    expect(v.body).toMatch(/^Waxseal cannot check emails from island\.wxtest\./);
    expect(v.body).toMatch(/not protected by DNSSEC/);
    expect(v.failure?.reason.nextStep).toBe('Use an address at another email provider.');
    expect(Object.fromEntries(v.failure!.checklist.map((l) => [l.item, l.state]))).toEqual({
      signature: 'not-reached',
      key: 'not-reached',
      dnssec: 'failed',
      alignment: 'not-reached',
      subject: 'not-reached',
      from: 'not-reached',
    });
    expect(v.failure?.message).toBe('island.wxtest. is provably unsigned');
  });

  it('done views name the address and the identity', () => {
    expect(challengeView(SAMPLES.SetupComplete, ADDRESS).body).toMatch(/alice@example\.com/);
    expect(challengeView(SAMPLES.RecoveryReady, ADDRESS).body).toMatch(/10042/);
  });
});
