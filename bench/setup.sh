#!/usr/bin/env bash
# Installs the benchmark's anchors: nginx, wrk, hey and python3-aiohttp from Debian (and GNU time for start-up);
# autocannon, undici and Artillery from npm into bench/node_modules. Also builds tokenstorm.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  apt-get install -y -qq nginx-light wrk hey python3-aiohttp time >/dev/null
fi
# Artillery's Playwright dependency would otherwise try to download a browser.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
(cd .. && npm ci --no-audit --no-fund)
