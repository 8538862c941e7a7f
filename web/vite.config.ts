import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { appHeader, PAGES } from './app-header';

// The front end is the static pages served by the API at /app/ (from web/dist). In development,
// `npx vite --config web/vite.config.ts` serves them with /api proxied to a running API.
const root = fileURLToPath(new URL('.', import.meta.url));
const page = (name: string) => fileURLToPath(new URL(`./${name}.html`, import.meta.url));
const api = { '/api': process.env.ECGFLOW_API_URL ?? 'http://127.0.0.1:8080' };

export default defineConfig({
  root,
  base: '/app/',
  plugins: [appHeader()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The login, a run's timeline, and every page the header links to.
    rollupOptions: { input: Object.fromEntries(['index', 'run', ...PAGES.map(([name]) => name)].map((name) => [name, page(name)])) },
  },
  server: { proxy: api },
  preview: { proxy: api },
});
