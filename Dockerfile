# One image for every Cadre service. SERVICE (or the first argument) picks the service the one
# entry point (services/cadre/dist/main.js) starts:
#   cadre (all in one, the default) | gateway | any service of the registry (identity, runs, agents, …)
#   docker build -t cadre .
#   docker run -e SERVICE=runs -e DATABASE_URL=… -e NATS_URL=… cadre
#   docker run cadre runs
# Stage 1 installs everything and compiles; stage 2 keeps only the compiled packages, their
# runtime files and the production dependencies, and runs as the unprivileged `node` user.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund
# The runtime tree: each workspace's package.json, dist/ and the files it reads at run time
# (built-in pipelines, the embedded Postgres host script and entry, the memory service's PDF worker;
# the dashboard's dist/ is its built page, made by npm ci's prepare step and npm run build),
# with the pruned node_modules (and a workspace's own, where npm nested a version only it uses).
RUN mkdir -p /out \
 && cp -a package.json package-lock.json node_modules /out/ \
 && for dir in proto libs/* services/*; do \
      mkdir -p "/out/$dir" && cp -a "$dir/package.json" "$dir/dist" "/out/$dir/"; \
      for extra in index.js scripts pipelines workers node_modules; do if [ -e "$dir/$extra" ]; then cp -a "$dir/$extra" "/out/$dir/"; fi; done; \
    done \
 && mkdir -p /out/deploy/docker && cp -a deploy/docker/entrypoint.sh /out/deploy/docker/ \
 && find /out -name '*.tsbuildinfo' -delete

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SERVICE=cadre \
    HOST=0.0.0.0 \
    PORT=8000 \
    METRICS_PORT=9090 \
    CADRE_DATA_DIR=/data
WORKDIR /app
# The voice service's local engines, encoders and offline transcription (Debian packages).
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng flite lame opus-tools sox pocketsphinx pocketsphinx-en-us \
 && rm -rf /var/lib/apt/lists/*
# The knowledge service clones repositories named by a git URL and maps git changes to its graph.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=root:root /out/ /app/
RUN mkdir -p /data /var/lib/cadre/knowledge /repositories && chown node:node /data /var/lib/cadre/knowledge
USER node
EXPOSE 8000 9090
VOLUME ["/data"]
ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]
