# syntax=docker/dockerfile:1
# voice-gateway: multi-stage build on Node.js 24 (Debian bookworm, slim).
# Build: docker build -t voice-gateway .   Run (production needs the Twilio keys; the app folder is read-only):
#   docker run -p 5050:5050 -e OPENAI_API_KEY=… -e TWILIO_ACCOUNT_SID=… -e TWILIO_AUTH_TOKEN=… -e SINGLE_REPLICA=true -e DATA_DIR=/tmp/voice-gateway voice-gateway

# 1. Compile with every dependency (install scripts off: nothing here needs them).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY config ./config
# The gateway only (the call-simulator CLI stays out of the image); tsconfig.build.json leaves the
# specs and test helpers out of dist.
RUN npx nest build voice-gateway

# 2. Production dependencies only. Optional ones left out too: the lockfile's are TypeScript (an
#    optional peer of @nestjs/swagger, 24 MB) and pg-cloudflare (for Cloudflare Workers only).
FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund --ignore-scripts && npm cache clean --force

# 3. Runtime: compiled output and production dependencies, owned by root and read-only to the
#    unprivileged user that runs it (uid 1000, "node" in the official image).
FROM node:24-bookworm-slim AS runtime
LABEL org.opencontainers.image.title="voice-gateway" \
      org.opencontainers.image.description="Twilio Media Streams bridged to the OpenAI Realtime API"
ENV NODE_ENV=production \
    PORT=5050
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER 1000:1000
EXPOSE 5050
# Liveness from inside the container (the slim image has no curl; Node 24 has fetch).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||5050)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM starts the graceful drain (readiness 503, live calls finish, then exit 0). Exec form, so
# node is PID 1 and receives the signal directly.
STOPSIGNAL SIGTERM
# A young generation capped at 16 MB per semi-space: about 32 MB less RSS per pod under load for a
# little more scavenging (see docs/performance.md). Keep in step with `start:prod`.
ENTRYPOINT ["node", "--enable-source-maps", "--max-semi-space-size=16", "dist/apps/voice-gateway/apps/voice-gateway/src/main.js"]
