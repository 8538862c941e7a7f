import { listCandidatesOfTag } from '../../db/queries/candidates';
import type { StoredCandidate } from '../../db/stored-model';
import type { Metrics } from '../../ml/planning/metrics';
import type { CliContext } from '../context';
import { CliError, fixed, printResult, table } from '../output';

/** A candidate as compared: its metrics are the validation split's, which every candidate of the run shares. */
export type CandidateComparison = Omit<StoredCandidate, 'metrics' | 'evaluation'> & { validation: Metrics | null };

/** The candidates of a tag, best first: the selected one, then by validation ROC-AUC and F1, untrained last. */
export async function runCompare(ctx: CliContext, tag: string, json: boolean): Promise<void> {
  const rows = (await listCandidatesOfTag(ctx.database(), tag)).map(comparisonOf).sort(bestFirst);
  if (rows.length === 0) throw new CliError(`no training candidates are recorded for tag "${tag}"`);
  printResult(json, rows, () =>
    table(
      ['', 'candidate', 'kind', 'status', 'settings', 'threshold', 'val ROC-AUC', 'val F1', 'val accuracy', 'ms', 'detail'],
      rows.map((r) => [
        r.selected ? '*' : '',
        r.name,
        r.kind,
        r.status,
        settingsSummary(r),
        fixed(r.threshold, 5),
        fixed(r.validation?.rocAuc),
        fixed(r.validation?.f1),
        fixed(r.validation?.accuracy),
        r.trainingMs,
        r.detail,
      ]),
    ) + `\n* selected for ${tag}`,
  );
}

function comparisonOf(candidate: StoredCandidate): CandidateComparison {
  const { name, kind, status, selected, hyperparameters, threshold, metrics, trainingMs, detail, workflowId, createdAt } = candidate;
  return { name, kind, status, selected, hyperparameters, threshold, validation: metrics, trainingMs, detail, workflowId, createdAt };
}

function bestFirst(a: CandidateComparison, b: CandidateComparison): number {
  return (
    Number(b.selected) - Number(a.selected) ||
    Number(b.validation !== null) - Number(a.validation !== null) ||
    (b.validation?.rocAuc ?? -1) - (a.validation?.rocAuc ?? -1) ||
    (b.validation?.f1 ?? -1) - (a.validation?.f1 ?? -1) ||
    a.name.localeCompare(b.name)
  );
}

/** The settings that tell candidates apart, in a few characters. */
function settingsSummary(row: CandidateComparison): string {
  const h = row.hyperparameters;
  const layers = (h.encoderUnits ?? h.hiddenUnits) as number[] | undefined;
  const epochs = h.epochs ?? h.maxEpochs;
  return [
    layers ? `units ${layers.join('-')}` : null,
    epochs !== undefined ? `epochs ${String(epochs)}` : null,
    h.patience !== undefined ? `patience ${String(h.patience)}` : null,
    h.batchSize !== undefined ? `batch ${String(h.batchSize)}` : null,
    h.learningRate !== undefined ? `lr ${String(h.learningRate)}` : null,
    h.thresholdRule !== undefined ? `rule ${String(h.thresholdRule)}` : null,
  ]
    .filter(Boolean)
    .join(', ');
}
