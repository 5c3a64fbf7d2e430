#!/bin/sh
# Starts one Cadre service: the first argument, else $SERVICE (default `cadre`, all in one).
# The names are the registry's (services/cadre/src/registry.ts) and `gateway`; the entry point
# refuses any other with exit code 64 and the list.
set -eu
service="${1:-${SERVICE:-cadre}}"
cd /app
exec node services/cadre/dist/main.js "$service"
