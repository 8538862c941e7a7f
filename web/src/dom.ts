import { ApiError } from './api';

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined>;

/** Builds an element; text always goes in as text nodes, so API data can never inject markup. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** The element with this id, typed; a missing one is a bug in the page's HTML. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** Shows an error in a role="alert" region: the API's own message, and its request id for the logs. */
export function showError(region: HTMLElement, error: unknown, context?: string): void {
  const message = error instanceof Error ? error.message : String(error);
  const prefix = context ? `${context}: ` : '';
  region.replaceChildren(el('strong', {}, error instanceof ApiError && error.status ? `Error ${error.status}` : 'Error'), ` ${prefix}${message}`);
  if (error instanceof ApiError && error.requestId) region.append(el('span', { class: 'request-id' }, ` (request ${error.requestId})`));
  region.hidden = false;
}

export function clearError(region: HTMLElement): void {
  region.replaceChildren();
  region.hidden = true;
}

/** A polite live region message (status of an action), for screen readers and sighted people alike. */
export function announce(region: HTMLElement, message: string): void {
  region.textContent = message;
}
