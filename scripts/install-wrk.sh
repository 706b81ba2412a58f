#!/usr/bin/env bash
# Installs wrk, the load generator of `make bench-load`, from Debian's
# packages (as root, or through sudo).
set -euo pipefail
if command -v wrk >/dev/null; then exit 0; fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq wrk
