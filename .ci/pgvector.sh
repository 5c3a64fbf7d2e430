#!/usr/bin/env bash
# A Postgres with pgvector for the memory service's pgvector tests (`startPgvectorPostgres` in
# @cadre/testing): Debian's postgresql-15, and pgvector built against it from Debian's own source
# tarball (Debian 12 packages no postgresql-15-pgvector; trixie's pgvector 0.8.0 source builds as is).
# Does nothing when it is there already.
set -euo pipefail
PG=15
VERSION=0.8.0
SHA256=867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0
if [ -f "/usr/share/postgresql/$PG/extension/vector.control" ] && [ -x "/usr/lib/postgresql/$PG/bin/pg_ctl" ]; then
  exit 0
fi
needed=()
for package in "postgresql-$PG" "postgresql-server-dev-$PG" make gcc libc6-dev curl ca-certificates; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || needed+=("$package")
done
if [ ${#needed[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL -o "$work/pgvector.tar.gz" "http://deb.debian.org/debian/pool/main/p/pgvector/pgvector_${VERSION}.orig.tar.gz"
echo "$SHA256  $work/pgvector.tar.gz" | sha256sum -c --quiet
tar -xzf "$work/pgvector.tar.gz" -C "$work"
# OPTFLAGS="": no -march=native, so the build runs on any x86-64.
make -s -C "$work/pgvector-$VERSION" PG_CONFIG="/usr/lib/postgresql/$PG/bin/pg_config" OPTFLAGS="" with_llvm=no >/dev/null
make -s -C "$work/pgvector-$VERSION" PG_CONFIG="/usr/lib/postgresql/$PG/bin/pg_config" with_llvm=no install >/dev/null
# The Debian package starts a cluster of its own; the tests start theirs.
if command -v pg_ctlcluster >/dev/null 2>&1; then pg_ctlcluster "$PG" main stop 2>/dev/null || true; fi
echo "pgvector $VERSION for PostgreSQL $PG installed"
