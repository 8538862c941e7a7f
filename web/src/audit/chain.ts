import { api, query } from '../api';
import { byId, el } from '../dom';
import { dateTime } from '../format';
import type { AuditChainProblem, AuditChainProblemKind, AuditChainReport } from './types';

// The audit chain's verification (GET /audit/verify), said so it cannot be misread: intact up to
// which ledger entry, or broken at which entry, which row, and why.

const PROBLEM_LABELS: Record<AuditChainProblemKind, string> = {
  altered: 'row altered',
  removed: 'row removed',
  inserted: 'row written around the trail',
  entry_altered: 'ledger entry edited',
  entry_unlinked: 'ledger entry unlinked',
  entries_missing: 'ledger entries missing',
  head_mismatch: 'head does not match the ledger',
};

/** Problems listed on the page; the rest are counted. */
const MAX_PROBLEMS = 20;

export function startChainPanel(): void {
  const button = byId<HTMLButtonElement>('verify');
  button.hidden = false;
  button.addEventListener('click', () => void verify());
  void verify();
}

async function verify(): Promise<void> {
  const status = byId('chain-status');
  const button = byId<HTMLButtonElement>('verify');
  button.disabled = true;
  status.dataset.state = 'checking';
  status.setAttribute('aria-busy', 'true');
  status.replaceChildren(el('p', { class: 'muted' }, 'Walking the ledger and every audited row…'));
  try {
    const report = await api<AuditChainReport>(`/audit/verify${query({ maxProblems: MAX_PROBLEMS })}`);
    status.dataset.state = report.ok ? 'ok' : 'broken';
    status.replaceChildren(...(report.ok ? intact(report) : broken(report)));
  } catch (error) {
    status.dataset.state = 'error';
    status.replaceChildren(el('p', { class: 'error' }, `Could not verify the chain: ${(error as Error).message}`));
  } finally {
    status.removeAttribute('aria-busy');
    button.disabled = false;
  }
}

function intact(report: AuditChainReport): Node[] {
  const head = report.head;
  return [
    el('p', { class: 'chain-verdict chain-ok', id: 'chain-verdict' }, head ? `✓ Intact: verified up to entry ${head.seq}` : '✓ Intact: the ledger is empty'),
    el('p', {}, `All ${report.entries} ledger entries link to the one before and match their hashes; all ${report.rows} audited rows match their latest entry.`),
    ...headAndTime(report),
  ];
}

function broken(report: AuditChainReport): Node[] {
  const first = report.problems[0];
  return [
    el('p', { class: 'chain-verdict chain-broken', id: 'chain-verdict' }, `✗ Broken ${first ? whereBroken(first) : ''}`.trim()),
    el('p', { id: 'chain-why' }, el('strong', {}, 'Why: '), withoutPrefix(first?.message ?? report.firstProblem ?? '')),
    report.problemCount > 1 ? el('p', {}, `${report.problemCount} problems in all${report.problemCount > report.problems.length ? `, the first ${report.problems.length} listed` : ''}:`) : null,
    problemsTable(report.problems),
    el('p', { class: 'hint' }, `The ledger was walked to entry ${report.head?.seq ?? 0} (${report.entries} entries, ${report.rows} audited rows checked).`),
    ...headAndTime(report),
  ].filter((node) => node !== null);
}

/** "at entry 5", or for a row no entry vouches for, which row. */
function whereBroken(problem: AuditChainProblem): string {
  if (problem.seq !== null) return `at entry ${problem.seq}: ${PROBLEM_LABELS[problem.kind]}`;
  return `: ${PROBLEM_LABELS[problem.kind]} (${problem.table ?? 'a table'} row ${rowLabel(problem)}, no ledger entry)`;
}

function problemsTable(problems: AuditChainProblem[]): HTMLTableElement {
  return el(
    'table',
    { class: 'data-table', id: 'chain-problems' },
    el('caption', { class: 'visually-hidden' }, 'What the verification found wrong, in the order found'),
    el('thead', {}, el('tr', {}, ...['Entry', 'What', 'Row'].map((h) => el('th', { scope: 'col' }, h)))),
    el(
      'tbody',
      {},
      ...problems.map((p) =>
        el('tr', { 'data-kind': p.kind }, el('td', {}, p.seq ?? '—'), el('td', {}, PROBLEM_LABELS[p.kind]), el('td', { class: 'row-cell' }, p.table ? rowCell(p) : '—')),
      ),
    ),
  );
}

/** A workflow run's row links to its timeline, so the auditor can compare what the run recorded. */
function rowCell(problem: AuditChainProblem): Node {
  const run = runOf(problem);
  if (!run) return document.createTextNode(`${problem.table} ${problem.rowId ?? ''}`);
  return el('span', {}, 'workflow_runs ', el('a', { href: `run.html${query({ id: run[0], runId: run[1] })}` }, run[0]));
}

function rowLabel(problem: AuditChainProblem): string {
  return runOf(problem)?.[0] ?? problem.rowId ?? '?';
}

/** A workflow run's row id is the JSON pair [workflowId, runId]. */
function runOf(problem: AuditChainProblem): [string, string] | null {
  if (problem.table !== 'workflow_runs' || !problem.rowId) return null;
  try {
    const pair = JSON.parse(problem.rowId) as unknown;
    return Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string' ? [pair[0], pair[1]] : null;
  } catch {
    return null;
  }
}

function headAndTime(report: AuditChainReport): Node[] {
  return [
    report.head
      ? el('p', { class: 'hint' }, `Head: entry ${report.head.seq}, hash `, el('code', { class: 'fingerprint', id: 'chain-head-hash' }, report.head.hash), '. Keep it elsewhere: a ledger rewritten whole would no longer end on it.')
      : null,
    el('p', { class: 'hint' }, `Checked ${dateTime(report.verifiedAt)}.`),
  ].filter((node) => node !== null);
}

/** The API's message without its "audit chain broken" prefix: the verdict above already says so. */
function withoutPrefix(message: string): string {
  return message.replace(/^audit chain broken:? ?/, '');
}
