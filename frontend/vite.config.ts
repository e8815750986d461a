/**
 * The web app's build: Vite + React, static files in frontend/dist (served by the local stack, deployed as an
 * asset canister). The verification core in src/ is imported as source, so the page runs the same code as the
 * canister. No Node builtins reach the bundle: src/ uses none.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: { port: 5173, strictPort: true },
});
