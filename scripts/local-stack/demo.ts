/**
 * The local stack's demo dApp (examples/demo-dapp, its own npm workspace on @icp-sdk/core 5): built with the
 * root's Vite, and served on its own loopback origin, apart from the web app's, since a dApp's principal depends
 * on its origin. Beside the static files the server makes `/env.json` (Waxseal's sign-in page and the IC endpoint
 * the demo calls `whoami` on) and, when asked, `/.well-known/ii-alternative-origins` (Internet Identity spec,
 * "Alternative Frontend Origins"; ICRC-95), readable from any origin so that Waxseal's page can fetch it.
 */
import { join } from 'node:path';
import { build } from 'vite';
import { type GeneratedFile, serveStatic, type WebServer } from './web.ts';

export const DEMO_DIR = join(import.meta.dirname, '..', '..', 'examples', 'demo-dapp');
export const DEMO_DIST = join(DEMO_DIR, 'dist');

/** What the demo reads from `/env.json` (examples/demo-dapp/src/page.ts `DemoEnv`). */
export interface DemoEnv {
  identityProvider: string;
  host: string;
  canisterId: string;
  rootKey: string;
}

export interface DemoOptions {
  /** Origins allowed to sign in with this origin's principal; without it the file is not served (404). */
  alternativeOrigins?: readonly string[];
}

/** Builds both demo pages into `outDir`. */
export async function buildDemo(outDir: string = DEMO_DIST): Promise<void> {
  await build({ configFile: join(DEMO_DIR, 'vite.config.ts'), logLevel: 'warn', build: { outDir } });
}

export function serveDemo(
  dist: string,
  env: DemoEnv,
  port: number,
  options: DemoOptions = {},
): Promise<WebServer> {
  const files: Record<string, GeneratedFile> = { '/env.json': { json: env } };
  if (options.alternativeOrigins) {
    files['/.well-known/ii-alternative-origins'] = {
      json: { alternativeOrigins: options.alternativeOrigins },
      anyOrigin: true,
    };
  }
  return serveStatic(dist, files, port);
}
