/**
 * The channel opened at page start (frontend/src/authorize/inbox.ts): heartbeats are answered before the view
 * has loaded, and a request that arrives meanwhile waits for the view's handler.
 */
import { Ed25519KeyIdentity } from '@icp-sdk/core/identity';
import { base64 } from '@scure/base';
import { describe, expect, it } from 'vitest';
import type { ChannelHost, IncomingMessage, Peer } from '../frontend/src/authorize/channel.ts';
import { openInbox } from '../frontend/src/authorize/inbox.ts';
import { refuse } from '../frontend/src/authorize/request.ts';

const DAPP = 'https://app.example.org';
const key = base64.encode(new Uint8Array(Ed25519KeyIdentity.generate().getPublicKey().toDer()));

function fakeWindow() {
  const sent: unknown[] = [];
  const opener: Peer = { closed: false, postMessage: (m) => sent.push(m) };
  let deliver: (e: IncomingMessage) => void = () => {};
  const host: ChannelHost = {
    opener,
    selfOrigin: 'https://waxseal.example',
    listen(onMessage) {
      deliver = onMessage;
      return () => {};
    },
  };
  return { host, sent, post: (data: unknown) => deliver({ data, origin: DAPP, source: opener }) };
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('openInbox', () => {
  it('answers the heartbeat and reports the connection before any view serves it', () => {
    const w = fakeWindow();
    const inbox = openInbox(w.host);
    const seen: string[] = [];
    inbox.subscribe(() => seen.push(inbox.state().kind));
    expect(inbox.state()).toEqual({ kind: 'waiting' });
    w.post({ jsonrpc: '2.0', id: 1, method: 'icrc29_status' });
    expect(inbox.state()).toEqual({ kind: 'connected', protocol: 'icrc', origin: DAPP });
    expect(seen).toEqual(['connected']);
    expect(w.sent.at(-1)).toEqual({ jsonrpc: '2.0', id: 1, result: 'ready' });
  });

  it('a request that arrives before the view waits for its handler, then is answered by it', async () => {
    const w = fakeWindow();
    const inbox = openInbox(w.host);
    w.post({ jsonrpc: '2.0', id: 1, method: 'icrc29_status' });
    w.post({ jsonrpc: '2.0', id: 'd', method: 'icrc34_delegation', params: { publicKey: key } });
    await settle();
    expect(w.sent).toHaveLength(2); // authorize-ready and the heartbeat: the request waits
    const origins: string[] = [];
    const stop = inbox.serve(async (_request, origin) => {
      origins.push(origin);
      return refuse('user-aborted', 'cancelled');
    });
    await settle();
    expect(origins).toEqual([DAPP]);
    expect(w.sent.at(-1)).toEqual({ jsonrpc: '2.0', id: 'd', error: { code: 3001, message: 'cancelled' } });
    stop();
  });
});
