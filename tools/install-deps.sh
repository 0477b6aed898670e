#!/usr/bin/env bash
# Installs the Debian packages this project builds and tests with, but only those missing.
# Idempotent and quick when everything is present: one dpkg query, no apt-get at all.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config
  libev-dev libmsgpack-dev libhttp-parser-dev check
  libzookeeper-mt-dev zookeeper
  libjansson-dev libcurl4-openssl-dev libssl-dev openssl
  clang libclang-rt-14-dev llvm
  curl procps iproute2 tar gzip unzip zip
  debhelper dpkg-dev help2man
  golang-go golang-github-mesos-mesos-go-dev
  libjs-bootstrap5 node-chart.js
  chromium nodejs dropbear-bin openssh-client
  docker.io busybox-static
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
# The browser tests fetch playwright-core with npm: Debian's npm package, unless the nodejs
# installed already brings its own npm (as other builds of nodejs do).
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
