#!/bin/sh
# One-shot, as root, before anything else starts: the deployment's Kafka secrets (kept once made)
# and the development token issuer's key set, each folder readable only by the container that
# mounts it (the broker's image runs as uid 1000, Conveyor's as 10001).
set -eu
folder=${1:-/secrets}
owners="--owner broker=1000 --owner admin=10001"
for service in orders inventory shipping support; do
  owners="$owners --owner $service=10001"
done
# shellcheck disable=SC2086  # one word per option
python -m conveyor_runtime.kafka_secrets "$folder" $owners
# The issuer's private keys stay root's; the services read the public key set only.
python -m conveyor_runtime.tokens --directory "$folder/issuer" jwks > /dev/null
mkdir -p "$folder/jwks"
cp "$folder/issuer"/jwks.json "$folder/jwks"/jwks.json
chmod 755 "$folder/jwks"
chmod 644 "$folder/jwks"/jwks.json
