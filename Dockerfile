# fastify-broadcastt standalone server. Multi-stage: the TypeScript build runs in the first stage; the image
# holds only dist/ and the production dependencies, and runs as the unprivileged `node` user.
#   docker build -t fastify-broadcastt .      (or: npm run docker:build, which skips where docker cannot run)
#   docker run -p 6001:6001 -e BROADCASTT_APP_ID=… -e BROADCASTT_APP_KEY=… -e BROADCASTT_APP_SECRET=… fastify-broadcastt
# NODE_ENV=production: without a configured app the server refuses to start (no public development app).
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY console-ui ./console-ui
COPY scripts/build-console.ts ./scripts/
RUN npm run build

FROM node:22-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY openapi ./openapi
COPY sql ./sql
USER node
EXPOSE 6001
# Liveness: GET {prefix}/health on the local port, read from the server's own settings (port, prefix, TLS).
# Orchestrators should also probe {prefix}/ready (503 while starting, draining or without Redis).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD ["node", "dist/cli/healthcheck.js"]
# SIGTERM drains: readiness 503, connections closed 4200 over BROADCASTT_DRAIN_WINDOW_MS, then exit 0.
# Give the container a stop timeout above the drain window plus the grace (docker stop -t, terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli/main.js"]
