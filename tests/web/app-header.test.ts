import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { appHeaderHtml, PAGES } from '../../web/app-header';

describe('the header every signed-in page shares', () => {
  it('links every page, marking only the one shown, and each page (and the run page) asks for it once', () => {
    const html = appHeaderHtml('drift');
    expect([...html.matchAll(/<a href="(\w+)\.html"/g)].map((m) => m[1])).toEqual(PAGES.map(([page]) => page));
    expect([...html.matchAll(/aria-current="page">(\w+)</g)].map((m) => m[1])).toEqual(['Drift']);
    expect(appHeaderHtml('run')).not.toContain('aria-current');
    for (const page of [...PAGES.map(([name]) => name), 'run']) {
      const source = readFileSync(`web/${page}.html`, 'utf8');
      expect(source.split('<!-- app-header -->').length - 1, page).toBe(1);
      expect(source, page).not.toContain('class="app-header"');
    }
  });
});
