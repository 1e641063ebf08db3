#!/usr/bin/env bash
# make deb: a Debian package of the release build with dpkg-deb (no
# debhelper, no network): scripts/install.sh stages the files with the
# Debian paths, this adds DEBIAN/ (control with dpkg-shlibdeps' Depends,
# conffiles, md5sums, packaging/debian/{postinst,prerm,postrm}) and the
# docs Debian wants (copyright, changelog.gz, lintian overrides).
#
#   BUILD_DIR   build/release     OUT_DIR   build/deb
#   DEB_VERSION default <version.h>~git<YYYYMMDD>.<sha>[.dirty] (a native
#               version: every commit sorts as a newer package)
#   DEB_MAINTAINER  the Maintainer field
# Prints the path of the .deb on its last line.
# Not here: building the binaries (make release), installing (dpkg -i).
set -euo pipefail
umask 022
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build/release}
OUT_DIR=${OUT_DIR:-$root/build/deb}
MAINTAINER=${DEB_MAINTAINER:-fips-cpp maintainers <fips-cpp@example.org>}
cd "$root"

base=$(sed -n 's/^#define FIPS_VERSION_STRING "\(.*\)"/\1/p' src/version.h)
if [ -z "${DEB_VERSION:-}" ]; then
  sha=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  day=$(git log -1 --format=%cs 2>/dev/null | tr -d - || date -u +%Y%m%d)
  dirty=""
  [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && dirty=.dirty
  DEB_VERSION="$base~git$day.$sha$dirty"
fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
arch=$(dpkg --print-architecture)

stage=$(mktemp -d /tmp/fips-deb.XXXXXX)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
DESTDIR=$stage PREFIX=/usr SYSCONFDIR=/etc SYSTEMDUNITDIR=/lib/systemd/system \
  TMPFILESDIR=/usr/lib/tmpfiles.d DOCDIR=/usr/share/doc/fips STRIP=1 BUILD_DIR=$BUILD_DIR \
  bash scripts/install.sh >/dev/null

doc=$stage/usr/share/doc/fips
install -m 0644 packaging/debian/copyright "$doc/copyright"
{
  echo "fips ($DEB_VERSION) unstable; urgency=medium"
  echo
  echo "  * Built from fips-cpp $(git rev-parse HEAD 2>/dev/null || echo '(no git)')."
  echo
  echo " -- $MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
install -d "$stage/usr/share/lintian/overrides"
install -m 0644 packaging/debian/lintian-overrides "$stage/usr/share/lintian/overrides/fips"

# Depends from the binaries' shared libraries.
shl=$(mktemp -d /tmp/fips-shlibs.XXXXXX)
trap 'rm -rf "$stage" "$shl"' EXIT
mkdir -p "$shl/debian"
printf 'Source: fips\n\nPackage: fips\nArchitecture: any\n' >"$shl/debian/control"
shlibs=$(cd "$shl" && dpkg-shlibdeps -O -e"$stage/usr/bin/fips" -e"$stage/usr/bin/fipsctl" \
  -e"$stage/usr/bin/fipstop" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -m 0755 "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$DEB_VERSION|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$MAINTAINER|" \
  -e "s|@SIZE@|$size|" -e "s|@SHLIBS@|$shlibs|" packaging/debian/control.in >"$stage/DEBIAN/control"
(cd "$stage" && find etc -type f | sed 's|^|/|' | sort) >"$stage/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "packaging/debian/$s" "$stage/DEBIAN/$s"; done
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
  >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

mkdir -p "$OUT_DIR"
deb="$OUT_DIR/fips_${DEB_VERSION}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >/dev/null
echo "$deb"
