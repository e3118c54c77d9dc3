#!/usr/bin/env bash
# Starts a Redis Cluster of 3 primaries on this machine (no replicas, no persistence) unless one answers:
#   scripts/redis-cluster.sh [first port, default 7001] [directory, default /tmp/broadcastt-redis-cluster]
# The tests of the Redis Cluster adapter use it (REDIS_CLUSTER_NODES, default 127.0.0.1:7001-7003).
set -euo pipefail
first=${1:-7001}
dir=${2:-/tmp/broadcastt-redis-cluster}
ports=("$first" $((first + 1)) $((first + 2)))
if [ "$(redis-cli -p "$first" cluster info 2>/dev/null | tr -d '\r' | grep -c '^cluster_state:ok')" = 1 ]; then
  exit 0
fi
for port in "${ports[@]}"; do
  mkdir -p "$dir/$port"
  if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
    rm -f "$dir/$port/nodes.conf"
    # cluster-require-full-coverage no: a primary down stops only its own slots, the others keep serving.
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$dir/$port" --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-node-timeout 2000 --cluster-require-full-coverage no \
      --save '' --appendonly no --logfile "$dir/$port/redis.log"
  fi
done
for port in "${ports[@]}"; do
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
if [ "$(redis-cli -p "$first" cluster info | tr -d '\r' | grep '^cluster_slots_assigned:' | cut -d: -f2)" = 0 ]; then
  redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >/dev/null
fi
for _ in $(seq 200); do
  ok=1
  for port in "${ports[@]}"; do
    redis-cli -p "$port" cluster info | tr -d '\r' | grep -q '^cluster_state:ok' || ok=0
  done
  [ "$ok" = 1 ] && exit 0
  sleep 0.1
done
echo "redis-cluster.sh: the cluster on ports ${ports[*]} did not become ready" >&2
exit 1
