import { api } from '../api';
import { drawAttributionChart, drawBeatChart } from '../charts/beat-chart';
import { clearChart } from '../charts/setup';
import { byId, clearError, el, showError } from '../dom';
import { dateTime, decimal, label } from '../format';
import type { Beat, BeatPrediction, PredictionItem } from '../types';
import { renderHistory } from './history';

export interface Selection {
  item: PredictionItem;
  beat: Beat;
  prediction: BeatPrediction | undefined;
}

/** The selected beat: facts, score against threshold, the chart, and its review history. */
export class BeatDetail {
  private selection: Selection | undefined;
  private request = 0;

  constructor(private readonly onShown: (selection: Selection | undefined) => void) {}

  current(): Selection | undefined {
    return this.selection;
  }

  /** Loads and shows a queue item's beat; an older request still on its way is ignored. */
  async show(item: PredictionItem | undefined): Promise<void> {
    const request = ++this.request;
    const error = byId('detail-error');
    clearError(error);
    if (!item) {
      this.selection = undefined;
      byId('detail-heading').textContent = 'No beat selected';
      byId('detail-empty').hidden = false;
      byId('detail-body').hidden = true;
      clearChart(byId<HTMLCanvasElement>('beat-chart'));
      this.onShown(undefined);
      return;
    }
    byId('detail-heading').textContent = `Beat #${item.ecgId}`;
    try {
      const beat = await api<Beat>(`/ecgs/${item.ecgId}`);
      if (request !== this.request) return;
      const prediction = beat.predictions.find((p) => p.modelTag === item.modelTag) ?? beat.predictions[0];
      this.selection = { item, beat, prediction };
      this.render(this.selection);
    } catch (e) {
      if (request !== this.request) return;
      this.selection = undefined;
      byId('detail-body').hidden = true;
      showError(error, e, `Could not load beat #${item.ecgId}`);
    }
    this.onShown(this.selection);
  }

  /** Reloads the current beat (after a decision or an undo changed its reviews). */
  async refresh(): Promise<void> {
    if (this.selection) await this.show(this.selection.item);
  }

  private render({ item, beat, prediction }: Selection): void {
    byId('detail-empty').hidden = true;
    byId('detail-body').hidden = false;
    renderFacts(item, beat, prediction);
    renderScore(prediction ?? item);
    drawBeatChart(byId<HTMLCanvasElement>('beat-chart'), beat.samples, prediction);
    byId('beat-chart-caption').textContent = captionOf(prediction);
    renderAttribution(prediction);
    const explanation = byId('explanation');
    explanation.hidden = !prediction || prediction.reconstruction !== null;
    explanation.textContent = prediction ? `${prediction.modelTag} is a ${prediction.modelKind}; it does not reconstruct the beat. Its score is the ${prediction.explanation.text}.` : '';
    renderHistory(beat);
  }
}

function renderFacts(item: PredictionItem, beat: Beat, prediction: BeatPrediction | undefined): void {
  const others = beat.predictions.filter((p) => p !== prediction);
  const facts: [string, string][] = [
    ['Model', prediction ? `${prediction.modelTag} (${prediction.modelKind})` : item.modelTag],
    ['Source', `${beat.source}, row ${beat.sourceRow}`],
    ['Recorded', dateTime(beat.recordedAt)],
    ['Known label', beat.knownAnomalous === null ? 'not known' : label(beat.knownAnomalous)],
    ['Reviewed label', beat.reviewedLabel === null ? 'not reviewed' : label(beat.reviewedLabel)],
  ];
  if (beat.ucrClass !== null) facts.push(['UCR class', String(beat.ucrClass)]);
  if (others.length) facts.push(['Other models', others.map((p) => `${p.modelTag}: ${label(p.isAnomalous)} (${decimal(p.score)})`).join('; ')]);
  byId('beat-facts').replaceChildren(...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
}

/** The score against the threshold, in words and as a bar (the bar is decoration: the words say it all). */
function renderScore(p: { score: number; threshold: number; isAnomalous: boolean }): void {
  const scale = Math.max(p.score, p.threshold) * 1.25 || 1;
  const at = (v: number) => `${Math.min(100, (v / scale) * 100).toFixed(1)}%`;
  const verdict = label(p.isAnomalous);
  byId('score-line').replaceChildren(
    el('p', {}, 'Score ', el('strong', {}, decimal(p.score)), ' against threshold ', el('strong', {}, decimal(p.threshold)), ': the model says ', el('strong', { class: `verdict ${verdict}` }, verdict), '.'),
    el(
      'div',
      { class: 'score-track', 'aria-hidden': 'true' },
      el('div', { class: `score-fill ${verdict}`, style: `width: ${at(p.score)}` }),
      el('div', { class: 'score-threshold', style: `left: ${at(p.threshold)}`, title: 'threshold' }),
    ),
  );
}

function captionOf(prediction: BeatPrediction | undefined): string {
  const parts = ["Solid blue: the beat's samples."];
  if (prediction?.reconstruction) parts.push(`Dashed orange: ${prediction.modelTag}'s reconstruction. Dotted grey area: their absolute difference.`);
  if (prediction?.explanation.template) parts.push(`Dashed green with a shaded band: the typical normal beat of ${prediction.modelTag}'s ${prediction.explanation.template.beats} normal training beats, ±1 standard deviation.`);
  return parts.join(' ');
}

/** A classifier's attribution, drawn under the beat on the same sample positions. */
function renderAttribution(prediction: BeatPrediction | undefined): void {
  const box = byId('attribution-box');
  const canvas = byId<HTMLCanvasElement>('attribution-chart');
  const attribution = prediction?.explanation.attribution;
  box.hidden = !attribution;
  if (!prediction || !attribution) {
    clearChart(canvas);
    return;
  }
  drawAttributionChart(canvas, attribution, prediction.modelTag);
  byId('attribution-caption').textContent = `Where ${prediction.modelTag}'s score comes from: red bars raised P(anomalous) above the typical normal beat's, blue bars lowered it (integrated gradients).`;
}
