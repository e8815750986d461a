/**
 * The DNSSEC path (protocol.md §7, §3 `email_challenge_submit_proof`): an RFC 9102 proof, attached by the gateway
 * or submitted later, answers the email's TXT lookups (proof-lookup.ts) for the verdict (verdict.ts).
 *
 * Submission rules: a proof is accepted only in NeedProof and only with the kept message; a proof that does not
 * validate leaves the challenge waiting (`unchanged`, code ProofInvalid), so whoever holds the nonce cannot end
 * it with junk; a valid proof under which the email fails ends it (`Failed`).
 */
import { defaultCrypto } from '#crypto-default';
import { dmarcNameList, dmarcNames } from '../dmarc/discovery.ts';
import { UNMETERED } from '../meter.ts';
import { fail, pass } from './checks.ts';
import type { FlowContext } from './flow.ts';
import { keptEmail, type ReadEmail } from './precheck.ts';
import { proofLookup } from './proof-lookup.ts';
import { type Decision, fails, unchanged } from './transitions.ts';
import { type Challenge, toSeconds } from './types.ts';
import { judge } from './verdict.ts';

/**
 * The verdict with `proof` as the only DNS source. Every name the verdict will ask for (each candidate's key
 * record, `_dmarc.<From domain>` and `_dmarc.<organizational domain>`) is validated first, in one step, so the chain's cost is accounted apart.
 */
export async function judgeWithProof(
  email: ReadEmail,
  challenge: Challenge,
  proof: Uint8Array,
  ctx: FlowContext,
): Promise<Decision> {
  const crypto = ctx.crypto ?? defaultCrypto;
  const meter = ctx.meter ?? UNMETERED;
  const pl = meter.sync('dnssec', () =>
    proofLookup(proof, {
      anchors: ctx.anchors,
      now: toSeconds(ctx.now),
      crypto,
      ...(ctx.keyCache ? { keyCache: ctx.keyCache } : {}),
    }),
  );
  if (!pl.ok) {
    const checks = [...email.checks, fail('proof', pl.detail)];
    return fails('ProofInvalid', `the DNSSEC proof is malformed: ${pl.detail}`, checks);
  }
  const names = [
    ...email.candidates.map((c) => c.keyName),
    ...dmarcNameList(dmarcNames(email.from.domain, ctx.suffixes)),
  ];
  await meter.task('dnssec', async () => {
    for (const name of names) await pl.lookup(name);
  });
  const prior = [...email.checks, pass('proof', `${proof.length} bytes`)];
  return judge(email, challenge, pl.lookup, 'proof', ctx, prior, pl.verdicts);
}

/** `email_challenge_submit_proof`: the kept message of a NeedProof challenge, with a proof. */
export async function submitProof(
  challenge: Challenge | null,
  message: Uint8Array,
  proof: Uint8Array,
  ctx: FlowContext,
): Promise<Decision> {
  const kept = await keptEmail(challenge, message, 'NeedProof', ctx);
  if ('decision' in kept) return kept.decision;
  const d = await judgeWithProof(kept.email, kept.challenge, proof, ctx);
  if (d.kind === 'update' && d.state.kind === 'Failed' && d.state.code === 'ProofInvalid') {
    return unchanged('ProofInvalid', d.state.message, d.checks);
  }
  return d;
}
