#!/bin/sh
# Starts one Cadre service: the first argument, else $SERVICE (default `cadre`, all in one).
set -eu
service="${1:-${SERVICE:-cadre}}"
case "$service" in
  cadre|gateway|identity|runs|agents) ;;
  *) echo "unknown service '$service' (cadre, gateway, identity, runs, agents)" >&2; exit 64 ;;
esac
cd /app
exec node "services/$service/dist/main.js"
