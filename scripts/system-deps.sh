#!/usr/bin/env bash
# System packages the test suite needs. Installed when running as root (Debian/Ubuntu);
# otherwise the missing ones are named in one line and the run stops.
set -euo pipefail
# chromium: the storefront's browser tests (Playwright drives it); curl, jq and nodejs: docs/api.md's
# quick start runs its curl and JavaScript examples against a live server.
PACKAGES=(postgresql-client chromium curl jq nodejs)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing system packages; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
