import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { ArchiveHistoriesInputSchema, ArchiveHistoriesResultSchema } from '../../contracts/workflows/archive-histories';
import { DailyPipelineInputSchema, DailyPipelineResultSchema } from '../../contracts/workflows/daily-pipeline';
import { DetectDriftInputSchema, DriftResultSchema } from '../../contracts/workflows/detect-drift';
import { RetrainInputSchema, RetrainResultSchema } from '../../contracts/workflows/retrain';
import { ScoreBatchInputSchema, ScoreBatchResultSchema } from '../../contracts/workflows/score-batch';
import { PromoteModelInputSchema, RollbackModelInputSchema, StageChangeResultSchema } from '../../contracts/workflows/stage-changes';
import { TrainedModelSummarySchema, TrainModelInputSchema } from '../../contracts/workflows/train-model';
import { projectRoot } from '../../config/env';

// The contracts must describe what really crosses workflow history, not what we believe does: every
// recorded history of tests/replay/histories/ (real runs of every workflow type, old and new code)
// is checked against its workflow's input and result schema.

const CONTRACTS: Record<string, { input: TSchema; result: TSchema }> = {
  trainModel: { input: TrainModelInputSchema, result: TrainedModelSummarySchema },
  scoreBatch: { input: ScoreBatchInputSchema, result: ScoreBatchResultSchema },
  detectDrift: { input: DetectDriftInputSchema, result: DriftResultSchema },
  retrain: { input: RetrainInputSchema, result: RetrainResultSchema },
  dailyPipeline: { input: DailyPipelineInputSchema, result: DailyPipelineResultSchema },
  promoteModel: { input: PromoteModelInputSchema, result: StageChangeResultSchema },
  rollbackModel: { input: RollbackModelInputSchema, result: StageChangeResultSchema },
  archiveHistories: { input: ArchiveHistoriesInputSchema, result: ArchiveHistoriesResultSchema },
};

interface Payloads {
  payloads?: { metadata: { encoding: string }; data?: string }[];
}

interface HistoryEvent {
  eventType: string;
  workflowExecutionStartedEventAttributes?: { workflowType: { name: string }; input?: Payloads };
  workflowExecutionCompletedEventAttributes?: { result?: Payloads };
}

function decoded(payloads: Payloads | undefined): unknown {
  const first = payloads?.payloads?.[0];
  if (!first?.data) return undefined;
  expect(Buffer.from(first.metadata.encoding, 'base64').toString()).toBe('json/plain');
  return JSON.parse(Buffer.from(first.data, 'base64').toString('utf8'));
}

function problems(schema: TSchema, value: unknown): string[] {
  return [...Value.Errors(schema, value)].map((e) => `${e.instancePath || '/'} ${e.message}`);
}

const historiesDir = path.join(projectRoot, 'tests/replay/histories');
const histories = readdirSync(historiesDir).flatMap((version) => readdirSync(path.join(historiesDir, version)).map((file) => path.join(version, file)));

describe('workflow contracts against recorded histories', () => {
  it('has histories of every workflow type but the archive to check', () => {
    const types = new Set(histories.map((h) => (JSON.parse(readFileSync(path.join(historiesDir, h), 'utf8')) as { events: HistoryEvent[] }).events[0]!.workflowExecutionStartedEventAttributes!.workflowType.name));
    expect([...types].sort()).toEqual(Object.keys(CONTRACTS).filter((t) => t !== 'archiveHistories').sort());
  });

  it.each(histories)('%s: the input and the result match their schemas', (file) => {
    const { events } = JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8')) as { events: HistoryEvent[] };
    const started = events[0]!.workflowExecutionStartedEventAttributes!;
    const contract = CONTRACTS[started.workflowType.name];
    expect(contract, `no contract for ${started.workflowType.name}`).toBeDefined();
    const input = decoded(started.input) as Record<string, unknown>;
    // A scoring run that continued as new carries its progress: internal, and not part of the contract.
    const { carried, ...asked } = input;
    if (started.workflowType.name !== 'scoreBatch') expect(carried).toBeUndefined();
    expect(problems(contract!.input, asked)).toEqual([]);
    const completed = events.find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    if (completed) expect(problems(contract!.result, decoded(completed.workflowExecutionCompletedEventAttributes!.result))).toEqual([]);
  });

  it('refuses what no caller may send: unknown fields, a bad tag, a day out of pattern', () => {
    expect(problems(TrainModelInputSchema, { tag: 'ok-1', epochz: 3 })).not.toEqual([]);
    expect(problems(TrainModelInputSchema, { tag: 'bad tag' })).not.toEqual([]);
    expect(problems(ScoreBatchInputSchema, { date: '2026-1-1' })).not.toEqual([]);
    expect(problems(RetrainInputSchema, { tag: 'c-1', gates: { minRocAuc: 2 } })).not.toEqual([]);
    expect(problems(TrainModelInputSchema, { tag: 'ok-1', epochs: 3, candidates: 'baseline' })).toEqual([]);
  });
});
