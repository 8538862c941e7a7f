import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { DISCARD_WORKFLOW_SPANS } from '../../workers/tracing';

// Runs live for days (a retraining waits for approval), so a deploy meets histories that older
// code wrote. Every recorded set (tests/replay/record-histories.ts) must replay on today's
// workflows without a nondeterminism error; a change that alters command order needs patched().

const HISTORIES = path.join(import.meta.dirname, '..', 'replay', 'histories');

async function recordedHistories(): Promise<{ name: string; file: string }[]> {
  const sets = (await readdir(HISTORIES)).sort();
  const all = [];
  for (const set of sets) {
    for (const file of (await readdir(path.join(HISTORIES, set))).filter((f) => f.endsWith('.json')).sort()) {
      all.push({ name: `${set}/${file.replace(/\.json$/, '')}`, file: path.join(HISTORIES, set, file) });
    }
  }
  return all;
}

describe('recorded workflow histories replay on the current workflow code', () => {
  it('replays every recorded history of every workflow type without a nondeterminism error', async () => {
    const recorded = await recordedHistories();
    const types = new Set<string>();
    const histories = await Promise.all(
      recorded.map(async ({ name, file }) => {
        const history = historyFromJSON(JSON.parse(await readFile(file, 'utf8')));
        types.add(history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '?');
        return { workflowId: name, history };
      }),
    );
    // Every workflow the worker registers, and the shapes a long run takes.
    expect([...types].sort()).toEqual(['dailyPipeline', 'detectDrift', 'promoteModel', 'retrain', 'rollbackModel', 'scoreBatch', 'trainModel']);
    expect(recorded.map((r) => r.name)).toEqual(expect.arrayContaining([expect.stringMatching(/scoreBatch-continued$/), expect.stringMatching(/retrain-approved$/)]));

    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') }, sinks: DISCARD_WORKFLOW_SPANS }, histories)) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(histories.length);
  });
});
