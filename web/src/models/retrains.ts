import { api } from '../api';
import { byId, clearError, el, showError } from '../dom';
import { dateTime, decimal } from '../format';
import type { Me } from '../types';
import type { RetrainRequest } from '../../../contracts/workflows/retrain';
import type { RunningRetrain, RunningRetrains } from '../../../contracts/api/retrains';

// The models page's retraining panel: the retrainings running now and where each stands, approve
// or reject the ones that wait for a person, and start one by tag (roles that may train only).

/** While the page is open the list follows the runs: phases change within seconds of training. */
const REFRESH_MS = 3000;

export function startRetrainPanel(me: Me, changed: () => void): void {
  const mayTrain = me.permissions.includes('train');
  const form = byId<HTMLFormElement>('retrain-form');
  form.hidden = !mayTrain;
  let shown = '';
  const refresh = async () => {
    const wasWaiting = shown;
    shown = await showRetrains(mayTrain, refresh);
    // A retraining that left the list has decided: its models' stages may have moved.
    if (wasWaiting && wasWaiting !== shown) changed();
  };
  form.onsubmit = (event) => {
    event.preventDefault();
    void startRetrain(form, refresh);
  };
  void refresh();
  setInterval(() => void refresh(), REFRESH_MS);
}

/** Draws the running retrainings; returns a key of what is shown, to notice when one ends. */
async function showRetrains(mayTrain: boolean, refresh: () => Promise<void>): Promise<string> {
  const list = byId('retrains-list');
  const error = byId('retrains-error');
  // A decision being typed must not be wiped by the next refresh.
  if (list.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT') return list.dataset.key ?? '';
  try {
    const { items, unanswered } = await api<RunningRetrains>('/retrains');
    clearError(error);
    const key = items.map((r) => `${r.workflowId}:${r.status.phase}:${r.status.approvals.length}`).join(',');
    if (key === list.dataset.key && !unanswered.length) return key;
    list.dataset.key = key;
    list.replaceChildren(
      ...(items.length ? items.map((r) => retrainItem(r, mayTrain, refresh)) : [el('p', { class: 'muted' }, 'No retraining is running.')]),
      ...unanswered.map((u) => el('p', { class: 'error' }, `${u.workflowId}: ${u.error}`)),
    );
    return key;
  } catch (e) {
    showError(error, e, 'Could not list the running retrainings');
    return list.dataset.key ?? '';
  }
}

function retrainItem(run: RunningRetrain, mayTrain: boolean, refresh: () => Promise<void>): HTMLElement {
  const s = run.status;
  const verdict = (role: string, v: typeof s.champion) => (v ? `${role} ${v.tag}: ROC AUC ${decimal((v.metrics as { rocAuc?: number }).rocAuc)}` : `${role}: none`);
  const item = el(
    'div',
    { class: 'retrain-item', 'data-tag': s.tag, 'data-phase': s.phase },
    el('p', {}, el('strong', {}, s.tag), ` — ${s.phase.replace('-', ' ')}, asked by ${s.requestedBy} at ${dateTime(run.startedAt)} `, el('a', { href: `run.html?id=${encodeURIComponent(run.workflowId)}` }, '(run)')),
    el('p', { class: 'muted' }, [verdict('champion', s.champion), verdict('challenger', s.challenger), s.verdict ? `gates: ${s.verdict}` : null].filter(Boolean).join('; ')),
  );
  if (s.phase === 'awaiting-approval') {
    item.append(el('p', {}, `Approvals ${s.approvals.filter((a) => a.approve).length} of ${s.approvalsRequired}${s.approvals.length ? ` (${s.approvals.map((a) => a.by).join(', ')})` : ''}.`));
    if (mayTrain) item.append(decisionForm(s.tag, refresh));
  }
  return item;
}

function decisionForm(tag: string, refresh: () => Promise<void>): HTMLFormElement {
  const id = `decide-${tag.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const reason = el('input', { id: `${id}-reason`, type: 'text', maxlength: 1000, name: 'reason' });
  const status = el('p', { role: 'status', class: 'decision-status' });
  const form = el(
    'form',
    { class: 'decision-form' },
    el('label', { for: reason.id }, `Reason (needed to reject ${tag})`),
    el('div', { class: 'buttons' }, reason, el('button', { type: 'submit', value: 'approve', class: 'primary' }, `Approve ${tag}`), el('button', { type: 'submit', value: 'reject' }, `Reject ${tag}`)),
    status,
  );
  form.onsubmit = (event) => {
    event.preventDefault();
    const approve = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value === 'approve';
    const text = reason.value.trim();
    void (async () => {
      try {
        await api(`/models/${encodeURIComponent(tag)}/${approve ? 'approve' : 'reject'}`, { method: 'POST', body: text ? { reason: text } : {} });
        status.textContent = approve ? 'Approved.' : 'Rejected.';
        reason.blur();
        await refresh();
      } catch (error) {
        status.textContent = `Refused: ${(error as Error).message}`;
      }
    })();
  };
  return form;
}

async function startRetrain(form: HTMLFormElement, refresh: () => Promise<void>): Promise<void> {
  const status = byId('retrain-status');
  const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
  const checked = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).checked;
  const number = (name: string) => (value(name) === '' ? undefined : Number(value(name)));
  const gates = Object.fromEntries(Object.entries({ minRocAuc: number('minRocAuc'), minAccuracy: number('minAccuracy') }).filter(([, v]) => v !== undefined)) as RetrainRequest['gates'];
  const body: RetrainRequest = {
    tag: value('tag'),
    ...(value('from') ? { from: value('from') } : {}),
    ...(value('to') ? { to: value('to') } : {}),
    requireApproval: checked('requireApproval'),
    includeReviewed: checked('includeReviewed'),
    training: { candidates: value('candidates') as 'all' | 'baseline', ...(number('epochs') === undefined ? {} : { epochs: number('epochs') }) },
    ...(Object.keys(gates ?? {}).length ? { gates } : {}),
  };
  try {
    const started = await api<{ workflowId: string }>('/retrain', { method: 'POST', body });
    status.replaceChildren('Started ', el('a', { href: `run.html?id=${encodeURIComponent(started.workflowId)}` }, started.workflowId), '; it appears above as it trains.');
    await refresh();
  } catch (error) {
    status.textContent = `Refused: ${(error as Error).message}`;
  }
}
