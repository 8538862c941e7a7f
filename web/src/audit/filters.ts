import { el } from '../dom';
import { RUN_STATUS_LABELS, STARTED_BY_KINDS, WORKFLOW_TYPE_LABELS, type StartedByKind } from './labels';

// The runs filter: the form, and the same filters as the page's URL (?type=&status=&modelTag=&date=
// &startedBy=&from=&to=), the names GET /workflows takes, so a shared link restores the form and
// the results, and what the page asks the API is exactly what the address bar says.

export const RUN_FILTER_NAMES = ['type', 'status', 'modelTag', 'date', 'startedBy', 'from', 'to'] as const;
export type RunFilterName = (typeof RUN_FILTER_NAMES)[number];
export type RunFilters = Partial<Record<RunFilterName, string>>;

export function filtersFromUrl(search: string): RunFilters {
  const params = new URLSearchParams(search);
  const filters: RunFilters = {};
  for (const name of RUN_FILTER_NAMES) {
    const value = params.get(name)?.trim();
    if (value) filters[name] = value;
  }
  return filters;
}

/** The form's select options, from the label records (so they follow the contract). */
export function fillFilterOptions(form: HTMLFormElement): void {
  select(form, 'type').append(...Object.entries(WORKFLOW_TYPE_LABELS).map(([type, label]) => el('option', { value: type }, `${type} (${label})`)));
  select(form, 'status').append(...Object.entries(RUN_STATUS_LABELS).map(([status, label]) => el('option', { value: status }, label)));
  select(form, 'startedByKind').append(...Object.entries(STARTED_BY_KINDS).map(([kind, { label }]) => el('option', { value: kind }, label)));
  // A key id means nothing as an OS user: a new kind starts with an empty "which one".
  select(form, 'startedByKind').addEventListener('change', () => {
    field(form, 'startedByWho').value = '';
    syncStartedByWho(form);
  });
}

/** Shows the filters in the form; startedBy is split into its kind and the key id, user or schedule after the colon. */
export function showFilters(form: HTMLFormElement, filters: RunFilters): void {
  for (const name of ['type', 'status', 'modelTag', 'date', 'from', 'to'] as const) field(form, name).value = filters[name] ?? '';
  const [kind, ...who] = (filters.startedBy ?? '').split(':');
  // A kind this page does not know stays in the URL (the API says what is wrong with it) but cannot be shown as an option.
  select(form, 'startedByKind').value = kind && kind in STARTED_BY_KINDS ? kind : '';
  field(form, 'startedByWho').value = who.join(':');
  syncStartedByWho(form);
}

export function filtersFromForm(form: HTMLFormElement): RunFilters {
  const filters: RunFilters = {};
  for (const name of ['type', 'status', 'modelTag', 'date', 'from', 'to'] as const) {
    const value = field(form, name).value.trim();
    if (value) filters[name] = value;
  }
  const kind = select(form, 'startedByKind').value;
  const who = field(form, 'startedByWho').value.trim();
  if (kind) filters.startedBy = who ? `${kind}:${who}` : kind;
  return filters;
}

/** The value after the colon only means something once a kind is chosen; its hint says what it is for that kind. */
function syncStartedByWho(form: HTMLFormElement): void {
  const kind = select(form, 'startedByKind').value as StartedByKind | '';
  const who = field(form, 'startedByWho') as HTMLInputElement;
  who.disabled = kind === '';
  who.placeholder = kind ? STARTED_BY_KINDS[kind].who : 'choose a kind first';
}

function field(form: HTMLFormElement, name: string): HTMLInputElement | HTMLSelectElement {
  const node = form.elements.namedItem(name);
  if (!(node instanceof HTMLInputElement || node instanceof HTMLSelectElement)) throw new Error(`the filter form has no field ${name}`);
  return node;
}

function select(form: HTMLFormElement, name: string): HTMLSelectElement {
  return field(form, name) as HTMLSelectElement;
}
