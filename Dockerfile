# One image for every shopgraph service. Pick the service with the SERVICE build argument:
#   docker build --build-arg SERVICE=users -t shopgraph-users .
# SERVICE is any name of the service registry (scripts/services.ts): router (the default), a subgraph, a
# worker (orders-worker, notifications-worker); keygen (the compose stack's one-shot credentials job) runs
# as `node dist/keygen.js <dir>`.
# SERVICE is also kept as an environment variable, so one built image can run another service with
# `docker run -e SERVICE=products ...`. The image runs the compiled services (`npm run build` → dist/) on
# Node 24 with runtime dependencies only: no TypeScript, no tsx, no embedded PostgreSQL or Redis.

# --- manifests: every workspace's package.json, with its path, and nothing else -----------------------
# Collected here rather than listed one by one, so a new subgraph needs no Dockerfile change. The output
# only changes when a manifest does, so the `npm ci` layers below stay cached across source edits.
FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && cp package.json package-lock.json .npmrc /manifests/ && cp -r patches /manifests/ \
 && find packages subgraphs router -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \;

# --- build: every dependency, then the bundles ------------------------------------------------------------
FROM node:24-bookworm-slim AS build
# Node 24 ships npm 11, which honours package.json's `allowScripts`. No install scripts are needed to bundle
# (the `node` devDependency would only fetch a second Node 24; patches apply in the runtime stage).
ENV npm_config_update_notifier=false
WORKDIR /src
COPY --from=manifests /manifests/ ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build

# --- deps: runtime dependencies only ----------------------------------------------------------------------
FROM node:24-bookworm-slim AS deps
# `postinstall: patch-package` (a runtime dependency for this reason) applies patches/ to postgres.js here.
ENV npm_config_update_notifier=false
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime ---------------------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Root-owned, so read-only for the `node` user that runs the service. These layers come before the SERVICE
# argument, so every service's image shares them (node_modules is by far the largest).
COPY --from=deps /app/ ./
# dist/ is self-contained: the bundles, their source maps, and the files they read (schemas, migrations,
# templates, the tracking page, supergraph.graphql), at their repository paths.
COPY --from=build /src/dist ./dist
# Mount point of the credentials volume written by keygen: a new named volume takes this directory's owner
# and mode, so keygen (running as `node`) can write into it.
RUN mkdir -p /run/shopgraph && chown node:node /run/shopgraph && chmod 0700 /run/shopgraph
ARG SERVICE=router
ENV SERVICE=${SERVICE}
RUN test -f "dist/${SERVICE}.js" || { echo "Unknown SERVICE '${SERVICE}': dist/${SERVICE}.js does not exist (see scripts/services.ts)" >&2; exit 1; }
USER node

# PORT wins; otherwise the service's port from the registry (dist/services.json). Workers and keygen serve no
# HTTP: their check passes while the process runs.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const s=require('/app/dist/services.json')[process.env.SERVICE]||{};const port=process.env.PORT||s.port;if(!port)process.exit(0);fetch('http://127.0.0.1:'+port+'/readyz',{signal:AbortSignal.timeout(4000)}).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# `exec` makes node PID 1, so it receives SIGTERM directly and shuts down gracefully.
# The tracing preload is a no-op unless OTEL_EXPORTER_OTLP_ENDPOINT is set (see packages/kit/src/telemetry).
CMD ["sh", "-c", "exec node --enable-source-maps --import ./dist/telemetry-register.js \"dist/${SERVICE}.js\""]
