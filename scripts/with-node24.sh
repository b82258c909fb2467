#!/usr/bin/env bash
# Runs a command on Node.js 24 even when the machine's node is older: Node 24 goes first on PATH
# (see ensure-node.sh), so the command and everything it starts (npm, npx, node, nest, vitest) use it.
# Every npm script in package.json starts with it; when Node 24 is already first it just runs the command.
#
#   bash scripts/with-node24.sh node app.js --flag          a command and its arguments
#   bash scripts/with-node24.sh 'npm run a && vitest run'   a shell command line; arguments that follow
#                                                           are appended to it, as npm does for scripts
source "$(dirname "${BASH_SOURCE[0]}")/ensure-node.sh" || exit 1
command_line=$1
shift
exec bash -c "$command_line \"\$@\"" with-node24 "$@"
