// The devnet's page for a browser, served at `/` by server.ts beside the IC interface spec's "HTTPS interface".

import type { Devnet } from './devnet.ts';

const escapeHtml = (t: string): string =>
  t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/**
 * What a person who opens the endpoint in a browser sees: this is an API, which canister it serves and how to
 * reach it (the IC's own endpoints answer a browser with nothing useful either; a local tool should).
 */
export function homePage(devnet: Devnet, host: string): string {
  const url = escapeHtml(`http://${host}`);
  const id = escapeHtml(devnet.canisterId.toText());
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Waxseal devnet</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#222}
code,pre{background:#f3f3f3;border-radius:4px;padding:.1rem .3rem}pre{padding:.8rem;overflow-x:auto}</style></head>
<body>
<h1>Waxseal devnet</h1>
<p>This is a local Internet Computer endpoint, not a web page: programs talk to it with an
<code>HttpAgent</code>, exactly as they talk to the IC. It serves one canister, Waxseal.</p>
<table><tr><td>Canister id</td><td><code>${id}</code></td></tr>
<tr><td>Status and root key</td><td><a href="/api/v2/status"><code>/api/v2/status</code></a> (CBOR)</td></tr>
<tr><td>Counters</td><td><a href="/_devnet/stats"><code>/_devnet/stats</code></a> (JSON)</td></tr></table>
<h2>Connect</h2>
<pre>import { HttpAgent } from '@icp-sdk/core/agent';
import { createActor } from './canister/declarations/waxseal.ts';

const agent = await HttpAgent.create({
  host: '${url}',
  shouldFetchRootKey: true,
});
const waxseal = createActor('${id}', { agent });
console.log(await waxseal.config());</pre>
<p>The web app and the mail gateway will appear beside it in <code>npm start</code>'s table. See the README,
section <code>waxseal devnet</code>, for what the endpoint checks and where it keeps its state.</p>
</body></html>`;
}
