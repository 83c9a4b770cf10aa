#!/bin/sh
# Runs one framework test file (node's test runner) against TIERKV_SERVER_BIN.
# `run.sh --install` installs the locked node packages (npm ci) when they are missing.
set -eu
cd "$(dirname "$0")"
if [ "$1" = "--install" ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  exit 0
fi
exec node --test --test-reporter=spec "$1"
