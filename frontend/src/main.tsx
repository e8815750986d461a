/**
 * Entry point: the app, or the dApp sign-in page (authorize/Authorize.tsx) when the path is `/authorize` or the
 * fragment `#authorize` (the legacy Internet Identity protocol forces that fragment onto whatever URL a dApp
 * names, so `https://<waxseal>/` works for old dApps too). The sign-in view is loaded only when asked for, which
 * keeps it out of the first page's JavaScript budget (scripts/frontend-build.ts); its channel to the dApp opens
 * here at once (authorize/inbox.ts), so the dApp's heartbeat is answered while the view is still loading.
 */
import { type ReactNode, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { windowHost } from './authorize/channel.ts';
import { openInbox } from './authorize/inbox.ts';
import './app.css';

function isAuthorizePage(where: Location): boolean {
  return /^\/authorize\/?$/.test(where.pathname) || where.hash === '#authorize';
}

const root = document.getElementById('root');
const render = (page: ReactNode) => root && createRoot(root).render(<StrictMode>{page}</StrictMode>);

if (isAuthorizePage(window.location)) {
  const inbox = openInbox(windowHost());
  // Imported before rendering rather than through React.lazy: React 19 keeps a Suspense fallback on screen for
  // at least 300 ms, which every sign-in would wait out.
  import('./authorize/Authorize.tsx').then(
    ({ default: Authorize }) => render(<Authorize inbox={inbox} />),
    () => render(<p role="alert">This page could not be loaded. Check your connection, then reload it.</p>),
  );
} else {
  render(<App />);
}
