import { query } from '../api';

// What the drift page shows lives in its URL (?model=&from=&to=&id=), so a link shows someone else
// the same history and the same report. Anything malformed in a hand-edited link is dropped, not sent.

export interface DriftPageState {
  /** A model tag, or null for every model. */
  model: string | null;
  /** First and last UTC day, inclusive, as YYYY-MM-DD. */
  from: string | null;
  to: string | null;
  /** The report shown in full. */
  id: number | null;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** A year of daily reports, and then some: the history's longest page. */
export const HISTORY_LIMIT = 400;

export function readState(search: string): DriftPageState {
  const params = new URLSearchParams(search);
  const day = (name: string) => {
    const value = params.get(name);
    return value && DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? value : null;
  };
  const model = params.get('model');
  const id = Number(params.get('id'));
  return { model: model && TAG.test(model) ? model : null, from: day('from'), to: day('to'), id: Number.isInteger(id) && id > 0 ? id : null };
}

export function pageSearch(state: DriftPageState): string {
  return query({ model: state.model, from: state.from, to: state.to, id: state.id });
}

/** The API's filter: instants, the last day's end exclusive. */
export function historyPath(state: DriftPageState): string {
  const to = state.to ? new Date(Date.parse(`${state.to}T00:00:00Z`) + 86_400_000).toISOString() : null;
  return `/drift-reports${query({ modelTag: state.model, from: state.from ? `${state.from}T00:00:00Z` : null, to, limit: HISTORY_LIMIT })}`;
}
