/**
 * The web app's build: Vite + React, static files in frontend/dist (served by the local stack, deployed as an
 * asset canister). The verification core in src/ is imported as source, so the page runs the same code as the
 * canister. No Node builtins reach the bundle: src/ uses none.
 *
 * `npm run dev` serves `/env.json` from the running local stack's stack.json (`.waxseal/stack.json`, or the file
 * named by WAXSEAL_STACK), as `npm start` serves it from the endpoint's ready line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

function stackEnv(): Plugin {
  const file = process.env.WAXSEAL_STACK ?? join(import.meta.dirname, '..', '.waxseal', 'stack.json');
  return {
    name: 'waxseal-env',
    configureServer(server) {
      server.middlewares.use('/env.json', (_req, res) => {
        try {
          const s = JSON.parse(readFileSync(file, 'utf8'));
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ host: s.url, canisterId: s.canister_id, rootKey: s.root_key }));
        } catch {
          res.statusCode = 503;
          res.end(`no local stack: start it with npm start (reading ${file})\n`);
        }
      });
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), stackEnv()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: { port: 5173, strictPort: true },
});
