import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AGREEMENT_WINDOW, readPipelineSnapshot, type PipelineSnapshot } from '../../db/queries/pipeline-metrics';
import { RefreshedSnapshot, type SnapshotState } from './refreshed-snapshot';
import type { ApiDeps } from '../types';

const DRIFT_STATUSES = ['none', 'moderate', 'severe', 'insufficient'] as const;

/** The longest a scrape waits for the pipeline read it started or joined; after that it is served the previous snapshot. */
const SCRAPE_WAIT_MS = 1000;

export interface ApiMetricsOptions {
  /** Reads the pipeline gauges' values; given the previous snapshot to carry work forward. */
  readPipeline: (previous: PipelineSnapshot | undefined) => Promise<PipelineSnapshot>;
  /** The pipeline is read at most this often (ms), whatever the number of scrapes. */
  refreshMs: number;
  waitMs?: number;
  now?: () => number;
}

/**
 * One app's metrics in its own Registry (never prom-client's global one), so several apps in one
 * process — tests — never collide. HTTP metrics are labelled by route pattern, not raw URL, so ids
 * in paths cannot explode the series count; pipeline gauges carry no model tags or days as labels
 * for the same reason: every label here has a fixed, small set of values.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  /** Where a failed pipeline read is reported; the app sets its logger here. */
  onPipelineFailure: (error: unknown) => void = () => undefined;
  private readonly pipeline: RefreshedSnapshot<PipelineSnapshot>;
  private readonly now: () => number;

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
  // The pipeline gauges below belong to no registry: each scrape shows those that have a value, so
  // an unknown one is absent rather than a misleading 0.
  private readonly lastRunStatus = new Gauge({ name: 'ecgflow_workflow_last_run_status', help: 'The outcome of the latest run of each workflow type (1 on its status label)', labelNames: ['workflow_type', 'status'], registers: [] });
  private readonly lastRunTime = new Gauge({ name: 'ecgflow_workflow_last_run_timestamp_seconds', help: 'When the latest run of each workflow type started', labelNames: ['workflow_type'], registers: [] });
  private readonly beatsScored = new Gauge({ name: 'ecgflow_beats_scored', help: 'Predictions stored, all time', registers: [] });
  private readonly beatsScoredToday = new Gauge({ name: 'ecgflow_beats_scored_today', help: 'Predictions stored since 00:00 UTC today', registers: [] });
  private readonly productionModelId = new Gauge({ name: 'ecgflow_production_model_id', help: 'The id of the model in production (absent when none); it changes when another model is promoted', registers: [] });
  private readonly latestDay = new Gauge({ name: 'ecgflow_production_latest_day_timestamp_seconds', help: '00:00 UTC of the latest recording day on which the production model scored any beat', registers: [] });
  private readonly latestDayBeats = new Gauge({ name: 'ecgflow_production_latest_day_beats', help: 'Beats of that day the production model scored', registers: [] });
  private readonly agreement = new Gauge({ name: 'ecgflow_production_review_agreement', help: `Share of the last ${AGREEMENT_WINDOW} reviewed beats the production model scored whose standing review labels them as the model did (absent before any such review)`, registers: [] });
  private readonly agreementReviews = new Gauge({ name: 'ecgflow_production_reviews_considered', help: `Reviewed beats the agreement is measured over (at most ${AGREEMENT_WINDOW})`, registers: [] });
  private readonly latestDayRate = new Gauge({ name: 'ecgflow_production_anomaly_rate_latest_day', help: 'Share of those beats the production model flagged anomalous', registers: [] });
  private readonly unscoredDays = new Gauge({
    name: 'ecgflow_unscored_days',
    help: 'Days (UTC, before today) with beats but no completed scoring run of the production model, or with beats stored after it that it left unscored; GET /api/v1/pipeline/unscored-days lists them. Absent when no model is in production',
    registers: [],
  });
  private readonly driftStatus = new Gauge({ name: 'ecgflow_drift_last_status', help: 'The latest drift report status (1 on its status, 0 on the others)', labelNames: ['status'], registers: [] });
  private readonly pipelineUp = new Gauge({ name: 'ecgflow_pipeline_metrics_up', help: '1 when this scrape carries the pipeline gauges, 0 when not (the latest read from MySQL failed, or the first one is still running)', registers: [this.registry] });
  private readonly pipelineAge = new Gauge({ name: 'ecgflow_pipeline_metrics_age_seconds', help: 'Seconds since the pipeline gauges were last read from MySQL successfully', registers: [] });
  private readonly pipelineReads = new Counter({ name: 'ecgflow_pipeline_metrics_refreshes_total', help: 'Reads of the pipeline gauges from MySQL started: at most one per API_METRICS_REFRESH_MS, never two at once, however often /metrics is scraped', registers: [this.registry] });
  private readonly pipelineReadFailures = new Counter({ name: 'ecgflow_pipeline_metrics_refresh_failures_total', help: 'Reads of the pipeline gauges from MySQL that failed', registers: [this.registry] });
  private readonly pipelineReadTime = new Gauge({ name: 'ecgflow_pipeline_metrics_refresh_duration_seconds', help: 'How long the latest read of the pipeline gauges from MySQL took', registers: [this.registry] });

  constructor(options: ApiMetricsOptions) {
    this.now = options.now ?? Date.now;
    this.pipeline = new RefreshedSnapshot(options.readPipeline, {
      refreshMs: options.refreshMs,
      waitMs: options.waitMs ?? SCRAPE_WAIT_MS,
      now: this.now,
      onReadStart: () => this.pipelineReads.inc(),
      onReadEnd: (ms, error) => {
        this.pipelineReadTime.set(ms / 1000);
        if (error === undefined) return;
        this.pipelineReadFailures.inc();
        this.onPipelineFailure(error);
      },
    });
  }

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
   * The exposition text of one scrape. Pipeline gauges come from the shared snapshot, so a scrape
   * costs MySQL nothing unless the snapshot is due; MySQL down must not hide the HTTP metrics: the
   * pipeline gauges are then dropped and `up` says why.
   */
  async scrape(): Promise<string> {
    const shown = new Registry();
    for (const gauge of this.showPipeline(await this.pipeline.current())) shown.registerMetric(gauge);
    return `${await this.registry.metrics()}${await shown.metrics()}`;
  }

  /** Sets the pipeline gauges from the snapshot state; returns those that have a value. */
  private showPipeline(state: SnapshotState<PipelineSnapshot>): Gauge[] {
    this.pipelineUp.set(state.value ? 1 : 0);
    const shown: Gauge[] = [];
    if (state.readAt !== undefined) shown.push(setTo(this.pipelineAge, (this.now() - state.readAt) / 1000));
    const snapshot = state.value;
    if (!snapshot) return shown;

    for (const gauge of [this.lastRunStatus, this.lastRunTime, this.driftStatus]) gauge.reset();
    for (const run of snapshot.lastRuns) {
      this.lastRunStatus.set({ workflow_type: run.workflowType, status: run.status }, 1);
      this.lastRunTime.set({ workflow_type: run.workflowType }, run.startedAt.getTime() / 1000);
    }
    shown.push(this.lastRunStatus, this.lastRunTime, setTo(this.beatsScored, snapshot.predictions), setTo(this.beatsScoredToday, snapshot.predictionsToday));
    if (snapshot.production) {
      const { modelId, agreement } = snapshot.production;
      shown.push(setTo(this.productionModelId, modelId), setTo(this.agreementReviews, agreement.reviewed));
      if (agreement.reviewed > 0) shown.push(setTo(this.agreement, agreement.agreed / agreement.reviewed));
    }
    const day = snapshot.production?.latestDay;
    if (day && day.scored > 0) {
      shown.push(setTo(this.latestDay, day.day.getTime() / 1000), setTo(this.latestDayBeats, day.scored), setTo(this.latestDayRate, day.anomalies / day.scored));
    }
    if (snapshot.unscoredDays) shown.push(setTo(this.unscoredDays, snapshot.unscoredDays.count));
    if (snapshot.lastDriftStatus) {
      for (const status of DRIFT_STATUSES) this.driftStatus.set({ status }, status === snapshot.lastDriftStatus ? 1 : 0);
      shown.push(this.driftStatus);
    }
    return shown;
  }
}

function setTo(gauge: Gauge, value: number): Gauge {
  gauge.set(value);
  return gauge;
}

/** The API's metrics, with pipeline gauges read from its database at most every API_METRICS_REFRESH_MS. */
export function apiMetricsFor(deps: Pick<ApiDeps, 'db' | 'config'>): ApiMetrics {
  return new ApiMetrics({
    readPipeline: (previous) => readPipelineSnapshot(deps.db, new Date(), previous),
    refreshMs: deps.config.API_METRICS_REFRESH_MS,
  });
}
