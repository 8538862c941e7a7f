import { RunningRetrainsSchema, type RunningRetrains } from '../../../contracts/api/retrains';
import { listRuns } from '../../../client/tolerant-reads';
import { retrainStatusQuery } from '../../../workflows/retrain';
import type { ApiApp, ApiDeps } from '../../types';

/** More retrainings than this running at once would be a fault elsewhere; the page shows the newest. */
const MOST_LISTED = 50;

/** A query waits for a worker; with none polling, the page says so instead of hanging. */
const QUERY_SECONDS = 5;

function withinSeconds<T>(seconds: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no worker answered its status query within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The retrainings running now and where each stands: the models page's "waiting for you" list. */
export async function retrainRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  app.get(
    '/retrains',
    { config: { permission: 'read' }, schema: { tags: ['read'], summary: 'Retrainings still running, with their phase, verdict and approvals (awaiting-approval ones wait for POST /models/{tag}/approve or /reject)', response: { 200: RunningRetrainsSchema } } },
    async () => {
      const client = await deps.temporal();
      const answer: RunningRetrains = { items: [], unanswered: [] };
      for await (const run of listRuns(client, { query: "WorkflowType = 'retrain' AND ExecutionStatus = 'Running'", pageSize: MOST_LISTED })) {
        try {
          const status = await withinSeconds(QUERY_SECONDS, client.workflow.getHandle(run.workflowId, run.runId).query(retrainStatusQuery));
          answer.items.push({ workflowId: run.workflowId, runId: run.runId, startedAt: run.startTime.toISOString(), status });
        } catch (error) {
          answer.unanswered.push({ workflowId: run.workflowId, error: (error as Error).message });
        }
        if (answer.items.length + answer.unanswered.length >= MOST_LISTED) break;
      }
      return answer;
    },
  );
}
