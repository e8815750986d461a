/**
 * The postMessage channel of /authorize (frontend/src/authorize/channel.ts) with a fake window: ICRC-29 pinning
 * and heartbeat, ICRC-25 answers, `icrc34_delegation` and legacy `authorize-client` through one handler, one
 * request at a time; messages from anyone but the pinned opener ignored; the dApp going away; this window closing.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { base64 } from '@scure/base';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ChannelHost,
  type ChannelState,
  type IncomingMessage,
  openChannel,
  type Peer,
} from '../frontend/src/authorize/channel.ts';
import type { DelegationRequest, Outcome } from '../frontend/src/authorize/request.ts';
import { refuse } from '../frontend/src/authorize/request.ts';

const SELF = 'https://waxseal.example';
const DAPP = 'https://app.example.org';
const key = new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer());
const CHAIN: Outcome = {
  ok: true,
  chain: {
    userKey: Uint8Array.of(1),
    delegations: [{ pubkey: key, expiration: 5n, signature: Uint8Array.of(2) }],
    authnMethod: 'passkey',
  },
};

class FakePeer implements Peer {
  closed = false;
  readonly sent: { message: unknown; targetOrigin: string }[] = [];
  postMessage(message: unknown, targetOrigin: string) {
    this.sent.push({ message, targetOrigin });
  }
  /** What this window received, without the initial authorize-ready. */
  received() {
    return this.sent.filter((s) => (s.message as { kind?: string }).kind !== 'authorize-ready');
  }
}

interface Harness {
  opener: FakePeer;
  states: ChannelState[];
  handled: { request: DelegationRequest; origin: string; signal: AbortSignal }[];
  /** Delivers a message as `source` at `origin` would post it. */
  deliver(data: unknown, origin?: string, source?: unknown): void;
  pageHide(): void;
  /** Resolves the oldest pending handler call. */
  answer(outcome: Outcome): void;
  close(): void;
}

/** A channel on a fake window; `handle` defaults to one that waits for `answer`. */
function harness(withOpener = true, handle?: () => Promise<Outcome>): Harness {
  const opener = new FakePeer();
  let onMessage: (e: IncomingMessage) => void = () => {};
  let onPageHide = () => {};
  const host: ChannelHost = {
    opener: withOpener ? opener : null,
    selfOrigin: SELF,
    listen(m, h) {
      onMessage = m;
      onPageHide = h;
      return () => {
        onMessage = () => {};
      };
    },
  };
  const states: ChannelState[] = [];
  const handled: Harness['handled'] = [];
  const pending: ((o: Outcome) => void)[] = [];
  const close = openChannel(host, {
    onState: (s) => states.push(s),
    handle: (request, origin, signal) => {
      handled.push({ request, origin, signal });
      return handle ? handle() : new Promise((resolve) => pending.push(resolve));
    },
  });
  return {
    opener,
    states,
    handled,
    deliver: (data, origin = DAPP, source = opener) => onMessage({ data, origin, source }),
    pageHide: () => onPageHide(),
    answer: (o) => pending.shift()!(o),
    close,
  };
}

const status = (id: string | number = 's1') => ({ jsonrpc: '2.0', id, method: 'icrc29_status' });
const delegation = (
  id: string,
  params: unknown = { publicKey: base64.encode(key), maxTimeToLive: '1000' },
) => ({
  jsonrpc: '2.0',
  id,
  method: 'icrc34_delegation',
  params,
});
/** Lets queued promise callbacks run (timers are fake here). */
const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('opening', () => {
  it('without an opener there is nobody to answer: no-opener', () => {
    const h = harness(false);
    expect(h.states).toEqual([{ kind: 'no-opener' }]);
  });

  it('waits, and posts authorize-ready to the opener for legacy clients', () => {
    const h = harness();
    expect(h.states).toEqual([{ kind: 'waiting' }]);
    expect(h.opener.sent).toEqual([{ message: { kind: 'authorize-ready' }, targetOrigin: '*' }]);
    h.close();
  });
});

