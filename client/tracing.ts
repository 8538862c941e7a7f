import type { ClientInterceptors } from '@temporalio/client';
import type { Config } from '../config/env';

/** The client's interceptors: none unless tracing is on. */
export function clientInterceptorsFor(_config: Config): ClientInterceptors | undefined {
  return undefined;
}
