#!/usr/bin/env bash
# Builds SeaweedFS's `weed` binary (the S3-compatible object store the tests and a local
# "run at scale" rehearsal use) from the Go module proxy, once per machine, into
# <repo>/.tools/seaweedfs/<version>/weed, and prints that path.
#
# Plain bash on purpose: CI starts it right after apt, before `npm ci`, so the ~8 minute
# compile overlaps with the npm install. scripts/services/seaweedfs.ts calls the same script
# when the binary is missing, so there is one way to build it.
#
# `go install` refuses this module (its go.mod has replace directives), hence download the
# module source, copy it somewhere writable and `go build` inside it.
set -euo pipefail

# Pinned: a silent upgrade would change the S3 server every test runs against.
SEAWEEDFS_MODULE=github.com/seaweedfs/seaweedfs
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
# Used only when the machine's Go is too old to fetch a newer toolchain by itself (Debian's
# golang-go predates Go's toolchain switching); the toolchain comes from the module proxy too.
BOOTSTRAP_TOOLCHAIN=go1.26.8

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tools_dir=${DOCFLOW_TOOLS_DIR:-$repo_root/.tools}
dest=$tools_dir/seaweedfs/$SEAWEEDFS_VERSION
weed=$dest/weed

if [[ -x $weed ]]; then
  echo "$weed"
  exit 0
fi

mkdir -p "$dest"
# Two test runs (or CI's background build and a test run) must not compile into the same place.
exec 9> "$dest.lock"
flock 9
if [[ -x $weed ]]; then
  echo "$weed"
  exit 0
fi

log() { echo "[seaweedfs] $*" >&2; }

find_go() {
  if command -v go > /dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    echo /usr/local/go/bin/go
  else
    return 1
  fi
}

if ! go_bin=$(find_go); then
  log "no Go toolchain found. Install one (Debian: apt-get install golang-go) and run this again."
  exit 1
fi

# Go 1.21+ downloads the toolchain go.mod asks for by itself (GOTOOLCHAIN=auto); older ones
# cannot, so fetch a current toolchain as a module and use it instead.
go_minor=$("$go_bin" env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
if [[ -z $go_minor || $go_minor -lt 21 ]]; then
  arch=$("$go_bin" env GOARCH)
  toolchain_module=golang.org/toolchain@v0.0.1-${BOOTSTRAP_TOOLCHAIN}.linux-${arch}
  log "$("$go_bin" env GOVERSION) is too old; fetching $toolchain_module"
  toolchain_dir=$(GOFLAGS=-mod=mod "$go_bin" mod download -json "$toolchain_module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  go_bin=$toolchain_dir/bin/go
  chmod +x "$toolchain_dir"/bin/* "$toolchain_dir"/pkg/tool/*/* 2> /dev/null || true
fi

started=$SECONDS
log "downloading $SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION"
module_dir=$(cd "$dest" && "$go_bin" mod download -json "$SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [[ -z $module_dir || ! -d $module_dir ]]; then
  log "go mod download did not report the module directory"
  exit 1
fi

# The module cache is read-only; the build needs a writable copy of the source.
src=$dest/src
rm -rf "$src"
cp -R "$module_dir" "$src"
chmod -R u+w "$src"

log "building weed (about 8 minutes on 2 cores the first time; Go caches it afterwards)"
(cd "$src" && "$go_bin" build -o "$dest/weed.partial" ./weed)
# Renamed only when complete, so an interrupted build never looks like a usable binary.
mv "$dest/weed.partial" "$weed"
rm -rf "$src"
log "built $weed in $((SECONDS - started)) s"
echo "$weed"
