#!/usr/bin/env bash
# Fails when a folder includes a header from a layer above it (docs/ARCHITECTURE.md,
# "Layout"): engine/ may include neither server/ nor tiering/, tiering/ may not include
# server/, tools/ may not include server/ (tierkv-check links engine and tiering
# only), and the engine's own unit tests (tests/unit/engine/, linked with the engine
# library alone) include nothing above the engine. Prints every offending line.
set -u
root="${1:?usage: check_dependencies.sh <source root>}"
status=0
check() {
  local folder="$1" pattern="$2"
  local found
  found=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"($pattern)/" "$root/$folder" \
            --include='*.h' --include='*.cc' || true)
  if [ -n "$found" ]; then
    echo "$folder/ must not include $pattern/:"
    echo "$found"
    status=1
  fi
}
check engine 'server|tiering'
check tiering 'server'
check tools 'server'
check tests/unit/engine 'server|tiering|harness'
if [ "$status" -eq 0 ]; then
  echo "layout: engine -> (nothing above), tiering -> engine, tools -> engine+tiering, engine unit tests -> engine: ok"
fi
exit "$status"
