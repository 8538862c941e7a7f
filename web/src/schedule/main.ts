import type { ScheduleStatus } from '../../../contracts/api/schedule';
import { api, query } from '../api';
import { byId, clearError, el, showError } from '../dom';
import { startPage } from '../page';
import { showActions, showPauseOrResume } from './actions';
import { renderMissedDays, renderRecentRuns } from './runs';
import { showShadowReport, type ShadowChoice } from './shadow';
import { renderSpec } from './spec';

// The schedule page: the daily schedule's spec and next runs, its recent runs, the days it left
// undone, and the shadow report of staging against production; engineers ('train') also pause,
// resume, trigger and backfill. The link keeps the schedule (?id=, default ecgflow-daily) and the
// report's days and models (?from=&to=&production=&staging=).

const DAY_MS = 86_400_000;
const SHADOW_DAYS = 7;
const utcDay = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().slice(0, 10);

async function main(): Promise<void> {
  const me = await startPage();
  if (!me) return;
  const params = new URLSearchParams(location.search);
  const scheduleId = params.get('id');
  const shadow: ShadowChoice = {
    from: params.get('from') ?? utcDay(SHADOW_DAYS * DAY_MS),
    to: params.get('to') ?? utcDay(DAY_MS),
    production: params.get('production'),
    staging: params.get('staging'),
  };
  const keepInUrl = () => history.replaceState(null, '', `${location.pathname}${query({ id: scheduleId, ...shadow })}`);
  keepInUrl();

  const loaded = await loadSchedule(scheduleId);
  if (loaded && me.permissions.includes('train')) {
    showActions(loaded.scheduleId, async () => {
      await loadSchedule(scheduleId);
    });
    for (const id of ['backfill-from', 'backfill-to']) byId<HTMLInputElement>(id).max = utcDay(DAY_MS);
  }

  const from = byId<HTMLInputElement>('shadow-from');
  const to = byId<HTMLInputElement>('shadow-to');
  from.value = shadow.from;
  to.value = shadow.to;
  byId<HTMLFormElement>('shadow-form').addEventListener('submit', (event) => {
    event.preventDefault();
    shadow.from = from.value;
    shadow.to = to.value;
    keepInUrl();
    void showShadowReport(shadow);
  });
  await showShadowReport(shadow);
}

/** Draws the schedule's panels; a schedule that cannot be read says why (a missing one, how to make it). */
async function loadSchedule(scheduleId: string | null): Promise<ScheduleStatus | null> {
  const error = byId('schedule-error');
  try {
    const status = await api<ScheduleStatus>(`/schedule${query({ id: scheduleId })}`);
    clearError(error);
    renderSpec(status);
    renderRecentRuns(status);
    renderMissedDays(status.missed);
    showPauseOrResume(status.spec.paused);
    return status;
  } catch (e) {
    showError(error, e, 'Could not read the schedule');
    byId('spec-body').replaceChildren(el('p', { class: 'muted' }, 'The schedule could not be read.'));
    byId('missed-summary').textContent = '';
    return null;
  }
}

void main();
