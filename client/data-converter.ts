import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config/env';

/** How payloads are encoded on their way to the server; the same for clients and workers, or neither could read the other's. */
export function dataConverterFor(_config: Config): DataConverter | undefined {
  return undefined;
}
