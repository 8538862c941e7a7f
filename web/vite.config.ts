import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The front end is the static pages served by the API at /app/ (from web/dist). In development,
// `npx vite --config web/vite.config.ts` serves them with /api proxied to a running API.
const root = fileURLToPath(new URL('.', import.meta.url));
const page = (name: string) => fileURLToPath(new URL(`./${name}.html`, import.meta.url));
const api = { '/api': process.env.ECGFLOW_API_URL ?? 'http://127.0.0.1:8080' };

export default defineConfig({
  root,
  base: '/app/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    rollupOptions: { input: { index: page('index'), review: page('review'), dashboard: page('dashboard'), run: page('run'), models: page('models'), schedule: page('schedule'), drift: page('drift'), audit: page('audit') } },
  },
  server: { proxy: api },
  preview: { proxy: api },
});