describe('ICRC-29: pinning and heartbeat', () => {
  it('the first icrc29_status from the opener pins its origin and is answered "ready" to that origin', () => {
    const h = harness();
    h.deliver(status('a'));
    expect(h.states.at(-1)).toEqual({ kind: 'connected', protocol: 'icrc', origin: DAPP });
    expect(h.opener.received()).toEqual([
      { message: { jsonrpc: '2.0', id: 'a', result: 'ready' }, targetOrigin: DAPP },
    ]);
    h.close();
  });

  it('before the pin: other windows, this page’s own origin, opaque origins and notifications pin nothing', () => {
    const h = harness();
    const stranger = new FakePeer();
    h.deliver(status(), DAPP, stranger);
    h.deliver(status(), SELF);
    h.deliver(status(), 'null');
    h.deliver(status(), 'file://');
    h.deliver({ jsonrpc: '2.0', method: 'icrc29_status' });
    h.deliver(delegation('d'));
    expect(h.states).toEqual([{ kind: 'waiting' }]);
    expect(h.opener.received()).toEqual([]);
    expect(stranger.sent).toEqual([]);
    h.close();
  });

  it('after the pin: another origin, even from the opener’s window, is ignored', () => {
    const h = harness();
    h.deliver(status());
    h.deliver(status('x'), 'https://evil.example');
    h.deliver(delegation('y'), 'https://evil.example');
    h.deliver(delegation('z'), DAPP, new FakePeer());
    expect(h.opener.received()).toHaveLength(1);
    expect(h.handled).toEqual([]);
    h.close();
  });

  it('every heartbeat is answered at once, also while a delegation request waits for the person', async () => {
    const h = harness();
    h.deliver(status('1'));
    h.deliver(delegation('d'));
    await flush();
    expect(h.handled).toHaveLength(1);
    for (const id of ['2', '3', '4']) {
      vi.advanceTimersByTime(300);
      h.deliver(status(id));
    }
    expect(h.opener.received().map((s) => (s.message as { id: string }).id)).toEqual(['1', '2', '3', '4']);
    h.close();
  });

  it('no heartbeat for 10 s: the dApp is gone and the pending request’s signal aborts', async () => {
    const h = harness();
    h.deliver(status());
    h.deliver(delegation('d'));
    await flush();
    vi.advanceTimersByTime(9_999);
    expect(h.states.at(-1)?.kind).toBe('connected');
    vi.advanceTimersByTime(1);
    expect(h.states.at(-1)).toEqual({ kind: 'gone' });
    expect(h.handled[0]!.signal.aborted).toBe(true);
  });

  it('the opener’s window closed: gone', () => {
    const h = harness();
    h.opener.closed = true;
    vi.advanceTimersByTime(500);
    expect(h.states.at(-1)).toEqual({ kind: 'gone' });
  });
});

