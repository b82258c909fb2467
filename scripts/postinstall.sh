#!/usr/bin/env bash
# `npm ci` / `npm install` (package.json postinstall): on a machine whose node is older than 24,
# installs Node 24 for the npm scripts now rather than at the first `npm run`, and says what npm's
# engine warnings mean there.
machine="$(node --version 2>/dev/null || echo 'no node')"
source "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh" || exit 1
if [ "$machine" != "$(node --version)" ]; then
  echo "postinstall: the EBADENGINE warnings above compare the packages with this machine's node ($machine); npm run demo, npm test, npm start and the other npm scripts run them on Node $(node --version) from .tools/node24." >&2
fi
