#!/usr/bin/env bash
# Creates Kandoo's topics on a Docker host (compose service kafka-init), as in DESIGN.md.
# The local (no Docker) path creates the same topics from kandoo.events.topics.
set -euo pipefail
bootstrap=${1:-kafka:9092}
partitions=${KANDOO_PARTITIONS:-6}
replication=${KANDOO_REPLICATION_FACTOR:-1}  # 3 on a cluster of three brokers
min_insync=${KANDOO_MIN_INSYNC_REPLICAS:-1}  # 2 on a cluster of three
kt=/opt/kafka/bin/kafka-topics.sh
create() { # name partitions retention.ms
  "$kt" --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$1" \
    --partitions "$2" --replication-factor "$replication" --config "retention.ms=$3" \
    --config "min.insync.replicas=$min_insync"
}
day=86400000
create complaints.commands "$partitions" $((7 * day))
create complaints.events "$partitions" -1
create complaints.command-results "$partitions" 3600000
create notifications.events "$partitions" -1
create directory.events 1 -1  # the roster: one partition, so one order
create line.webhook-events "$partitions" $((7 * day))
for t in complaints.commands complaints.events complaints.command-results notifications.events directory.events line.webhook-events; do
  create "$t.dlq" 1 $((30 * day))
done
