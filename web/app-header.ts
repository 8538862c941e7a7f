import path from 'node:path';
import type { Plugin } from 'vite';

// Every signed-in page starts with the same header: the brand, the pages, who is signed in, the
// logout button and the page-wide error banner. The pages write `<!-- app-header -->` where it
// goes and the build puts it there, marking the page being shown, so a new page is one line here.

export const PAGES = [
  ['review', 'Review'],
  ['dashboard', 'Dashboard'],
  ['models', 'Models'],
  ['schedule', 'Schedule'],
  ['drift', 'Drift'],
  ['audit', 'Audit'],
] as const;

const PLACEHOLDER = '<!-- app-header -->';

export function appHeaderHtml(current: string): string {
  const links = PAGES.map(([page, label]) => `<a href="${page}.html"${page === current ? ' aria-current="page"' : ''}>${label}</a>`);
  return [
    '<header class="app-header">',
    '  <span class="brand">ecgflow</span>',
    `  <nav aria-label="Pages">${links.join('')}</nav>`,
    '  <span id="whoami" class="whoami"></span>',
    '  <button id="logout" type="button">Log out</button>',
    '</header>',
    '<div id="page-error" class="error banner" role="alert" hidden></div>',
  ].join('\n');
}

/** Fills each page's `<!-- app-header -->`, in the dev server and the build alike. */
export function appHeader(): Plugin {
  return {
    name: 'ecgflow-app-header',
    transformIndexHtml(html, context) {
      if (!html.includes(PLACEHOLDER)) return html;
      return html.replace(PLACEHOLDER, appHeaderHtml(path.basename(context.filename, '.html')));
    },
  };
}
