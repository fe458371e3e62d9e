/*
 * The shell scripts the pipeline's nodes run, one per step. Each is passed as `sh -c SCRIPT NAME ARG…`, so paths and
 * versions arrive as `$1`, `$2` — never spliced into the script text — and every executor quotes them verbatim.
 */

/** Local: `$1` work dir, `$2` version. Writes `dist/` (3 files) and prints the sha256 of `dist/index.html`. */
export const BUILD = `set -eu
mkdir -p "$1" && cd "$1"
rm -rf dist && mkdir -p dist/assets
printf '%s\\n' "$2" > dist/VERSION
printf '<!doctype html>\\n<title>app %s</title>\\n<script src="assets/app.js"></script>\\n' "$2" > dist/index.html
printf 'console.log("app %s");\\n' "$2" > dist/assets/app.js
sha256sum dist/index.html | cut -d' ' -f1`;

/**
 * Docker (busybox, no network): `$1` version. Checks the delivered `/artifacts/dist` and prints its file count and the
 * sha256 of `index.html`. The volume outlives the container, so the artifact is removed on the way out.
 */
export const TEST = `set -eu
trap 'rm -rf /artifacts/dist' EXIT
cd /artifacts/dist
for f in VERSION index.html assets/app.js; do test -s "$f" || { echo "missing $f" >&2; exit 1; }; done
test "$(cat VERSION)" = "$1" || { echo "VERSION is $(cat VERSION), expected $1" >&2; exit 1; }
grep -q 'src="assets/app.js"' index.html
find . -type f | wc -l
sha256sum index.html | cut -d' ' -f1`;

/**
 * SSH host: `$1` deploy root, `$2` version. Moves the delivered `incoming/` to `releases/$2`, remembers where `current`
 * pointed in `.previous`, switches `current` atomically (GNU `mv -T`), and prints the new and the previous target.
 */
export const DEPLOY = `set -eu
cd "$1"
previous=$(readlink current 2>/dev/null || true)
mkdir -p releases
rm -rf "releases/$2" && mv incoming "releases/$2"
printf '%s\\n' "$previous" > .previous
ln -sfn "releases/$2" current.tmp && mv -T current.tmp current
readlink current
printf '%s\\n' "$previous"`;

/** SSH host: `$1` deploy root. The release behind `current` is complete. */
export const HEALTH_CHECK = `test -s "$1/current/index.html" && test -s "$1/current/assets/app.js" && test -s "$1/current/VERSION"`;

/**
 * SSH host: `$1` deploy root. Points `current` back at `.previous` (or removes it when there was none), deletes the
 * release that was rolled back and anything half-delivered, and leaves the root empty after a first deploy.
 */
export const ROLLBACK = `set -eu
cd "$1"
failed=$(readlink current 2>/dev/null || true)
previous=$(cat .previous 2>/dev/null || true)
if [ -n "$previous" ]; then ln -sfn "$previous" current.tmp && mv -T current.tmp current; else rm -f current; fi
if [ -n "$failed" ] && [ "$failed" != "$previous" ]; then rm -rf "$failed"; fi
rm -rf .previous incoming
rmdir releases 2>/dev/null || true`;

/**
 * Kubernetes pod: `$1` deploy root, `$2` expected version; env `FAIL_SMOKE_TEST=1` makes the smoke test fail. Prints
 * the sha256 of the served `index.html`.
 */
export const VERIFY = `set -eu
test "$(cat "$1/current/VERSION")" = "$2" || { echo "serving $(cat "$1/current/VERSION"), expected $2" >&2; exit 1; }
test "$FAIL_SMOKE_TEST" = 0 || { echo 'smoke test failed (failVerify)' >&2; exit 1; }
sha256sum "$1/current/index.html" | cut -d' ' -f1`;
