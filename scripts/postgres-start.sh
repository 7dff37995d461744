#!/usr/bin/env bash
# Starts the machine's PostgreSQL cluster(s) if they are not running (the store tests use
# 127.0.0.1:5432, user postgres, trust). Debian layout: /etc/postgresql/<version>/<cluster>;
# whatever version is installed. Installs PostgreSQL first (scripts/setup.sh) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /etc/postgresql/*/* >/dev/null 2>&1; then
  bash scripts/setup.sh
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
for dir in /etc/postgresql/*/*/; do
  [ -f "$dir/postgresql.conf" ] || continue
  version=$(basename "$(dirname "$dir")")
  cluster=$(basename "$dir")
  if pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1; then
    continue
  fi
  echo "postgres: starting cluster $version/$cluster"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
done
