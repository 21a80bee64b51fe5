# merr image for the multi-host recipe in docker-compose.yml: one image, every role (build, worker, dashboard).
# Stage 1 compiles the TypeScript (needs the dev dependencies); stage 2 has only the runtime dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
COPY src ./src
COPY pipelines ./pipelines
COPY workers ./workers
RUN npm run build

FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg pocketsphinx pocketsphinx-en-us ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# onnxruntime-node: CPU binaries only by default; --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 adds the CUDA provider (docs/features.md).
ARG ONNXRUNTIME_NODE_INSTALL=skip
RUN ONNXRUNTIME_NODE_INSTALL=$ONNXRUNTIME_NODE_INSTALL npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY --from=build /app/dist ./dist
COPY prompts ./prompts
COPY au-rules ./au-rules
COPY data ./data
ENTRYPOINT ["node", "/app/bin/merr.js"]
CMD ["--help"]
