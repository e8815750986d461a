/**
 * The gateway's only door to the canister: the generated actor over an unmodified HttpAgent, signed by the
 * gateway's key, as it reaches the IC in production (protocol.md §4).
 *
 * - `config` (a query) gives the served mail hosts, which decide RCPT, and the DNSSEC trust anchors, which the
 *   proof builder validates against, so the gateway judges exactly as the canister will. The last good answer is
 *   kept on disk beside the spool, so a gateway restarted while the endpoint is down still knows its hosts.
 * - `smtp_request` (an update) delivers one spooled message; an `Err` is the canister's final word on it.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Actor, type ActorSubclass, HttpAgent, type Identity } from '@icp-sdk/core/agent';
import { type _SERVICE, idlFactory } from '../../canister/declarations/waxseal.did.ts';
import type { SmtpEnvelope } from '../challenge/envelope.ts';
import { parseAnchors, type TrustAnchor } from '../dnssec/dnskey.ts';
import { BlsVerifier } from './bls-verifier.ts';

export interface CanisterView {
  readonly mailHosts: readonly string[];
  readonly anchors: readonly TrustAnchor[];
  /** When the canister answered (ms since the epoch). */
  readonly fetchedAt: number;
}

export type SmtpAnswer =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: number; readonly message: string };

export interface CanisterClientOptions {
  readonly url: string;
  readonly canisterId: string;
  readonly identity: Identity;
  readonly fetchRootKey: boolean;
  /** Where the last good config is cached. */
  readonly stateDir: string;
}

const CACHE_FILE = 'canister-config.json';

interface CachedConfig {
  mail_hosts: string[];
  root_anchors: string[];
  fetched_at: number;
}

function toView(c: CachedConfig): CanisterView {
  return {
    mailHosts: c.mail_hosts,
    anchors: parseAnchors(c.root_anchors.join('\n')),
    fetchedAt: c.fetched_at,
  };
}

export class CanisterClient {
  #actor: Promise<ActorSubclass<_SERVICE>> | null = null;
  readonly #bls = new BlsVerifier();

  constructor(private readonly options: CanisterClientOptions) {}

  /** A failed agent creation (root key fetch) is retried on the next call rather than cached. */
  #getActor(): Promise<ActorSubclass<_SERVICE>> {
    if (!this.#actor) {
      const { url, identity, fetchRootKey, canisterId } = this.options;
      // retryTimes 0: the relay owns retries and the age limit; an agent retrying on its own would deliver a
      // message after the relay gave up on it.
      this.#actor = HttpAgent.create({
        host: url,
        identity,
        shouldFetchRootKey: fetchRootKey,
        retryTimes: 0,
      }).then((agent) =>
        Actor.createActor<_SERVICE>(idlFactory, { agent, canisterId, blsVerify: this.#bls.verify }),
      );
      this.#actor.catch(() => {
        this.#actor = null;
      });
    }
    return this.#actor;
  }

  /** The cached config from an earlier run, if any. */
  cachedView(): CanisterView | null {
    try {
      return toView(
        JSON.parse(readFileSync(join(this.options.stateDir, CACHE_FILE), 'utf8')) as CachedConfig,
      );
    } catch {
      return null;
    }
  }

  async fetchView(now: number): Promise<CanisterView> {
    const c = await (await this.#getActor()).config();
    const cached: CachedConfig = { mail_hosts: c.mail_hosts, root_anchors: c.root_anchors, fetched_at: now };
    const view = toView(cached);
    const file = join(this.options.stateDir, CACHE_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify(cached));
    renameSync(`${file}.tmp`, file);
    return view;
  }

  /** Stops the certificate worker. */
  close(): Promise<void> {
    return this.#bls.close();
  }

  /** Throws on transport trouble (the relay retries); a canister `Err` is returned. */
  async smtpRequest(
    envelope: SmtpEnvelope,
    message: Uint8Array,
    proof: Uint8Array | null,
  ): Promise<SmtpAnswer> {
    const r = await (await this.#getActor()).smtp_request({
      envelope: { mail_from: envelope.mail_from, rcpt_to: [...envelope.rcpt_to] },
      message,
      dns_proof: proof ? [proof] : [],
    });
    return 'Ok' in r ? { ok: true } : { ok: false, code: r.Err.code, message: r.Err.message };
  }
}
