#!/usr/bin/env bash
# make install: the binaries, the systemd units, tmpfiles.d entry and a
# default configuration. Also the staging step of make deb
# (scripts/build-deb.sh), which sets the Debian paths below.
#
#   DESTDIR         staging root (default: none, the live system)
#   PREFIX          /usr/local; binaries in $PREFIX/bin
#   SYSCONFDIR      /etc; the configuration in $SYSCONFDIR/fips
#   SYSTEMDUNITDIR  $PREFIX/lib/systemd/system (systemd reads /usr/local/lib/systemd/system)
#   TMPFILESDIR     $PREFIX/lib/tmpfiles.d
#   DOCDIR          $PREFIX/share/doc/fips
#   BUILD_DIR       build/release (where apps/fips, fipsctl, fipstop are)
#   STRIP=1         strip the binaries
#
# fips.yaml (and fips.nft, when packaging/fips.nft exists) are installed only
# when absent, so an operator's files are never replaced. Without DESTDIR,
# as root, the fips user and group and the ownership of /etc/fips are set up
# as the Debian package's postinst does (packaging/debian/postinst, which
# this script runs with FIPS_SETUP_ONLY=1); FIPS_NO_ACCOUNTS=1 skips that.
# Not here: enabling or starting the units (printed as the next steps).
set -euo pipefail
umask 022
root=$(cd "$(dirname "$0")/.." && pwd)
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
SYSCONFDIR=${SYSCONFDIR:-/etc}
SYSTEMDUNITDIR=${SYSTEMDUNITDIR:-$PREFIX/lib/systemd/system}
TMPFILESDIR=${TMPFILESDIR:-$PREFIX/lib/tmpfiles.d}
DOCDIR=${DOCDIR:-$PREFIX/share/doc/fips}
BUILD_DIR=${BUILD_DIR:-$root/build/release}
BINDIR=$PREFIX/bin
CONFDIR=$SYSCONFDIR/fips
pkg=$root/packaging

for b in fips fipsctl fipstop; do
  [ -x "$BUILD_DIR/apps/$b" ] || { echo "install: $BUILD_DIR/apps/$b missing (run make first)" >&2; exit 1; }
done

install -d "$DESTDIR$BINDIR"
for b in fips fipsctl fipstop; do
  install -m 0755 "$BUILD_DIR/apps/$b" "$DESTDIR$BINDIR/$b"
  # As dh_strip: no symbols, no .comment/.note sections.
  [ "${STRIP:-0}" = 1 ] && strip --strip-unneeded --remove-section=.comment --remove-section=.note \
    "$DESTDIR$BINDIR/$b"
done

# Units: the daemon's paths follow BINDIR and SYSCONFDIR.
install -d "$DESTDIR$SYSTEMDUNITDIR"
sed -e "s|/usr/bin/fips |$BINDIR/fips |" -e "s|/etc/fips|$CONFDIR|g" -e "s|/usr/share/doc/fips|$DOCDIR|g" "$pkg/fips.service" \
  >"$DESTDIR$SYSTEMDUNITDIR/fips.service"
chmod 0644 "$DESTDIR$SYSTEMDUNITDIR/fips.service"
if [ -f "$pkg/fips-firewall.service" ]; then
  sed -e "s|/etc/fips|$CONFDIR|g" "$pkg/fips-firewall.service" >"$DESTDIR$SYSTEMDUNITDIR/fips-firewall.service"
  chmod 0644 "$DESTDIR$SYSTEMDUNITDIR/fips-firewall.service"
fi
install -d "$DESTDIR$TMPFILESDIR"
install -m 0644 "$pkg/fips.tmpfiles" "$DESTDIR$TMPFILESDIR/fips.conf"

# Configuration, only where absent.
install -d -m 0755 "$DESTDIR$CONFDIR"
if [ -e "$DESTDIR$CONFDIR/fips.yaml" ]; then
  echo "install: $CONFDIR/fips.yaml exists, left as it is"
else
  install -m 0644 "$pkg/fips.yaml" "$DESTDIR$CONFDIR/fips.yaml"
fi
if [ -f "$pkg/fips.nft" ]; then
  # fips.nft includes the operator's drop-ins from fips.d/*.nft.
  install -d -m 0755 "$DESTDIR$CONFDIR/fips.d"
  if [ -e "$DESTDIR$CONFDIR/fips.nft" ]; then
    echo "install: $CONFDIR/fips.nft exists, left as it is"
  else
    install -m 0644 "$pkg/fips.nft" "$DESTDIR$CONFDIR/fips.nft"
  fi
fi

install -d "$DESTDIR$DOCDIR"
for d in README.md docs/service.md docs/firewall.md; do
  if [ -f "$root/$d" ]; then install -m 0644 "$root/$d" "$DESTDIR$DOCDIR/$(basename "$d")"; fi
done

if [ -z "$DESTDIR" ] && [ "$(id -u)" -eq 0 ] && [ "${FIPS_NO_ACCOUNTS:-0}" != 1 ] && [ "$CONFDIR" = /etc/fips ]; then
  FIPS_SETUP_ONLY=1 FIPSCTL="$BINDIR/fipsctl" sh "$pkg/debian/postinst" configure
  echo "install: fips user and group ready; $CONFDIR is root:fips 0750"
fi
if [ -z "$DESTDIR" ]; then
  echo "install: done. Next: systemctl daemon-reload && systemctl enable --now fips"
  echo "         (optional firewall: systemctl enable --now fips-firewall)"
fi
