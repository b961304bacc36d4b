# ringkv container image. Build: docker build -t ringkv:local .   (see docs/deploy.md)

# Build stage: the README's install step (npm ci, which compiles TypeScript to dist/ through the
# package's prepare script), then drop the dev dependencies (TypeScript, Biome, test tools).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json ./
COPY bin ./bin
COPY src ./src
RUN npm ci
RUN npm prune --omit=dev

# Runtime stage: only the compiled code, production dependencies and the command.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    RINGKV_DATA_DIR=/data \
    RINGKV_LISTEN=0.0.0.0:7000 \
    RINGKV_HTTP=0.0.0.0:8000 \
    RINGKV_LOG_FORMAT=json \
    RINGKV_NODE=http://127.0.0.1:8000
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/bin ./bin
# `ringkv status`, `ringkv leave` ... inside the container; /data belongs to the node user.
RUN ln -s /app/bin/ringkv.js /usr/local/bin/ringkv \
    && mkdir -p /data \
    && chown 1000:1000 /data
# The image's "node" user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
VOLUME /data
# 7000: inter-node (gossip, replication); 8000: client HTTP API. A node bound to 0.0.0.0 must be
# told the address its peers dial: set RINGKV_ADVERTISE_LISTEN (it refuses to start otherwise).
EXPOSE 7000 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["node", "-e", "const port=(process.env.RINGKV_HTTP||'127.0.0.1:8001').split(':').pop();fetch('http://127.0.0.1:'+port+'/health',{signal:AbortSignal.timeout(2000)}).then((r)=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/ringkv.js"]
CMD ["start"]
