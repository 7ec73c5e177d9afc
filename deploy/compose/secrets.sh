#!/bin/sh
# The `secrets` container's entry point, as root, on the deployment's secrets volume.
#
#   secrets.sh [FOLDER]
#     One-shot, before anything else starts: the deployment's Kafka secrets (kept once made)
#     and the development token issuer's key set, each folder readable only by the container
#     that mounts it (the broker's image runs as uid 1000, Conveyor's as 10001).
#   secrets.sh token mint|rotate|jwks [OPTIONS]
#     The development issuer (python -m conveyor_runtime.tokens) on the volume's keys, its
#     output alone on stdout (`mint` prints the bare token); then the public key set is
#     published again, so that a rotation reaches the services at once.
#
# FOLDER defaults to $CONVEYOR_SECRETS, else /secrets (where compose mounts the volume).
set -eu
folder=${CONVEYOR_SECRETS:-/secrets}

# The services mount jwks/ only: the issuer's private keys (issuer/) stay root's. The set is
# copied aside then renamed in, so a service never reads half of it and sees the change (a new
# inode) at its next request.
publish_key_set() {
  mkdir -p "$folder/jwks"
  chmod 755 "$folder/jwks"
  cp "$folder/issuer/jwks.json" "$folder/jwks/jwks.json.partial"
  chmod 644 "$folder/jwks/jwks.json.partial"
  mv -f "$folder/jwks/jwks.json.partial" "$folder/jwks/jwks.json"
}

if [ "${1:-}" = token ]; then
  shift
  python -m conveyor_runtime.tokens --directory "$folder/issuer" "$@"
  publish_key_set
  exit 0
fi

folder=${1:-$folder}
owners="--owner broker=1000 --owner admin=10001"
for service in orders inventory shipping support; do
  owners="$owners --owner $service=10001"
done
# shellcheck disable=SC2086  # one word per option
python -m conveyor_runtime.kafka_secrets "$folder" $owners
# The issuer's keys, made the first time and kept afterwards.
python -m conveyor_runtime.tokens --directory "$folder/issuer" jwks > /dev/null
publish_key_set
