#!/usr/bin/env bash
# `npm ci` / `npm install` (package.json postinstall): on a machine whose node is older than 24,
# installs Node 24 for the npm scripts now rather than at the first `npm run`, and says what npm's
# engine warnings mean there.
machine_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
source "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh" || exit 1
if [ "$machine_major" -lt 24 ]; then
  echo "postinstall: npm's EBADENGINE warnings above measure the packages against this machine's node; the npm scripts (npm run demo, npm test, npm start, npm run build, ...) run them on Node $(node --version)." >&2
fi
