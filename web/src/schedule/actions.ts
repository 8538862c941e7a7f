import type { Backfill, ScheduleStatus, TriggeredRun } from '../../../contracts/api/schedule';
import { api, query } from '../api';
import { byId } from '../dom';
import { runLink } from './runs';

// The engineers' actions: pause or resume with a note, run yesterday now, backfill past days. Each
// says in the status line what it did (or the API's reason for refusing), then the page reloads.

export function showActions(scheduleId: string, changed: () => Promise<void>): void {
  byId('actions').hidden = false;
  const path = (action: string) => `/schedule/${action}${query({ id: scheduleId })}`;
  const status = byId('action-status');
  const act = async (work: () => Promise<void>) => {
    status.textContent = 'Working…';
    try {
      await work();
      await changed();
    } catch (error) {
      status.textContent = `Refused: ${(error as Error).message}`;
    }
  };

  byId<HTMLFormElement>('pause-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const action = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value === 'resume' ? 'resume' : 'pause';
    const note = byId<HTMLInputElement>('note');
    void act(async () => {
      const after = await api<ScheduleStatus>(path(action), { method: 'POST', body: { note: note.value.trim() } });
      status.textContent = `${after.spec.paused ? 'Paused' : 'Resumed'}; the note on the schedule: ${after.spec.note ?? '—'}`;
      note.value = '';
    });
  });

  byId<HTMLFormElement>('trigger-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void act(async () => {
      const run = await api<TriggeredRun>(path('trigger'), { method: 'POST', body: {} });
      status.replaceChildren(`Started a run for ${run.date}: `, runLink(run.workflowId), '.');
    });
  });

  byId<HTMLFormElement>('backfill-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const from = byId<HTMLInputElement>('backfill-from').value;
    const to = byId<HTMLInputElement>('backfill-to').value;
    void act(async () => {
      const backfill = await api<Backfill>(path('backfill'), { method: 'POST', body: { from, to } });
      const runs = backfill.runs.flatMap((r, i) => [i === 0 ? '' : ', ', runLink(r.workflowId, r.date)]);
      status.replaceChildren(`Backfill of ${backfill.from} to ${backfill.to}: ${backfill.runs.length} runs, one after another: `, ...runs, '.');
    });
  });
}

/** Only the change that applies: a paused schedule can be resumed, an active one paused. */
export function showPauseOrResume(paused: boolean): void {
  byId('pause').hidden = paused;
  byId('resume').hidden = !paused;
}
