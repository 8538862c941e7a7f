import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApp } from '../../api/app';
import type { ApiApp } from '../../api/types';
import type { TestDatabase } from './db';
import type { TestPipeline } from './temporal';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEB = path.join(ROOT, 'web');
const DIST = path.join(WEB, 'dist');

/**
 * Builds web/dist when it is missing or older than any source file of the pages, so the browser
 * tests never run against stale pages (the build takes a few seconds). Test files in parallel (or
 * several checkouts' runs) may ask at once: one builds under a lock, into a fresh directory that
 * then replaces dist, so a page another test is serving never vanishes mid-build.
 */
export function ensureWebBuilt(): void {
  if (isWebBuilt()) return;
  withBuildLock(() => {
    if (isWebBuilt()) return;
    const next = `${DIST}.next-${process.pid}`;
    execFileSync(path.join(ROOT, 'node_modules/.bin/vite'), ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn', '--outDir', next], { cwd: ROOT, stdio: 'inherit' });
    const old = `${DIST}.old-${process.pid}`;
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(next, DIST);
    rmSync(old, { recursive: true, force: true });
  });
}

function isWebBuilt(): boolean {
  const built = path.join(DIST, 'index.html');
  return existsSync(built) && newestSource(WEB) <= statSync(built).mtimeMs;
}

const LOCK = path.join(WEB, '.build-lock');

function withBuildLock(build: () => void): void {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock older than any build is one a killed run left.
      const held = statSync(LOCK, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 90_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`another build of web/dist held ${LOCK} for two minutes`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    build();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('dist') || entry.name === 'node_modules' || entry.name === '.build-lock') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Debian's chromium, headless; a browser is never downloaded. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface ListeningApi {
  app: ApiApp;
  /** http://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

/** The real API (and the pages it serves at /app/) on a real port, for a real browser. */
export async function listenTestApi(t: TestDatabase, p: TestPipeline): Promise<ListeningApi> {
  const app = await buildApp({ db: t.db, temporal: async () => p.client, config: p.config });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, close: () => app.close() };
}

/** Signs in through the login form and waits for the page it leads to. */
export async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/app/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/app\/(review|dashboard)\.html$/);
}

/** Page errors and failed requests fail a test loudly rather than as a mysterious timeout later. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) errors.push(message.text());
  });
  return errors;
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations of impact serious or critical on the page as it stands, as "rule (impact, n nodes)". */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string | null; nodes: unknown[] }[] }> } }).axe;
    return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.nodes} nodes)`);
}

/** The little of the DOM the checks below touch (the root tsconfig has no DOM lib; these run in the page). */
interface PageElement {
  tagName: string;
  id: string;
  textContent: string | null;
  disabled?: boolean;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  getBoundingClientRect(): { width: number; height: number };
}
interface PageGlobals {
  document: { querySelectorAll(selector: string): ArrayLike<PageElement>; activeElement: (PageElement & { blur?(): void }) | null };
  getComputedStyle(e: PageElement): { visibility: string };
}

/**
 * The visible, enabled controls of the page that Tab never reaches, as "tag#id 'text'": pressing
 * Tab from the top of the page must visit every link, button and field (the keyboard-only user's
 * path through it). Empty when every control is reachable.
 */
export async function keyboardUnreachable(page: Page, mostTabs = 600): Promise<string[]> {
  const total = await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const selector = 'a[href], button, input:not([type="hidden"]), select, textarea, [tabindex]:not([tabindex="-1"])';
    const visible = (e: PageElement) => {
      const box = e.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && g.getComputedStyle(e).visibility !== 'hidden' && !e.disabled;
    };
    const controls = Array.from(g.document.querySelectorAll(selector)).filter(visible);
    controls.forEach((e, i) => e.setAttribute('data-keyboard-check', String(i)));
    g.document.activeElement?.blur?.();
    return controls.length;
  });
  const reached = new Set<string>();
  for (let i = 0; i < mostTabs && reached.size < total; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.getAttribute('data-keyboard-check') ?? null);
    if (id !== null) reached.add(id);
  }
  return page.evaluate((seen) => {
    const g = globalThis as unknown as PageGlobals;
    return Array.from(g.document.querySelectorAll('[data-keyboard-check]'))
      .filter((e) => !seen.includes(e.getAttribute('data-keyboard-check')!))
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} '${(e.textContent ?? '').trim().slice(0, 40)}'`);
  }, [...reached]);
}

/** How many pixels the page is wider than its viewport (0 when it fits, with no sideways scrolling). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
    return Math.max(0, root.scrollWidth - root.clientWidth);
  });
}

/**
 * What every page must pass as it stands: no serious axe violations, every control reachable by
 * Tab, no sideways scrolling at the test's viewport (1366×768). Equal to NO_PAGE_PROBLEMS when clean.
 */
export async function pageProblems(page: Page): Promise<{ axe: string[]; unreachableByTab: string[]; overflowPx: number }> {
  return { axe: await seriousViolations(page), unreachableByTab: await keyboardUnreachable(page), overflowPx: await horizontalOverflow(page) };
}

export const NO_PAGE_PROBLEMS = { axe: [], unreachableByTab: [], overflowPx: 0 } as const;

/** The screen every page must fit: a common hospital workstation laptop. */
export const PAGE_VIEWPORT = { width: 1366, height: 768 };

/**
 * A fresh browser context at PAGE_VIEWPORT, signed in with the key, on /app/<path> (e.g.
 * 'models.html?tag=x'), collecting the page's errors for the test to assert.
 */
export async function openSignedIn(browser: Browser, baseUrl: string, key: string, path: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: PAGE_VIEWPORT, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = collectPageErrors(page);
  await signIn(page, baseUrl, key);
  await page.goto(`${baseUrl}/app/${path}`);
  return { page, errors };
}
