import { drawCurveChart, type CurveSeries } from '../charts/curve-chart';
import { el } from '../dom';
import { decimal } from '../format';
import type { ModelDetail, TrainingEvaluation } from '../types';

type Candidate = ModelDetail['candidates'][number];
interface ConfusionMatrix {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/**
 * How the model was chosen, as stored at training time: its threshold and why, the confusion
 * matrices, and the candidates' ROC, precision–recall and loss-per-epoch curves. Returns the
 * nodes, and a function that draws the charts once the nodes are in the page (Chart.js sizes a
 * canvas from its box).
 */
export function evaluationSection(model: ModelDetail): { nodes: Node[]; draw: () => void } {
  const heading = el('h3', {}, 'How it was chosen');
  if (!model.evaluation) {
    return { nodes: [heading, el('p', { class: 'muted', id: 'no-evaluation' }, 'This model was trained before curves, the threshold’s reason and the loss per epoch were stored.')], draw: () => undefined };
  }
  const evaluation = model.evaluation;
  const candidates = model.candidates.filter((c): c is Candidate & { evaluation: TrainingEvaluation } => c.evaluation !== null);
  const canvases = { roc: canvas('roc-chart'), pr: canvas('pr-chart'), loss: canvas('loss-chart') };
  const nodes = [
    heading,
    el(
      'p',
      { id: 'threshold-reason' },
      el('strong', {}, `Threshold ${decimal(evaluation.threshold.value, 4)}`),
      ` (rule ${evaluation.threshold.rule}): ${evaluation.threshold.reason}.`,
    ),
    confusionTable(model, candidates.find((c) => c.selected)),
    el(
      'div',
      { class: 'curve-grid' },
      figure(canvases.roc, 'ROC curves (validation; the model on the test split drawn thick)'),
      figure(canvases.pr, 'Precision–recall curves'),
      figure(canvases.loss, 'Loss per epoch (the selected candidate drawn thick)', 'wide'),
    ),
  ];
  const draw = () => {
    const curves = curveSeries(model, evaluation, candidates);
    drawCurveChart(canvases.roc, curves.roc, { x: 'False-positive rate', y: 'True-positive rate', unit: true }, `ROC curves of ${curves.roc.map((s) => s.label).join(', ')}`);
    drawCurveChart(canvases.pr, curves.pr, { x: 'Recall', y: 'Precision', unit: true }, `Precision–recall curves of ${curves.pr.map((s) => s.label).join(', ')}`);
    const loss = lossSeries(candidates);
    drawCurveChart(canvases.loss, loss, { x: 'Epoch', y: 'Loss' }, `Loss per epoch of ${loss.map((s) => s.label).join(', ')}`);
  };
  return { nodes, draw };
}

function canvas(id: string): HTMLCanvasElement {
  return el('canvas', { id });
}

function figure(chart: HTMLCanvasElement, caption: string, wide?: 'wide'): HTMLElement {
  return el('figure', { class: wide ? 'curve wide' : 'curve' }, el('div', { class: 'canvas-wrap curve-chart' }, chart), el('figcaption', {}, caption));
}

function curveSeries(model: ModelDetail, evaluation: TrainingEvaluation, candidates: (Candidate & { evaluation: TrainingEvaluation })[]): { roc: CurveSeries[]; pr: CurveSeries[] } {
  const roc: CurveSeries[] = [];
  const pr: CurveSeries[] = [];
  if (evaluation.curves) {
    roc.push({ label: `${model.tag} (test)`, ...evaluation.curves.roc, emphasised: true });
    pr.push({ label: `${model.tag} (test, AP ${decimal(evaluation.curves.averagePrecision)})`, ...evaluation.curves.pr, emphasised: true });
  }
  for (const c of candidates) {
    if (!c.evaluation.curves) continue;
    roc.push({ label: c.name, ...c.evaluation.curves.roc });
    pr.push({ label: `${c.name} (AP ${decimal(c.evaluation.curves.averagePrecision)})`, ...c.evaluation.curves.pr });
  }
  return { roc, pr };
}

function lossSeries(candidates: (Candidate & { evaluation: TrainingEvaluation })[]): CurveSeries[] {
  const epochs = (values: number[]) => values.map((_, i) => i + 1);
  return candidates.flatMap((c) => {
    const { loss, validationLoss } = c.evaluation.loss;
    const series: CurveSeries[] = [{ label: `${c.name} training`, x: epochs(loss), y: loss, emphasised: c.selected }];
    if (validationLoss.length) series.push({ label: `${c.name} validation`, x: epochs(validationLoss), y: validationLoss, emphasised: c.selected });
    return series;
  });
}

/** The model's confusion matrix on the test split beside the selected candidate's on validation. */
function confusionTable(model: ModelDetail, selected: Candidate | undefined): HTMLTableElement {
  const columns: [string, ConfusionMatrix | undefined][] = [
    ['Test split', matrixOf(model.metrics)],
    ['Validation split', selected ? matrixOf(selected.metrics) : undefined],
  ];
  const shown = columns.filter((c): c is [string, ConfusionMatrix] => c[1] !== undefined);
  const cells = (m: ConfusionMatrix, actualAnomalous: boolean) => (actualAnomalous ? [m.tp, m.fn] : [m.fp, m.tn]);
  return el(
    'table',
    { class: 'data-table confusion', id: 'confusion-matrix' },
    el('caption', {}, 'Confusion matrix at the threshold (anomalous is the positive class)'),
    el(
      'thead',
      {},
      el('tr', {}, el('td', {}), ...shown.map(([name]) => el('th', { scope: 'colgroup', colspan: 2 }, name))),
      el('tr', {}, el('th', { scope: 'col' }, 'Actual'), ...shown.flatMap(() => [el('th', { scope: 'col' }, 'flagged'), el('th', { scope: 'col' }, 'not flagged')])),
    ),
    el(
      'tbody',
      {},
      ...[true, false].map((anomalous) =>
        el('tr', { 'data-actual': anomalous ? 'anomalous' : 'normal' }, el('th', { scope: 'row' }, anomalous ? 'anomalous' : 'normal'), ...shown.flatMap(([, m]) => cells(m, anomalous).map((n) => el('td', {}, String(n))))),
      ),
    ),
  );
}

function matrixOf(metrics: unknown): ConfusionMatrix | undefined {
  const m = (metrics as { confusionMatrix?: ConfusionMatrix } | null)?.confusionMatrix;
  return m && typeof m.tp === 'number' ? m : undefined;
}
