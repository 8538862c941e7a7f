import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import { readPipelineSnapshot } from '../db/queries/pipeline-metrics';

const DRIFT_STATUSES = ['none', 'moderate', 'severe', 'insufficient'] as const;

/**
 * One app's metrics in its own Registry (never prom-client's global one), so several apps in one
 * process — tests — never collide. HTTP metrics are labelled by route pattern, not raw URL, so ids
 * in paths cannot explode the series count.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'ecgflow_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status class', labelNames: ['method', 'route', 'status_class'], registers: [this.registry] });
  private readonly errors = new Counter({ name: 'ecgflow_http_request_errors_total', help: 'HTTP requests answered with a 4xx or 5xx status', labelNames: ['method', 'route', 'status_class'], registers: [this.registry] });
  private readonly latency = new Histogram({
    name: 'ecgflow_http_request_duration_seconds',
    help: 'Time from request received to response sent',
    labelNames: ['method', 'route', 'status_class'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly routeInfo = new Gauge({ name: 'ecgflow_http_route_info', help: 'Every route the app serves and the permission it needs ("public" when none)', labelNames: ['method', 'route', 'permission'], registers: [this.registry] });
  private readonly lastRunStatus = new Gauge({ name: 'ecgflow_workflow_last_run_status', help: 'The outcome of the latest run of each workflow type (1 on its status label)', labelNames: ['workflow_type', 'status'], registers: [this.registry] });
  private readonly lastRunTime = new Gauge({ name: 'ecgflow_workflow_last_run_timestamp_seconds', help: 'When the latest run of each workflow type started', labelNames: ['workflow_type'], registers: [this.registry] });
  private readonly beatsScored = new Gauge({ name: 'ecgflow_beats_scored', help: 'Predictions stored, all time', registers: [this.registry] });
  private readonly beatsScoredToday = new Gauge({ name: 'ecgflow_beats_scored_today', help: 'Predictions stored since 00:00 UTC today', registers: [this.registry] });
  private readonly anomalyRate = new Gauge({ name: 'ecgflow_anomaly_rate_last_day', help: 'Share of beats flagged anomalous on the latest scored data day, per model', labelNames: ['model_tag', 'day'], registers: [this.registry] });
  private readonly productionModel = new Gauge({ name: 'ecgflow_production_model', help: 'The model in production (1 on its tag label)', labelNames: ['tag'], registers: [this.registry] });
  private readonly pipelineUp = new Gauge({ name: 'ecgflow_pipeline_metrics_up', help: '1 when the pipeline gauges could be read from MySQL at this scrape, 0 when not (they are then absent)', registers: [this.registry] });
  private readonly driftStatus = new Gauge({ name: 'ecgflow_drift_last_status', help: 'The latest drift report status (1 on its status, 0 on the others)', labelNames: ['status'], registers: [this.registry] });

  /** Called for each route as it is registered: the route table, so dashboards and the auth matrix test see what exists. */
  addRoute(method: string, route: string, permission: string | undefined): void {
    this.routeInfo.set({ method, route, permission: permission ?? 'public' }, 1);
  }

  observe(request: FastifyRequest, reply: FastifyReply): void {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_class: `${Math.floor(reply.statusCode / 100)}xx` };
    this.requests.inc(labels);
    if (reply.statusCode >= 400) this.errors.inc(labels);
    this.latency.observe(labels, reply.elapsedTime / 1000);
  }

  /**
   * Pipeline gauges are read from MySQL at scrape time, so every API replica reports the same truth.
   * MySQL down must not hide the HTTP metrics: the gauges are then dropped and `up` says why.
   */
  async refreshPipeline(db: Kysely<Database>): Promise<Error | undefined> {
    for (const gauge of [this.lastRunStatus, this.lastRunTime, this.anomalyRate, this.productionModel, this.driftStatus, this.beatsScored, this.beatsScoredToday]) gauge.reset();
    let snapshot;
    try {
      snapshot = await readPipelineSnapshot(db, new Date());
    } catch (error) {
      this.pipelineUp.set(0);
      return error as Error;
    }
    this.pipelineUp.set(1);
    for (const run of snapshot.lastRuns) {
      this.lastRunStatus.set({ workflow_type: run.workflowType, status: run.status }, 1);
      this.lastRunTime.set({ workflow_type: run.workflowType }, run.startedAt.getTime() / 1000);
    }
    this.beatsScored.set(snapshot.predictions);
    this.beatsScoredToday.set(snapshot.predictionsToday);
    for (const rate of snapshot.lastDayRates) this.anomalyRate.set({ model_tag: rate.modelTag, day: rate.day }, rate.anomalyRate);
    if (snapshot.productionTag) this.productionModel.set({ tag: snapshot.productionTag }, 1);
    if (snapshot.lastDriftStatus) for (const status of DRIFT_STATUSES) this.driftStatus.set({ status }, status === snapshot.lastDriftStatus ? 1 : 0);
    return undefined;
  }
}
