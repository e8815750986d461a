/**
 * The channel (channel.ts) opened as the page starts, before the sign-in view has loaded: the dApp polls
 * `icrc29_status` every 300 ms and the connection is made by the first poll that finds a listener, so every tick
 * spent loading the view would be added to each sign-in. Requests that arrive before the view is ready wait here
 * for it; the view reads the channel's state through `subscribe`/`state` (React's useSyncExternalStore).
 */
import { type ChannelHost, type ChannelOptions, type ChannelState, openChannel } from './channel.ts';

type Handle = ChannelOptions['handle'];

export interface Inbox {
  state(): ChannelState;
  subscribe(onChange: () => void): () => void;
  /** Starts answering requests with `handle`, those that already wait first; returns the function that stops. */
  serve(handle: Handle): () => void;
}

export function openInbox(host: ChannelHost): Inbox {
  let current: ChannelState = { kind: 'waiting' };
  const watchers = new Set<() => void>();
  let handler: Handle | null = null;
  const waiting: ((handle: Handle) => void)[] = [];
  openChannel(host, {
    onState: (state) => {
      current = state;
      for (const w of watchers) w();
    },
    handle: (request, origin, signal) =>
      handler
        ? handler(request, origin, signal)
        : new Promise((resolve) => waiting.push((h) => resolve(h(request, origin, signal)))),
  });
  return {
    state: () => current,
    subscribe(onChange) {
      watchers.add(onChange);
      return () => watchers.delete(onChange);
    },
    serve(handle) {
      handler = handle;
      for (const run of waiting.splice(0)) run(handle);
      return () => {
        if (handler === handle) handler = null;
      };
    },
  };
}
