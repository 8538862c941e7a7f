import { Runtime, type Logger as SdkLogger, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';

const PINO_LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The SDK's Logger interface over pino: every line the SDK, a workflow's `log` or an activity's
 * `log` writes comes out as one JSON object, its metadata (workflowId, runId, activityType, ...)
 * as fields. Activity lines name the run `workflowRunId`; `runId` is added so that every line of a
 * run carries the same field.
 */
export function sdkLoggerOf(logger: PinoLogger): SdkLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const fields: Record<string, unknown> = { ...meta };
    if (fields.workflowRunId !== undefined && fields.runId === undefined) fields.runId = fields.workflowRunId;
    // An opaque base64 blob of a few hundred bytes on every activity line, useful to no reader.
    delete fields.taskToken;
    if (fields.error instanceof Error) fields.error = { type: fields.error.name, message: fields.error.message, stack: fields.error.stack };
    logger[PINO_LEVELS[level] ?? 'info'](fields, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/**
 * Installs the worker process's SDK Runtime (once per process, before any connection): JSON logs
 * through pino, the native core's own logs forwarded to the same logger, and, when a port is given,
 * the core's Prometheus exporter on that loopback port (scraped through workers/metrics.ts).
 */
export function installWorkerRuntime(logger: PinoLogger, sdkMetricsPort: number | undefined): Runtime {
  return Runtime.install({
    logger: sdkLoggerOf(logger),
    telemetryOptions: {
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      ...(sdkMetricsPort === undefined ? {} : { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkMetricsPort}`, useSecondsForDurations: true } } }),
    },
  });
}
