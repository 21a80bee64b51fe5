#!/usr/bin/env bash
# Installs what merr needs on Debian/Ubuntu: system packages (ffmpeg, redis-server, speech tools for the
# offline audio analysis, xvfb for OpenFace on headless machines, tmux for the terminal test, Chromium for the dashboard test), the npm
# dependencies, and builds the CLI (dist/). Safe to run again.
# The package lists below are checked against the programs merr starts (src/adapters/tools/binaries.ts)
# by test/unit/setup-binaries.test.ts: keep the "package:file" form.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need_node_major=20
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt "$need_node_major" ]; then
  echo "merr needs Node.js >= $need_node_major (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "On Debian 13 / Ubuntu 24.04: sudo apt-get install nodejs npm; elsewhere see https://nodejs.org." >&2
  exit 1
fi

# package:file-that-proves-it-is-installed
wanted=(
  "ffmpeg:/usr/bin/ffmpeg"
  "redis-server:/usr/bin/redis-server"
  "pocketsphinx:/usr/bin/pocketsphinx_continuous"
  "pocketsphinx-en-us:/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
  "flite:/usr/bin/flite"
  "espeak-ng:/usr/bin/espeak-ng"
  "sox:/usr/bin/sox"
  "xvfb:/usr/bin/xvfb-run"
  "tmux:/usr/bin/tmux"
)
# Tried, but the set-up goes on without them (the tests that need them are skipped, naming what is missing).
optional=(
  "chromium:/usr/bin/chromium"
)
missing=()
updated=""
for item in "${wanted[@]}"; do
  pkg="${item%%:*}"; file="${item#*:}"
  [ -e "$file" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  updated=1
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Chromium is only for the dashboard test (skipped without it). Ubuntu ships it as a snap, which
# apt cannot install in every environment: try, and say so instead of failing the set-up.
for item in "${optional[@]}"; do
  pkg="${item%%:*}"; file="${item#*:}"
  [ ! -e "$file" ] || continue
  [ -n "$updated" ] || $SUDO apt-get update -qq || true
  updated=1
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1; then
    echo "note: could not install $pkg ($file); the tests that need it will be skipped" >&2
  fi
done

# onnxruntime-node ships its CPU binaries; its install script would download the CUDA ones (~400 MB from
# NuGet, failing offline). npm 11 blocks it (package.json allowScripts); npm 10 runs it unless told to skip.
# docs/features.md says how to install the CUDA provider on a GPU worker.
ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
# The CLI runs compiled JavaScript (dist/); `npm test` rebuilds it when a source is newer.
npm run build
