#!/usr/bin/env bash
# Ensures the Debian packages needed by the real-service test suites (@flowlane/testing) are installed.
#
# A fast no-op when every binary is already present. Otherwise installs the missing packages with apt-get:
# directly as root, through `sudo -n` when available, or exits 1 naming the exact command to run.
#
# Environment:
#   FLOWLANE_SKIP_SERVICE_SETUP=1  skip everything (e.g. CI images that bake the packages in).
set -euo pipefail

if [[ "${FLOWLANE_SKIP_SERVICE_SETUP:-}" == "1" ]]; then
  echo "setup-test-services: skipped (FLOWLANE_SKIP_SERVICE_SETUP=1)"
  exit 0
fi

# Debian packages the test suites need, in install order. To add one, append it here and list its binaries below.
TEST_SERVICE_PACKAGES=(redis-server openssh-server prometheus docker.io busybox-static openssl chromium)

# Binaries that prove a package is installed: command names (looked up in PATH + sbin dirs) or absolute paths.
declare -A PACKAGE_BINARIES=(
  [redis-server]="redis-server"
  [openssh-server]="/usr/sbin/sshd ssh-keygen"
  [prometheus]="prometheus promtool"
  [docker.io]="dockerd"
  [busybox-static]="busybox"
  [openssl]="openssl"
  [chromium]="/usr/bin/chromium"
)

have_binary() {
  local bin="$1"
  if [[ "$bin" == /* ]]; then
    [[ -x "$bin" ]]
  else
    PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" command -v "$bin" >/dev/null 2>&1
  fi
}

missing_packages=()
for pkg in "${TEST_SERVICE_PACKAGES[@]}"; do
  for bin in ${PACKAGE_BINARIES[$pkg]:-$pkg}; do
    if ! have_binary "$bin"; then
      missing_packages+=("$pkg")
      break
    fi
  done
done

ensure_sshd_privsep_dir() {
  if [[ "$EUID" == "0" ]]; then
    mkdir -p -m 0755 /run/sshd
  fi
}

if [[ ${#missing_packages[@]} -eq 0 ]]; then
  ensure_sshd_privsep_dir
  exit 0
fi

install_cmd=(apt-get install -y --no-install-recommends "${missing_packages[@]}")
if [[ "$EUID" == "0" ]]; then
  echo "setup-test-services: installing ${missing_packages[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive "${install_cmd[@]}"
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "setup-test-services: installing ${missing_packages[*]} (via sudo -n)"
  sudo -n apt-get update
  sudo -n env DEBIAN_FRONTEND=noninteractive "${install_cmd[@]}"
else
  echo "setup-test-services: missing packages: ${missing_packages[*]}" >&2
  echo "Install them with: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive ${install_cmd[*]}" >&2
  exit 1
fi

ensure_sshd_privsep_dir
echo "setup-test-services: done"