describe('ICRC-25 and ICRC-34', () => {
  const reply = (h: Harness) => h.opener.received().at(-1)!.message;

  it('supported standards, permissions, and method-not-found for the rest', () => {
    const h = harness();
    h.deliver(status());
    h.deliver({ jsonrpc: '2.0', id: 1, method: 'icrc25_supported_standards' });
    expect(
      (reply(h) as { result: { supportedStandards: { name: string }[] } }).result.supportedStandards.map(
        (s) => s.name,
      ),
    ).toContain('ICRC-34');
    for (const method of ['icrc25_permissions', 'icrc25_request_permissions']) {
      h.deliver({ jsonrpc: '2.0', id: 2, method, params: { scopes: [{ method: 'icrc34_delegation' }] } });
      expect(reply(h)).toEqual({
        jsonrpc: '2.0',
        id: 2,
        result: { scopes: [{ scope: { method: 'icrc34_delegation' }, state: 'granted' }] },
      });
    }
    h.deliver({ jsonrpc: '2.0', id: 3, method: 'icrc49_call_canister' });
    expect(reply(h)).toMatchObject({ id: 3, error: { code: -32601 } });
    h.deliver({ jsonrpc: '2.0', method: 'icrc49_call_canister' });
    expect(reply(h)).toMatchObject({ id: 3 }); // a notification gets no answer
    h.close();
  });

  it('icrc34_delegation goes to the handler with the pinned origin; its chain comes back in ICRC-34 form', async () => {
    const h = harness();
    h.deliver(status());
    h.deliver(delegation('d'));
    await flush();
    expect(h.handled[0]).toMatchObject({ origin: DAPP, request: { sessionKey: key, maxTimeToLive: 1000n } });
    h.answer(CHAIN);
    await flush();
    expect(reply(h)).toEqual({
      jsonrpc: '2.0',
      id: 'd',
      result: {
        publicKey: 'AQ==',
        signerDelegation: [
          { delegation: { pubkey: base64.encode(key), expiration: '5' }, signature: 'Ag==' },
        ],
      },
    });
    h.close();
  });

  it('invalid params are answered −32602 without reaching the handler; a refusal by its ICRC-25 code', async () => {
    const h = harness();
    h.deliver(status());
    h.deliver(delegation('bad', { publicKey: 'nope' }));
    expect(reply(h)).toMatchObject({ id: 'bad', error: { code: -32602 } });
    h.deliver(delegation('c'));
    await flush();
    h.answer(refuse('user-aborted', 'cancelled'));
    await flush();
    expect(reply(h)).toEqual({ jsonrpc: '2.0', id: 'c', error: { code: 3001, message: 'cancelled' } });
    expect(h.handled).toHaveLength(1);
    h.close();
  });

  it('concurrent requests are handled one at a time, in order', async () => {
    const h = harness();
    h.deliver(status());
    h.deliver(delegation('first'));
    h.deliver(delegation('second'));
    await flush();
    expect(h.handled).toHaveLength(1);
    h.answer(CHAIN);
    await flush();
    expect(h.handled).toHaveLength(2);
    h.answer(refuse('user-aborted', 'no'));
    await flush();
    expect(
      h.opener
        .received()
        .slice(1)
        .map((s) => (s.message as { id: string }).id),
    ).toEqual(['first', 'second']);
    h.close();
  });

  it('a handler that throws becomes the generic error, not a crash', async () => {
    const h = harness(true, () => Promise.reject(new Error('boom')));
    h.deliver(status());
    h.deliver(delegation('d'));
    await flush();
    expect(h.opener.received().at(-1)!.message).toEqual({
      jsonrpc: '2.0',
      id: 'd',
      error: { code: 1000, message: 'boom' },
    });
    h.close();
  });

  it('this window closing answers every unanswered request with the user-aborted error', async () => {
    const h = harness();
    h.deliver(status());
    h.deliver(delegation('a'));
    h.deliver(delegation('b'));
    await flush();
    h.pageHide();
    const errors = h.opener
      .received()
      .slice(1)
      .map((s) => s.message);
    expect(errors).toEqual([
      { jsonrpc: '2.0', id: 'a', error: { code: 3001, message: 'The Waxseal window was closed.' } },
      { jsonrpc: '2.0', id: 'b', error: { code: 3001, message: 'The Waxseal window was closed.' } },
    ]);
    h.answer(CHAIN); // too late: nothing more is sent
    await flush();
    expect(h.opener.received()).toHaveLength(3);
  });

  it('arbitrary messages from the pinned dApp never crash the channel, and only requests are answered', () => {
    const h = harness();
    h.deliver(status());
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withTypedArray: true }), (data) => {
        const before = h.opener.received().length;
        h.deliver(data);
        const after = h.opener.received().length;
        const isRequest =
          typeof data === 'object' && data !== null && (data as { jsonrpc?: unknown }).jsonrpc === '2.0';
        if (!isRequest) expect(after).toBe(before);
      }),
    );
    h.close();
  });
});

describe('legacy authorize-client', () => {
  const legacy = (fields: Record<string, unknown> = {}) => ({
    kind: 'authorize-client',
    sessionPublicKey: key,
    maxTimeToLive: 1000n,
    ...fields,
  });

  it('an authorize-client from the opener pins the legacy protocol; the chain goes back as authorize-client-success', async () => {
    const h = harness();
    h.deliver(legacy());
    expect(h.states.at(-1)).toEqual({ kind: 'connected', protocol: 'legacy', origin: DAPP });
    await flush();
    expect(h.handled[0]).toMatchObject({ origin: DAPP, request: { sessionKey: key, maxTimeToLive: 1000n } });
    h.answer(CHAIN);
    await flush();
    expect(h.opener.received()).toEqual([
      {
        message: {
          kind: 'authorize-client-success',
          delegations: [{ delegation: { pubkey: key, expiration: 5n }, signature: Uint8Array.of(2) }],
          userPublicKey: Uint8Array.of(1),
          authnMethod: 'passkey',
        },
        targetOrigin: DAPP,
      },
    ]);
    h.close();
  });

  it('an invalid authorize-client is answered with authorize-client-failure; ICRC requests are ignored', async () => {
    const h = harness();
    h.deliver(legacy({ sessionPublicKey: 'x' }));
    h.deliver(status());
    expect(h.opener.received()).toEqual([
      {
        message: { kind: 'authorize-client-failure', text: expect.stringContaining('sessionPublicKey') },
        targetOrigin: DAPP,
      },
    ]);
    expect(h.handled).toEqual([]);
    h.close();
  });
});
