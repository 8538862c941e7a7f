# syntax=docker/dockerfile:1
# The pipeline worker (service `worker`, scaled with --scale worker=N) and the one-shot `setup` job.
# The TypeScript sources run through tsx exactly as in development and in the tests; only the
# dependencies and the workflow bundle are prepared at build time.
# Node 22, the maintained LTS line (20 left maintenance in April 2026); the code still runs on >=20.12.
ARG NODE_IMAGE=node:22-bookworm-slim

# Production dependencies, exactly the lock's (`npm ci`: it holds every platform's optional swc,
# rollup and esbuild packages).
# @tensorflow/tfjs-node is optional: kept when its install can fetch libtensorflow, else wasm runs.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

# The workflows bundled once (scripts/bundle-workflows.ts, as the tests do), so that a worker starts
# without running webpack and every replica runs the same workflow code.
FROM dependencies AS workflow-bundle
COPY . .
RUN node --import tsx scripts/bundle-workflows.ts /app/workflow-bundle.js

FROM ${NODE_IMAGE} AS worker
ENV NODE_ENV=production \
    ECGFLOW_WORKFLOW_BUNDLE=/app/workflow-bundle.js
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY . .
COPY --from=workflow-bundle /app/workflow-bundle.js ./workflow-bundle.js
USER node
# Prometheus /metrics, /healthz and /readyz (ECGFLOW_WORKER_METRICS_PORT).
EXPOSE 9464
# Healthy while a live worker process of this container polls its task queue in Temporal.
HEALTHCHECK --interval=30s --timeout=20s --start-period=90s --retries=3 \
  CMD ["node", "bin/ecgflow.mjs", "health", "worker"]
CMD ["node", "bin/ecgflow.mjs", "worker"]
