import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The gateway serves dist/ at `/`; `npm run dev -w @cadre/dashboard` serves the sources with
// hot reload and forwards the API to a running Cadre (CADRE_URL, default http://localhost:8000).
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: { '/v1': { target: process.env.CADRE_URL ?? 'http://localhost:8000', changeOrigin: true } },
  },
});
