#!/bin/sh
# The system libraries KAPDesk needs beside its Python packages: libvlc for the music, Qt's xcb
# platform libraries for a real screen, Xvfb and poppler-utils for screenshots and PDF pages,
# and PostgreSQL's server programs (the tests start their own throwaway cluster with initdb).
# As root on Debian/Ubuntu we install what is missing; otherwise we print the one line to run.
PACKAGES="libvlc5 vlc-plugin-base libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 \
libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-dejavu-core xvfb xauth poppler-utils postgresql"

# Extra packages a target needs may follow on the command line (`make bench`: vlc-bin for cvlc).
PACKAGES="$PACKAGES $*"

command -v dpkg-query >/dev/null 2>&1 || {
  echo "system-libs: not a Debian/Ubuntu system: install VLC 3 and Qt's platform libraries yourself (see README)."
  exit 0
}
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ]; then
  echo "system-libs: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "system-libs: missing:$missing"
  echo "system-libs: run: sudo apt-get install -y$missing"
  echo "system-libs: (the app still starts without libvlc; the music pane then says what to install)"
fi
