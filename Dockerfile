# One image for every shopgraph service. Pick the service with the SERVICE build argument:
#   docker build --build-arg SERVICE=users -t shopgraph-users .
# SERVICE=router (the default) runs router/src/index.ts, any other name subgraphs/$SERVICE/src/index.ts.
# SERVICE is also kept as an environment variable, so one built image can run another service with
# `docker run -e SERVICE=products ...`. Sources run as TypeScript through tsx: there is no build step.

# --- manifests: every workspace's package.json, with its path, and nothing else -----------------------
# Collected here rather than listed one by one, so a new subgraph needs no Dockerfile change. The output
# only changes when a manifest does, so the `npm ci` layer below stays cached across source edits.
FROM node:20-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && cp package.json package-lock.json .npmrc /manifests/ && cp -r patches /manifests/ \
 && find packages subgraphs router -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /manifests/ \;

# --- deps: node_modules from the lockfile ----------------------------------------------------------------
FROM node:20-bookworm-slim AS deps
# npm 11 honours package.json's `allowScripts` (npm 10 in the base image does not).
# redis-memory-server (used only by `npm start` / tests) must not download Redis at install time.
ENV REDISMS_DISABLE_POSTINSTALL=1 \
    npm_config_update_notifier=false
RUN npm install -g npm@11
WORKDIR /app
COPY --from=manifests /manifests/ ./
# Dev dependencies stay: tsx (a devDependency) runs the services. Pruning them would save little and
# require a compile step; the embedded Postgres/Redis packages are never started with NODE_ENV=production.
RUN npm ci --no-audit --no-fund && npm cache clean --force

# --- runtime ---------------------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Root-owned, so read-only for the `node` user that runs the service. These layers come before the SERVICE
# argument, so every service's image shares them (node_modules is by far the largest).
COPY --from=deps /app/ ./
COPY . .
# Mount point of the credentials volume written by scripts/keygen.ts: a new named volume takes this
# directory's owner and mode, so keygen (running as `node`) can write into it.
RUN mkdir -p /run/shopgraph && chown node:node /run/shopgraph && chmod 0700 /run/shopgraph
ARG SERVICE=router
ENV SERVICE=${SERVICE}
RUN entry="subgraphs/${SERVICE}/src/index.ts"; \
    if [ "${SERVICE}" = router ]; then entry="router/src/index.ts"; fi; \
    test -f "$entry" || { echo "Unknown SERVICE '${SERVICE}': $entry does not exist" >&2; exit 1; }
USER node

# PORT wins; otherwise the service's port from DESIGN.md section 3.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const ports={router:4000,users:4001,products:4002,inventory:4003,pricing:4004,orders:4005,payments:4006,shipping:4007,notifications:4008};const port=process.env.PORT||ports[process.env.SERVICE];fetch('http://127.0.0.1:'+port+'/readyz',{signal:AbortSignal.timeout(4000)}).then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# `exec` makes node PID 1, so it receives SIGTERM directly and shuts down gracefully.
CMD ["sh", "-c", "if [ \"$SERVICE\" = router ]; then entry=router/src/index.ts; else entry=subgraphs/$SERVICE/src/index.ts; fi; exec node --import tsx \"$entry\""]
