#!/usr/bin/env bash
# Fails when a folder includes a header from a layer above it (docs/ARCHITECTURE.md,
# "Layout"): engine/ may include neither server/ nor tiering/, tiering/ may not include
# server/, and tools/ may not include server/ (tierkv-check links engine and tiering
# only). Prints every offending line.
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
if [ "$status" -eq 0 ]; then echo "layout: engine -> (nothing above), tiering -> engine, tools -> engine+tiering: ok"; fi
exit "$status"
