// The workflow bundle's entry point: every workflow the worker runs.
export { trainModel } from './trainModel';
export { scoreBatch } from './scoreBatch';
