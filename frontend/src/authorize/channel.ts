/**
 * The postMessage channel between `/authorize` and the dApp window that opened it, for both protocols:
 *
 * - ICRC-29 (window postMessage transport): the first `icrc29_status` request from the opener pins the dApp's
 *   origin and window; every later status request from them is answered `"ready"` at once, whatever else is
 *   going on, so the dApp's heartbeat (a reply within 2 s) holds for the whole flow. ICRC-25 methods and
 *   `icrc34_delegation` (icrc.ts) are answered as JSON-RPC 2.0 responses to that origin only.
 * - The legacy protocol (legacy.ts): `authorize-ready` is posted to the opener on open; an `authorize-client`
 *   from the opener pins its origin the same way.
 *
 * Messages from any other origin or window, from this page's own origin, and before the pin anything but those
 * two openers are ignored. Delegation requests are handled one at a time, in order, whatever the protocol (a
 * dApp sending several at once cannot race the person's choice). The channel ends when the dApp goes away (no
 * heartbeat for `disconnectMs`, or its window closed): the pending handler's signal aborts. When this window is
 * closed (pagehide) every unanswered delegation request gets the user-aborted refusal, as Cancel would give it.
 */
import {
  delegationResult,
  METHODS,
  PERMISSIONS,
  parseDelegationParams,
  SUPPORTED_STANDARDS,
} from './icrc.ts';
import { ERROR_CODES, error, parseRequest, type RpcRequest, refusalError, result } from './jsonrpc.ts';
import { AUTHORIZE_READY, authorizeClientReply, isAuthorizeClient, parseAuthorizeClient } from './legacy.ts';
import { type DelegationRequest, type Outcome, refuse } from './request.ts';

/** The dApp's window as this page sees it (a WindowProxy: postMessage and `closed` work across origins). */
export interface Peer {
  postMessage(message: unknown, targetOrigin: string): void;
  readonly closed: boolean;
}

export interface IncomingMessage {
  readonly data: unknown;
  readonly origin: string;
  readonly source: unknown;
}

/** What the channel needs of this window; `windowHost()` in the page, a fake in tests. */
export interface ChannelHost {
  readonly opener: Peer | null;
  /** This page's own origin: messages from it are never a dApp's. */
  readonly selfOrigin: string;
  /** Starts delivering `message` and `pagehide` events; returns the function that stops it. */
  listen(onMessage: (e: IncomingMessage) => void, onPageHide: () => void): () => void;
}

export type Protocol = 'icrc' | 'legacy';

export type ChannelState =
  /** Opened directly, not by a dApp: there is nobody to answer. */
  | { readonly kind: 'no-opener' }
  /** Waiting for the dApp's first message. */
  | { readonly kind: 'waiting' }
  | { readonly kind: 'connected'; readonly protocol: Protocol; readonly origin: string }
  /** The dApp stopped listening (its window closed, navigated, or its heartbeat stopped). */
  | { readonly kind: 'gone' };

export interface ChannelOptions {
  onState(state: ChannelState): void;
  /** Answers one delegation request from the dApp at `origin`; `signal` aborts when the dApp goes away. */
  handle(request: DelegationRequest, origin: string, signal: AbortSignal): Promise<Outcome>;
  /**
   * Silence after which the dApp counts as gone. Internet Identity waits 10 s: a background dApp tab's timers
   * may be throttled to one a second or slower, so the client's own 2 s is too tight on this side.
   */
  disconnectMs?: number;
  /** How often the opener's `closed` is checked. */
  pollMs?: number;
}

const DISCONNECT_MS = 10_000;
const POLL_MS = 500;

/** The page's own window as a channel host. */
export function windowHost(w: Window = window): ChannelHost {
  return {
    opener: w.opener as Peer | null,
    selfOrigin: w.location.origin,
    listen(onMessage, onPageHide) {
      w.addEventListener('message', onMessage);
      w.addEventListener('pagehide', onPageHide);
      return () => {
        w.removeEventListener('message', onMessage);
        w.removeEventListener('pagehide', onPageHide);
      };
    },
  };
}

/** An origin a dApp can have: http(s), not opaque ("null"), not this page's own. */
function isDappOrigin(origin: string, selfOrigin: string): boolean {
  return origin !== selfOrigin && (origin.startsWith('https://') || origin.startsWith('http://'));
}

