// The workflow bundle's entry point: every workflow the worker runs.
export { trainModel } from './trainModel';
export { scoreBatch } from './scoreBatch';
export { dailyPipeline } from './dailyPipeline';
export { promoteModel } from './promoteModel';
export { rollbackModel } from './rollbackModel';
export { detectDrift } from './detectDrift';
export { retrain } from './retrain';
export { archiveHistories } from './archiveHistories';
