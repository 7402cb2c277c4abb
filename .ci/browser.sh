#!/usr/bin/env bash
# Install the browser the sfsync web tests drive: Debian's chromium (Playwright is pointed at
# /usr/bin/chromium and never downloads a browser of its own). Run as root; idempotent.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "browser.sh: run me as root to install chromium (apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update >&2
apt-get install -y chromium chromium-driver >&2
