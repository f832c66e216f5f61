#!/usr/bin/env bash
# Install the Debian packages named on the command line, unless they are already there.
#
#   scripts/ensure_system_deps.sh graphviz dataset-fashion-mnist
#
# graphviz counts as present when its `dot` program is on PATH (however it was installed);
# any other package when dpkg says it is installed. Missing ones are installed with apt-get
# (through sudo when not root); `apt-get update` runs only if the first try fails.
# This script never fails the build: without apt (or without permission) it prints a warning
# naming what is missing, and the features needing it (graph drawing, the demo's data set)
# report the problem themselves when used.
set -u

warn() { echo "ensure_system_deps: WARNING: $*" >&2; }

is_present() {
    case "$1" in
        graphviz) command -v dot >/dev/null 2>&1 ;;
        *) dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" ;;
    esac
}

missing=()
for pkg in "$@"; do
    is_present "$pkg" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    warn "apt-get not found; please install these system packages yourself: ${missing[*]}"
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo -n)   # -n: never hang on a password prompt (CI has no stdin)
    else
        warn "not root and no sudo; please install these system packages yourself: ${missing[*]}"
        exit 0
    fi
fi

echo "ensure_system_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_install() { "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; }
if ! apt_install; then
    # The package lists may be stale or absent on a fresh machine: refresh them once and retry.
    "${sudo[@]}" apt-get update -q && apt_install \
        || warn "could not install ${missing[*]} with apt-get; please install them yourself"
fi
exit 0
