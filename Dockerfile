# syntax=docker/dockerfile:1
# Build stage: compile TypeScript to dist/ and the native UDP addon (packages/udp-batch). The
# compiler lives in this stage only; node-gyp takes the headers of the image's own Node
# (npm_config_nodedir), so nothing is downloaded.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3 \
 && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages ./packages
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: compiled JS and production dependencies only, as a non-root user.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap 'cap_net_bind_service=+ep' /usr/local/bin/node \
 && apt-get purge -y libcap2-bin && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# The addon (node_modules/@horizond/udp-batch links here): its loader and the compiled module only.
COPY --from=build /src/packages/udp-batch/package.json /src/packages/udp-batch/index.js ./packages/udp-batch/
COPY --from=build /src/packages/udp-batch/build/Release/udp_batch.node ./packages/udp-batch/build/Release/
COPY package.json ./
COPY deploy/docker/horizond.yaml /etc/horizond/config/horizond.yaml
COPY zones /etc/horizond/zones
RUN mkdir -p /var/lib/horizond && chown node:node /var/lib/horizond
USER node
# Config and zones are meant to be mounted over these paths (ConfigMap / Git checkout);
# dynamic-update journals live on the data volume.
VOLUME ["/etc/horizond", "/var/lib/horizond"]
EXPOSE 53/udp 53/tcp 9153/tcp
ENV NODE_ENV=production
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9153/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--optimize-for-size", "--no-memory-reducer", "/app/dist/main.js"]
CMD ["--config", "/etc/horizond/config/horizond.yaml"]
