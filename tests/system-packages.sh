#!/usr/bin/env bash
# The system packages `make test` needs beside Python: Qt's runtime libraries (offscreen and
# on X), Xvfb (the real-display suite's X server), matchbox (a kiosk window manager, for
# the runs with one), systemd (systemd-analyze rates the shipped units), PostgreSQL (the
# fleet suite starts its own server on 127.0.0.1, as the postgres user) and openssl (`kiosk
# fleet enrol` signs certificates with it). With KIOSK_TEST_DIST=1 (CI) also cage and
# Xwayland: the bundle is shown on a Wayland display
# the way docs/deploy.md's cage recipe shows it. Installs what is missing through apt when
# run as root (CI, a fresh Debian machine); otherwise names what to install and fails.
set -euo pipefail
packages=(
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libglib2.0-0 libdbus-1-3
  xvfb libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1
  matchbox-window-manager systemd postgresql openssl
)
if [ "${KIOSK_TEST_DIST:-}" = "1" ]; then
  packages+=(cage xwayland libwayland-client0 libwayland-cursor0)
fi
command -v dpkg >/dev/null 2>&1 || exit 0  # not Debian: the README says what is needed
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "make test needs these system packages: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
