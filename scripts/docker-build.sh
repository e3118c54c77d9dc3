#!/usr/bin/env bash
# Builds the Docker image and smoke-tests it (GET /health, then SIGTERM → exit 0) where docker can run.
# Where it cannot (no docker, no daemon, or no node:22-slim and no network to pull it) it says why and exits 0:
# neither npm test nor CI depends on it. IMAGE=name:tag to choose the tag.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-fastify-broadcastt:local}
skip () { echo "docker-build: skipped: $1"; exit 0; }
command -v docker >/dev/null 2>&1 || skip "docker is not installed"
docker info >/dev/null 2>&1 || skip "the docker daemon is not reachable (docker info failed)"
docker image inspect node:22-slim >/dev/null 2>&1 || docker pull node:22-slim >/dev/null 2>&1 \
  || skip "node:22-slim is not present and cannot be pulled (no network?)"
docker build -t "$IMAGE" .
# NODE_ENV=production in the image: without an app of its own the server refuses to start.
id=$(docker run -d -p 127.0.0.1::6001 -e BROADCASTT_APP_ID=smoke -e BROADCASTT_APP_KEY=smoke-key \
  -e BROADCASTT_APP_SECRET=smoke-secret "$IMAGE")
trap 'docker rm -f "$id" >/dev/null 2>&1 || true' EXIT
port=$(docker port "$id" 6001/tcp | head -n1 | sed 's/.*://')
for _ in $(seq 1 50); do
  if node -e "fetch('http://127.0.0.1:$port/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then break; fi
  sleep 0.2
done
node -e "fetch('http://127.0.0.1:$port/ready').then(async (r) => { console.log('ready:', r.status, await r.text()); process.exit(r.ok ? 0 : 1) })"
docker exec "$id" node dist/cli/healthcheck.js || { echo "docker-build: the health check failed"; exit 1; }
[ "$(docker exec "$id" id -un)" = node ] || { echo "docker-build: the container does not run as node"; exit 1; }
docker stop -t 30 "$id" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$id")
[ "$code" = 0 ] || { echo "docker-build: exit code $code after SIGTERM"; exit 1; }
echo "docker-build: $IMAGE built; /health and /ready answered; SIGTERM exited 0"
