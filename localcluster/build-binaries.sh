#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager,
# kubectl) and helm from the Go module proxy into a per-user cache keyed by
# version. Idempotent: a binary already in the cache is not rebuilt.
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces the staging
# modules with local folders. A throw-away wrapper module requires it and
# replaces every staging module with its published v0.x twin, the list being
# read from the module's own go.mod. etcd's server module gets the same
# treatment for its sibling modules.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
HELM_VERSION="${HELM_VERSION:-v4.3.2}"
CACHE="${MYWHATSAPP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mywhatsapp}"
BIN="$CACHE/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION"
LOG="$CACHE/build.log"
export GOFLAGS="${GOFLAGS:--buildvcs=false} -trimpath"
export CGO_ENABLED=0

mkdir -p "$BIN" "$CACHE/src"
log() { printf '%s %s\n' "$(date -u +%FT%TZ)" "$*" | tee -a "$LOG" >&2; }

# replace_lines MODULE@VERSION PREFIX PUBLISHED_VERSION: prints `-replace` flags
# for every relative replace directive of MODULE's go.mod under PREFIX.
replace_flags() {
  local mod="$1" prefix="$2" pubver="$3" gomod
  gomod=$(go mod download -json "$mod" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  [ -f "$gomod" ] || { echo "no go.mod for $mod" >&2; return 1; }
  grep -Eo "^\s*(replace\s+)?$prefix[^ ]*\s+=>\s+\.\.?/" "$gomod" \
    | awk '{print ($1=="replace") ? $2 : $1}' \
    | sort -u \
    | while read -r m; do printf -- '-replace=%s=%s@%s\n' "$m" "$m" "$pubver"; done
}

build_wrapper() {  # name module version prefix pubver out=pkg...
  local name="$1" module="$2" version="$3" prefix="$4" pubver="$5"; shift 5
  local dir="$CACHE/src/$name-$version"
  local missing=()
  for spec in "$@"; do [ -x "$BIN/${spec%%=*}" ] || missing+=("$spec"); done
  [ "${#missing[@]}" -gt 0 ] || { log "$name $version: cached"; return 0; }
  log "$name $version: building ${missing[*]}"
  local t0=$SECONDS
  rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
  go mod init "mywhatsapp.local/build/$name" >/dev/null 2>&1
  go mod edit -go=1.26.0 $(replace_flags "$module@$version" "$prefix" "$pubver")
  local pkgs=()
  for spec in "${missing[@]}"; do pkgs+=("${spec#*=}@$version"); done
  go get "${pkgs[@]}" >>"$LOG" 2>&1
  for spec in "${missing[@]}"; do
    local out="$BIN/${spec%%=*}" t1=$SECONDS
    go build -ldflags='-s -w' -o "$out.tmp" "${spec#*=}" >>"$LOG" 2>&1
    mv "$out.tmp" "$out"
    log "built ${spec%%=*} in $((SECONDS - t1)) s ($(du -h "$out" | cut -f1))"
  done
  log "$name $version: done in $((SECONDS - t0)) s"
}

t_all=$SECONDS
k8s_pub="v0.${K8S_VERSION#v1.}"
build_wrapper kubernetes k8s.io/kubernetes "$K8S_VERSION" 'k8s\.io/' "$k8s_pub" \
  kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
  kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
  kubectl=k8s.io/kubernetes/cmd/kubectl
build_wrapper etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" 'go\.etcd\.io/etcd/' "$ETCD_VERSION" \
  etcd=go.etcd.io/etcd/server/v3
if [ ! -x "$BIN/helm" ]; then
  log "helm $HELM_VERSION: building"
  t0=$SECONDS
  GOBIN="$BIN" go install -ldflags='-s -w' "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >>"$LOG" 2>&1
  log "helm $HELM_VERSION: done in $((SECONDS - t0)) s ($(du -h "$BIN/helm" | cut -f1))"
fi
log "all binaries ready in $((SECONDS - t_all)) s: $BIN"
ln -sfn "$BIN" "$CACHE/bin/current"
echo "$BIN"
