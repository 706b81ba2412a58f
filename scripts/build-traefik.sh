#!/usr/bin/env bash
# Builds a real Traefik binary (SPEC toolchain: v3.6.12 builds from the Go
# module proxy; v3.7.x does not) into .cache/traefik-<version>/traefik.
# The binary is cached: a second run returns at once.
set -euo pipefail
version="${TRAEFIK_VERSION:-v3.6.12}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/traefik-$version"
bin="$dir/traefik"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$dir/src"
cat > "$dir/src/go.mod" <<EOM
module traefikbin
go 1.26
require github.com/traefik/traefik/v3 $version
replace (
    github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e
    github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59
    github.com/mailgun/minheap => github.com/containous/minheap v0.0.0-20190809180810-6e71eb837595
)
exclude github.com/tencentcloud/tencentcloud-sdk-go v3.0.83+incompatible
EOM
cd "$dir/src"
echo "building traefik $version (cold: ~8 min on 2 cores)..." >&2
GOFLAGS=-mod=mod go build -o "$bin.tmp" github.com/traefik/traefik/v3/cmd/traefik
mv "$bin.tmp" "$bin"
echo "$bin"
