/**
 * Instructions per verification phase (src/meter.ts) for the email methods, from the IC performance counter
 * (ic0.performance_counter type 0: this message so far). Published on /metrics as
 * `waxseal_email_instructions_total{method, phase}`, which is where BENCHMARKS.md's per-phase figures come from
 * (scripts/bench-canister.ts reads the page around each call).
 *
 * Phases nest (a signature check inside the DKIM step, a P-256 verification inside the DNSSEC step); each is
 * charged only its own work, without what nested phases took, so the phases of a call add up to the call. A crypto
 * primitive is labelled with the phase it ran in: `dnssec/ecdsa_p256`, `signature/rsa`, `body_hash/sha256`.
 * The canister adds `candid_decode` (Azle's dispatch, then the arguments, which the email methods decode
 * themselves so as to write their replies cheaply), `store` (stable-memory reads and writes) and `other` (the
 * method's work outside every phase: envelope rules, the flow's bookkeeping). The reply, written after the
 * accounting closes, is not included.
 *
 * Only calls that changed a challenge are counted (an email judged, a proof that decided): a refused or
 * unattributable call leaves /metrics as it was, like every other refusal (test/canister-hostile.test.ts).
 * Counters live in heap, so an upgrade resets them (a Prometheus counter reset). The counter reads cost about
 * 2 k instructions each, a few dozen per email.
 */
import { performanceCounter } from 'azle';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import type { Meter, Phase } from '../src/meter.ts';
import { registerMetric } from './metrics.ts';

export type MeteredMethod = 'smtp_request' | 'email_challenge_submit_proof' | 'doh_completion';

/** Phases the canister adds around the shared flow's. */
export type CanisterPhase = Phase | 'candid_decode' | 'store' | 'other';

const CRYPTO: ReadonlySet<string> = new Set([
  'sha256',
  'sha384',
  'rsa',
  'ecdsa_p256',
  'ecdsa_p384',
  'ed25519',
  'ed448',
] satisfies Phase[]);

const totals = new Map<string, bigint>();
const calls = new Map<MeteredMethod, bigint>();

interface Frame {
  readonly label: string;
  readonly start: bigint;
  nested: bigint;
}

/** One metered call: a Meter whose phases are added to the method's totals by `finish`. */
export class CallMeter implements Meter {
  private readonly stack: Frame[] = [];
  private readonly own = new Map<string, bigint>();

  /** The counter when this meter was made; with `atEntry`, what ran before (Azle's dispatch) is charged too. */
  private readonly start = performanceCounter(0);
  /** What is charged for the time before `start` (so not part of `other`'s span). */
  private readonly beforeStart: bigint;

  /** Made first thing in a method when `atEntry`. */
  constructor(
    private readonly method: MeteredMethod,
    atEntry: boolean,
  ) {
    this.beforeStart = atEntry ? this.start : 0n;
    if (atEntry) this.charge('candid_decode', this.start);
  }

  sync<T>(phase: CanisterPhase, step: () => T): T {
    const frame = this.open(phase);
    try {
      return step();
    } finally {
      this.close(frame);
    }
  }

  async task<T>(phase: CanisterPhase, step: () => Promise<T>): Promise<T> {
    const frame = this.open(phase);
    try {
      return await step();
    } finally {
      this.close(frame);
    }
  }

  /** `crypto` with each primitive charged to the phase it runs in (the pure backend works synchronously). */
  crypto(inner: CryptoBackend): CryptoBackend {
    return {
      name: inner.name,
      sha256: (data) => this.sync('sha256', () => inner.sha256(data)),
      sha384: (data) => this.sync('sha384', () => inner.sha384(data)),
      rsaPkcs1Sha256Verify: (k, m, s) => this.sync('rsa', () => inner.rsaPkcs1Sha256Verify(k, m, s)),
      ed25519Verify: (k, m, s) => this.sync('ed25519', () => inner.ed25519Verify(k, m, s)),
      ed448Verify: (k, m, s) => this.sync('ed448', () => inner.ed448Verify(k, m, s)),
      ecdsaP256Verify: (k, m, s) => this.sync('ecdsa_p256', () => inner.ecdsaP256Verify(k, m, s)),
      ecdsaP384Verify: (k, m, s) => this.sync('ecdsa_p384', () => inner.ecdsaP384Verify(k, m, s)),
    };
  }

  /** Adds this call's phases to the method's totals; what ran outside every phase is `other`. */
  finish(): void {
    let phased = -this.beforeStart;
    for (const n of this.own.values()) phased += n;
    this.charge('other', performanceCounter(0) - this.start - phased);
    for (const [label, n] of this.own) {
      const key = `${this.method} ${label}`;
      totals.set(key, (totals.get(key) ?? 0n) + n);
    }
    calls.set(this.method, (calls.get(this.method) ?? 0n) + 1n);
  }

  private open(phase: CanisterPhase): Frame {
    const parent = this.stack[this.stack.length - 1];
    const label = parent && CRYPTO.has(phase) ? `${parent.label.split('/')[0]}/${phase}` : phase;
    const frame = { label, start: performanceCounter(0), nested: 0n };
    this.stack.push(frame);
    return frame;
  }

  private close(frame: Frame): void {
    const spent = performanceCounter(0) - frame.start;
    this.stack.splice(this.stack.lastIndexOf(frame), 1);
    this.charge(frame.label, spent - frame.nested);
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.nested += spent;
  }

  private charge(label: string, n: bigint): void {
    this.own.set(label, (this.own.get(label) ?? 0n) + n);
  }
}

registerMetric({
  name: 'waxseal_email_instructions_total',
  help: 'Instructions spent by the email methods, per verification phase (since the last upgrade).',
  type: 'counter',
  value: () =>
    [...totals].map(([key, n]) => {
      const [method, phase] = key.split(' ') as [string, string];
      return [{ method, phase }, n] as const;
    }),
});
registerMetric({
  name: 'waxseal_email_metered_calls_total',
  help: 'Calls counted in waxseal_email_instructions_total, per method.',
  type: 'counter',
  value: () => [...calls].map(([method, n]) => [{ method }, n] as const),
});
