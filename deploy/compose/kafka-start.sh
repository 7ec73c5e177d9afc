#!/bin/sh
# The compose broker's entry point: its settings are kafka.properties plus the SASL settings of
# the deployment's secrets (mounted at /run/secrets/kafka, the broker's folder only). The first
# start formats the storage with the admin's and the broker's SCRAM users in the cluster's first
# metadata; every other user is created by the provisioner, as the admin.
set -eu
umask 077  # the assembled settings hold the broker's password
secrets=/run/secrets/kafka
config=/tmp/server.properties
cat /conveyor/kafka.properties "$secrets/sasl.properties" > "$config"
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  set --
  while IFS= read -r user; do
    set -- "$@" --add-scram "$user"
  done < "$secrets/format-users"
  /opt/kafka/bin/kafka-storage.sh format --standalone --config "$config" \
    --cluster-id "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" "$@"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$config"
