/**
 * The demo dApp's build: two pages, index.html (@icp-sdk/auth 7.1) and legacy.html (@dfinity/auth-client 3.4),
 * static files served by scripts/local-stack/demo.ts with the `/env.json` that points them at Waxseal.
 */
import { join } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        index: join(import.meta.dirname, 'index.html'),
        legacy: join(import.meta.dirname, 'legacy.html'),
      },
    },
  },
});
