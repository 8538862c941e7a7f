import { startPage } from '../page';
import { loadDailyStats } from './daily';
import { loadLatestDrift } from './drift';
import { loadProductionModel } from './model';
import { loadRecentRuns } from './runs';
import { loadUnscoredDays } from './unscored';

// The dashboard: each panel loads on its own and shows its own error, so one failing API call
// (e.g. Temporal down for the runs list) leaves the rest of the page useful.

async function main(): Promise<void> {
  if (!(await startPage())) return;
  await Promise.all([loadProductionModel(), loadDailyStats(), loadLatestDrift(), loadUnscoredDays(), loadRecentRuns()]);
}

void main();
