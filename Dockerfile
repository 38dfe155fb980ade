# docflow application image: the API and both worker pools run from it, with different commands.
#
#   docker build -t docflow .
#   docker run ... docflow                                                # API (default CMD)
#   docker run ... docflow node --import tsx worker/main.ts --queue index   # index worker
#   docker run ... docflow node --import tsx worker/main.ts --queue parse   # parse worker
#
# The server needs no compile step: it runs its TypeScript through tsx, so the image carries the
# sources plus production node_modules, and the web app built in its own stage. docker-compose.yml wires it all together.

# ---------------------------------------------------------------------------------------------
# build: install production dependencies. better-sqlite3 compiles from source here, which
# needs Python, make and a C++ compiler; none of that reaches the runtime image.
# ---------------------------------------------------------------------------------------------
FROM node:20.20.2-bookworm-slim AS build

RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# ONNXRUNTIME_NODE_INSTALL=skip: as in scripts/ensure-deps.mjs, no onnxruntime download at install.
# npm_config_nodedir: node-gyp compiles against the headers shipped in the image, no download.
# npm_config_build_from_source: better-sqlite3 is compiled here, not fetched prebuilt.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_nodedir=/usr/local \
    npm_config_build_from_source=true \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false

# Only the manifests first, so editing a source file does not invalidate the install layer.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev \
 && npm cache clean --force

# ---------------------------------------------------------------------------------------------
# ui: build the web app (ui/build, static files the API serves on its own origin). It needs the
# dev dependencies (SvelteKit, Vite) and the shared contract in core/, nothing else; install
# scripts are skipped because no native addon is needed to build it.
# ---------------------------------------------------------------------------------------------
FROM node:20.20.2-bookworm-slim AS ui

WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm cache clean --force
COPY core ./core
COPY ui ./ui
RUN npm run ui:build

# ---------------------------------------------------------------------------------------------
# runtime: Node, production node_modules, the sources. Runs as an unprivileged user.
# ---------------------------------------------------------------------------------------------
FROM node:20.20.2-bookworm-slim AS runtime

ARG APP_UID=10001
ARG APP_GID=10001

# OCR for the parse worker: Tesseract with English and Italian data (OCR_LANGUAGES) and poppler's
# pdftoppm to render scanned PDF pages. Add tesseract-ocr-<lang> here for other languages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-ita \
 && rm -rf /var/lib/apt/lists/*

# A fixed uid/gid so a host directory or volume can be chowned for it ahead of time.
RUN groupadd --system --gid ${APP_GID} docflow \
 && useradd --system --uid ${APP_UID} --gid docflow --home-dir /home/docflow --create-home --shell /usr/sbin/nologin docflow \
 && mkdir -p /data \
 && chown docflow:docflow /data

WORKDIR /app

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data \
    npm_config_update_notifier=false

# Code and dependencies stay owned by root: the app user can read them but not change them.
COPY --from=build /app/node_modules ./node_modules
COPY . .
COPY --from=ui /app/ui/build ./ui/build

# Catalog (SQLite), uploaded files, artifacts and, without Qdrant, LanceDB vectors.
VOLUME ["/data"]

USER docflow:docflow

EXPOSE 8080

# /api/health answers 200 only when Temporal, the embedder, the vector store, the catalog and
# the file store all respond. Workers serve no HTTP: docker-compose.yml disables this check
# for them.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/api/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "--import", "tsx", "runtime/api-main.ts"]
