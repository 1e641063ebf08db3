#!/usr/bin/env bash
# Installs the Debian bookworm packages the build, the tests and the demo need.
# Idempotent: only missing packages are installed; sudo only when not root.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config ccache git
  clang libclang-rt-14-dev clang-format
  libssl-dev libsecp256k1-dev libncurses-dev tmux
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libmnl-dev
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  python3 iproute2 iputils-ping iperf3 curl procps nftables
  lintian systemd
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
