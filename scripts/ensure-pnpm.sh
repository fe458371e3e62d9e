#!/usr/bin/env bash
# Makes sure the pinned pnpm (package.json "packageManager") is on PATH. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(node -p "require('./package.json').packageManager.split('@')[1]")
have=$(pnpm --version 2>/dev/null || true)
if [ "$have" = "$want" ]; then exit 0; fi
echo "Installing pnpm $want (found: ${have:-none})…"
if npm i -g "pnpm@$want" >/dev/null 2>&1; then exit 0; fi
# No permission for a global install: fall back to corepack (needs COREPACK_INTEGRITY_KEYS=0 on registry mirrors).
COREPACK_INTEGRITY_KEYS=0 corepack enable && COREPACK_INTEGRITY_KEYS=0 corepack prepare "pnpm@$want" --activate
