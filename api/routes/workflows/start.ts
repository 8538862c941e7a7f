import { startDriftDetection, startScoring, startTraining } from '../../../client/pipelines';
import { startRetrain } from '../../../client/registry';
import { DetectDriftInputSchema } from '../../../contracts/workflows/detect-drift';
import { RetrainRequestSchema } from '../../../contracts/workflows/retrain';
import { ScoreRequestSchema } from '../../../contracts/workflows/score-batch';
import { TrainModelInputSchema } from '../../../contracts/workflows/train-model';
import { startResponses } from '../../schemas/common';
import { dayRangeOf, parseDay } from '../../../common/dates';
import { parseApprovalTimeout, parseGates } from '../../../common/retrain-gates';
import { chooseModel } from '../../../db/queries/models';
import { planTraining } from '../../../ml/planning/candidates';
import { resolveDriftPolicy } from '../../../ml/drift/policy';
import { HttpError } from '../../errors';
import { accepted, invalidBody, refuseDuplicates, whoAsks } from '../workflow-starts';
import type { ApiApp, ApiDeps } from '../../types';

// POST routes that start pipeline work (train, retrain, score, drift): each validates the body
// against the workflow's contract (contracts/workflows/), starts one workflow under its business id
// and answers 202 with where to poll it. Open bounds and the calendar are checked by the domain
// validation, which names the field.

/** A year and a day of beats per run: backfilling more is several runs, not one that never ends. */
export const MAX_RUN_DAYS = 366;

export async function workflowStartRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {

  app.post('/train', { config: { permission: 'train' }, schema: { tags: ['workflows'], summary: 'Train a model under a new tag', body: TrainModelInputSchema, response: startResponses } }, async (request, reply) => {
    // Everything but the tag, the window and the candidate options is a baseline hyperparameter.
    const { tag, from, to, candidates, thresholdRule, selectBy, validationFraction, minLabelsPerClass, ...baseline } = request.body;
    checkTrainingWindow({ from, to });
    validateTraining({ ...baseline, candidates, thresholdRule, selectBy, validationFraction, minLabelsPerClass }, '');
    return accepted(reply, await startTraining(await deps.temporal(), deps.config, request.body, refuseDuplicates(request)));
  });

  app.post('/retrain', { config: { permission: 'train' }, schema: { tags: ['workflows'], summary: 'Retrain: train a challenger, compare it with the champion, promote on the gates', body: RetrainRequestSchema, response: startResponses } }, async (request, reply) => {
    const body = request.body;
    checkTrainingWindow({ from: body.from, to: body.to });
    try {
      parseGates(body.gates);
    } catch (error) {
      throw invalidBody(error, 'gates');
    }
    try {
      parseApprovalTimeout(body.approvalTimeout);
    } catch (error) {
      throw invalidBody(error, 'approvalTimeout');
    }
    if (body.training) validateTraining(body.training, 'training.');
    return accepted(reply, await startRetrain(await deps.temporal(), deps.config, { ...body, requestedBy: whoAsks(request) }, refuseDuplicates(request)));
  });

  app.post('/score', { config: { permission: 'score' }, schema: { tags: ['workflows'], summary: "Score a day's (or a range's) beats", body: ScoreRequestSchema, response: startResponses } }, async (request, reply) => {
    checkWindow(request.body);
    const modelTag = await modelTagToUse(deps, request.body.modelTag);
    return accepted(reply, (await startScoring(await deps.temporal(), deps.config, { ...request.body, modelTag }, refuseDuplicates(request))).handle);
  });

  app.post('/drift', { config: { permission: 'score' }, schema: { tags: ['workflows'], summary: "Check a day's (or a range's) beats for drift", body: DetectDriftInputSchema, response: startResponses } }, async (request, reply) => {
    checkWindow(request.body);
    try {
      resolveDriftPolicy(request.body.policy);
    } catch (error) {
      throw invalidBody(error, 'policy');
    }
    const modelTag = await modelTagToUse(deps, request.body.modelTag);
    return accepted(reply, (await startDriftDetection(await deps.temporal(), deps.config, { ...request.body, modelTag }, refuseDuplicates(request))).handle);
  });

}

/** Scoring and drift need a date, or from and to; the calendar check (2026-02-30) is beyond the schema's pattern. */
function checkWindow(window: { date?: string; from?: string; to?: string }) {
  let range;
  try {
    range = dayRangeOf(window);
  } catch (error) {
    throw invalidBody(error, window.date === undefined && window.from !== undefined ? 'to' : 'date');
  }
  const days = Math.round((Date.parse(range.to) - Date.parse(range.from)) / 86_400_000) + 1;
  if (days > MAX_RUN_DAYS) {
    throw new HttpError(400, 'invalid_request', `body.to: the range covers ${days} days; at most ${MAX_RUN_DAYS} per run`, 'body.to', { rule: 'max_days' });
  }
  return range;
}

/** Training windows may be open at either end. */
function checkTrainingWindow(window: { from?: string; to?: string }): void {
  try {
    if (window.from !== undefined) parseDay(window.from, 'from');
    if (window.to !== undefined) parseDay(window.to, 'to');
  } catch (error) {
    throw invalidBody(error, 'from');
  }
  if (window.from !== undefined && window.to !== undefined && window.to < window.from) {
    throw new HttpError(400, 'invalid_request', `to (${window.to}) is before from (${window.from})`, 'body.to');
  }
}

function validateTraining(options: Record<string, unknown>, under: string): void {
  const { candidates, thresholdRule, selectBy, validationFraction, minLabelsPerClass, includeReviewed, ...baseline } = options;
  void includeReviewed;
  try {
    planTraining({ baseline, candidates, thresholdRule, selectBy, validationFraction, minLabelsPerClass } as Parameters<typeof planTraining>[0]);
  } catch (error) {
    throw invalidBody(error, 'hyperparameters', under);
  }
}

/** Workflow ids name the model, so the default (production, else newest) is resolved before starting. */
async function modelTagToUse(deps: ApiDeps, requested: string | undefined): Promise<string> {
  const choice = await chooseModel(deps.db, requested);
  if ('model' in choice) return choice.model.tag;
  if (choice.missing === 'tag') throw new HttpError(404, 'not_found', `no model is tagged "${choice.tag}"`, 'body.modelTag');
  throw new HttpError(409, 'no_model', 'no model has been trained yet; POST /api/v1/train first', 'body.modelTag');
}
