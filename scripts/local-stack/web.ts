/**
 * The local stack's web server for the app: frontend/dist as static files on loopback, plus `/env.json` naming
 * the endpoint (host, canister id, root key) from the devnet's ready line, so the page connects to this stack
 * without anything compiled in. Unknown paths get index.html (the app routes in the page, `/authorize` among
 * them). GET and HEAD only; a path that leaves the folder is 404. `serveStatic` is the same server with other
 * generated files, for the demo dApp (demo.ts).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

export interface WebEnv {
  host: string;
  canisterId: string;
  rootKey: string;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/** A file made by the server rather than read from the folder: JSON, optionally readable from any origin. */
export interface GeneratedFile {
  json: unknown;
  /** Sends `Access-Control-Allow-Origin: *`, for files other sites' pages fetch. */
  anyOrigin?: boolean;
}

export function serveWeb(dist: string, env: WebEnv, port: number, host = '127.0.0.1'): Promise<WebServer> {
  return serveStatic(dist, { '/env.json': { json: env } }, port, host);
}

/** Serves `dist` and the `generated` files (by path) on `host:port`; the URL names it `localhost`. */
export async function serveStatic(
  dist: string,
  generated: Readonly<Record<string, GeneratedFile>>,
  port: number,
  host = '127.0.0.1',
): Promise<WebServer> {
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const send = (status: number, type: string, body: string | Buffer, cache = 'no-cache', cors = false) => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': cache,
        ...(cors ? { 'access-control-allow-origin': '*' } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const made = Object.hasOwn(generated, path) ? generated[path] : undefined;
    if (made) return send(200, TYPES['.json']!, JSON.stringify(made.json), 'no-store', made.anyOrigin);
    const file = normalize(join(dist, path));
    if (!file.startsWith(dist + sep) && file !== dist) return send(404, 'text/plain', 'not found\n');
    try {
      const served = path.endsWith('/') ? join(file, 'index.html') : file;
      const body = await readFile(served);
      const immutable = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      return send(200, TYPES[extname(served)] ?? 'application/octet-stream', body, immutable);
    } catch {
      if (extname(path) !== '') return send(404, 'text/plain', 'not found\n');
      try {
        return send(200, TYPES['.html']!, await readFile(join(dist, 'index.html')));
      } catch {
        return send(503, 'text/plain', 'the web app is not built: npm run build:frontend\n');
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    url: `http://localhost:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