/** Opens the channel; returns the function that closes it (without answering anything). */
export function openChannel(host: ChannelHost, o: ChannelOptions): () => void {
  const opener = host.opener;
  if (!opener) {
    o.onState({ kind: 'no-opener' });
    return () => {};
  }
  const ended = new AbortController();
  let pinned: { origin: string; source: Peer; protocol: Protocol } | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let heartbeat: ReturnType<typeof setTimeout> | undefined;
  /** Replies still owed for delegation requests, each answering at most once. */
  const owed = new Set<(outcome: Outcome) => void>();

  const send = (message: unknown) => {
    if (!ended.signal.aborted && pinned) pinned.source.postMessage(message, pinned.origin);
  };
  const end = (state: ChannelState | null) => {
    if (ended.signal.aborted) return;
    ended.abort();
    clearTimeout(heartbeat);
    clearInterval(poll);
    stop();
    if (state) o.onState(state);
  };
  const disconnectMs = o.disconnectMs ?? DISCONNECT_MS;
  const keepAlive = () => {
    clearTimeout(heartbeat);
    heartbeat = setTimeout(() => end({ kind: 'gone' }), disconnectMs);
  };

  /** Queues `request` behind the earlier ones; `reply` is called once with its outcome. */
  const delegate = (request: DelegationRequest, origin: string, reply: (outcome: Outcome) => void) => {
    let answered = false;
    const once = (outcome: Outcome) => {
      if (answered) return;
      answered = true;
      owed.delete(once);
      reply(outcome);
    };
    owed.add(once);
    const run = queue.then(async () => {
      if (ended.signal.aborted) return;
      try {
        once(await o.handle(request, origin, ended.signal));
      } catch (e) {
        once(refuse('generic', e instanceof Error ? e.message : String(e)));
      }
    });
    queue = run;
  };

  const onIcrc = (rpc: RpcRequest, origin: string) => {
    const { id } = rpc;
    if (id === undefined) return; // a notification: JSON-RPC 2.0 §4.1, never answered
    switch (rpc.method) {
      case METHODS.status:
        keepAlive();
        return send(result(id, 'ready'));
      case METHODS.supportedStandards:
        return send(result(id, SUPPORTED_STANDARDS));
      case METHODS.permissions:
      case METHODS.requestPermissions:
        return send(result(id, PERMISSIONS));
      case METHODS.delegation: {
        const parsed = parseDelegationParams(rpc.params);
        if (!parsed.ok) return send(refusalError(id, parsed.code, parsed.message));
        return delegate(parsed.value, origin, (outcome) =>
          send(
            outcome.ok
              ? result(id, delegationResult(outcome.chain))
              : refusalError(id, outcome.code, outcome.message),
          ),
        );
      }
      default:
        return send(error(id, ERROR_CODES.methodNotFound, `Waxseal does not support ${rpc.method}`));
    }
  };

  const onLegacy = (data: unknown, origin: string) => {
    const parsed = parseAuthorizeClient(data);
    if (!parsed.ok) return send(authorizeClientReply(parsed));
    delegate(parsed.value, origin, (outcome) => send(authorizeClientReply(outcome)));
  };

  const onMessage = (e: IncomingMessage) => {
    if (!pinned) {
      if (e.source !== opener || !isDappOrigin(e.origin, host.selfOrigin)) return;
      const rpc = parseRequest(e.data);
      const protocol: Protocol | null =
        rpc?.method === METHODS.status && rpc.id !== undefined
          ? 'icrc'
          : isAuthorizeClient(e.data)
            ? 'legacy'
            : null;
      if (!protocol) return;
      pinned = { origin: e.origin, source: opener, protocol };
      o.onState({ kind: 'connected', protocol, origin: e.origin });
    }
    if (e.origin !== pinned.origin || e.source !== pinned.source) return;
    if (pinned.protocol === 'legacy') {
      if (isAuthorizeClient(e.data)) onLegacy(e.data, pinned.origin);
      return;
    }
    const rpc = parseRequest(e.data);
    if (rpc) onIcrc(rpc, pinned.origin);
  };

  const onPageHide = () => {
    for (const reply of [...owed]) reply(refuse('user-aborted', 'The Waxseal window was closed.'));
    end(null);
  };

  const stop = host.listen(onMessage, onPageHide);
  const poll = setInterval(() => {
    if (opener.closed) end({ kind: 'gone' });
  }, o.pollMs ?? POLL_MS);
  o.onState({ kind: 'waiting' });
  opener.postMessage(AUTHORIZE_READY, '*');
  return () => end(null);
}
