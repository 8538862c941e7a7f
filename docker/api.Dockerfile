# syntax=docker/dockerfile:1
# The HTTP API with the review and monitoring pages (service `api`). The TypeScript sources run
# through tsx exactly as in development and in the tests; the pages are built here with Vite.
# Node 22, the maintained LTS line (20 left maintenance in April 2026); the code still runs on >=20.12.
ARG NODE_IMAGE=node:22-bookworm-slim

# Production dependencies, exactly the lock's (`npm ci`: it holds every platform's optional swc,
# rollup and esbuild packages).
# @tensorflow/tfjs-node is optional: kept when its install can fetch libtensorflow, else wasm runs.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

# The web pages (npm run build:web) need the development dependencies (Vite), but none of the
# install scripts: the pages use no native module.
FROM ${NODE_IMAGE} AS web-pages
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run build:web

FROM ${NODE_IMAGE} AS api
ENV NODE_ENV=production \
    API_HOST=0.0.0.0 \
    API_PORT=8080
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY . .
COPY --from=web-pages /app/web/dist ./web/dist
USER node
EXPOSE 8080
# Healthy while GET /healthz answers 200 (/readyz would also fail for a MySQL or Temporal outage).
HEALTHCHECK --interval=30s --timeout=20s --start-period=30s --retries=3 \
  CMD ["node", "bin/ecgflow.mjs", "health", "api"]
CMD ["node", "bin/ecgflow.mjs", "api"]
