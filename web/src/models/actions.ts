import { api } from '../api';
import { byId, el } from '../dom';
import type { ModelDetail, RunDetail } from '../types';

/** The stage changes a role that may train can ask for: promote to staging or production, roll back. */
export function showActions(model: ModelDetail, changed: () => void): void {
  const actions = byId('actions');
  actions.hidden = false;
  byId<HTMLButtonElement>('promote-staging').hidden = model.stage !== 'candidate';
  byId<HTMLButtonElement>('promote-production').hidden = model.stage === 'production';
  byId<HTMLButtonElement>('rollback').hidden = model.stage !== 'production';
  const form = byId<HTMLFormElement>('stage-form');
  form.onsubmit = (event) => {
    event.preventDefault();
    const to = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value;
    const reason = byId<HTMLInputElement>('reason').value.trim();
    void changeStage(model.tag, to, reason, changed);
  };
}

async function changeStage(tag: string, to: string | undefined, reason: string, changed: () => void): Promise<void> {
  const status = byId('action-status');
  const path = to === 'rollback' ? `/models/${encodeURIComponent(tag)}/rollback` : `/models/${encodeURIComponent(tag)}/promote`;
  const body = to === 'rollback' ? { reason } : { reason, to };
  try {
    const started = await api<{ workflowId: string }>(path, { method: 'POST', body });
    status.replaceChildren('Started ', el('a', { href: `run.html?id=${encodeURIComponent(started.workflowId)}` }, started.workflowId), '; the stage changes when it completes.');
    await waitForRun(started.workflowId);
    status.append(' Done.');
    changed();
  } catch (error) {
    status.textContent = `Refused: ${(error as Error).message}`;
  }
}

/** Polls the stage change's run until it closes; a failure says why (the gates, a changed champion). */
async function waitForRun(workflowId: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const run = await api<RunDetail>(`/workflows/${encodeURIComponent(workflowId)}`);
    if (run.status === 'completed') return;
    if (run.status !== 'running') throw new Error(run.failure ?? `the run ended ${run.status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('the run did not finish within a minute');
}
