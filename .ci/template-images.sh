#!/usr/bin/env bash
# Images for the catalogue templates that CI deploys for real (templates/catalogue/{static-site,
# redis,postgresql}), under the exact names the templates use. CI cannot reach a registry, so when
# the real image is not there already, a STAND-IN is built from this machine's Debian binaries:
# the same program (BusyBox, Redis, PostgreSQL), but Debian's build and version, not the official
# image. The tests check what the templates rely on (the program, its health check command, the
# environment variables and paths they use), so a template that breaks that contract still fails.
# Never overwrites an image that exists (a real one pulled on a connected machine wins). Run as root
# by setup-machine.sh.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# Copies programs and every shared library they load (ldd) into a root folder.
copy_with_libs() {
  local root="$1"
  shift
  local file lib
  for file in "$@"; do
    mkdir -p "$root$(dirname "$file")"
    cp -L "$file" "$root$file"
    for lib in $(ldd "$file" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
      [ -e "$root$lib" ] && continue
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  done
}

# A root folder with BusyBox and all its applets in /bin.
busybox_root() {
  local root="$1"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

# busybox:1.36 (static-site): Debian's static BusyBox (1.35) with every applet.
if ! have_image busybox:1.36; then
  log "building stand-in busybox:1.36 from /bin/busybox"
  d=$(mktemp -d)
  busybox_root "$d"
  tar -C "$d" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - busybox:1.36 >/dev/null
  rm -rf "$d"
fi

# redis:7.4-alpine (redis): Debian bookworm's Redis 7.0 (packages downloaded, not installed).
if ! have_image redis:7.4-alpine; then
  log "building stand-in redis:7.4-alpine from Debian's redis packages"
  d=$(mktemp -d)
  (cd "$d" && apt-get download -qq redis-server redis-tools libjemalloc2 liblzf1 2>/dev/null)
  mkdir -p "$d/pkg" "$d/root"
  for deb in "$d"/*.deb; do dpkg-deb -x "$deb" "$d/pkg"; done
  busybox_root "$d/root"
  mkdir -p "$d/root/data" "$d/root/usr/local/bin"
  LD_LIBRARY_PATH="$d/pkg/usr/lib/x86_64-linux-gnu" copy_with_libs "$d/root" /usr/lib/x86_64-linux-gnu/libssl.so.3
  for lib in "$d"/pkg/usr/lib/x86_64-linux-gnu/*.so*; do cp -L "$lib" "$d/root/usr/lib/x86_64-linux-gnu/"; done
  for prog in redis-server redis-cli; do
    cp -L "$d/pkg/usr/bin/$prog" "$d/root/usr/local/bin/$prog"
    LD_LIBRARY_PATH="$d/pkg/usr/lib/x86_64-linux-gnu" ldd "$d/pkg/usr/bin/$prog" |
      awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | while read -r lib; do
        case "$lib" in "$d"*) continue ;; esac
        [ -e "$d/root$lib" ] || { mkdir -p "$d/root$(dirname "$lib")"; cp -L "$lib" "$d/root$lib"; }
      done
  done
  tar -C "$d/root" -c . | docker import -c 'ENV PATH=/usr/local/bin:/bin' -c 'WORKDIR /data' \
    -c 'CMD ["redis-server"]' - redis:7.4-alpine >/dev/null
  rm -rf "$d"
fi

# postgres:16-alpine (postgresql): this machine's PostgreSQL server (Debian's, version 15) with a
# small entrypoint that does what the official one does for POSTGRES_USER/PASSWORD/DB on an
# empty data folder, then runs postgres as uid 70 (the official Alpine image's postgres user).
if ! have_image postgres:16-alpine; then
  pgbin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin | sort -V | tail -n1)
  pgver=$(basename "$(dirname "$pgbin")")
  log "building stand-in postgres:16-alpine from PostgreSQL $pgver"
  d=$(mktemp -d)
  busybox_root "$d"
  printf 'postgres:x:70:70:postgres:/var/lib/postgresql:/bin/sh\n' >>"$d/etc/passwd"
  printf 'postgres:x:70:\n' >>"$d/etc/group"
  copy_with_libs "$d" "$pgbin"/postgres "$pgbin"/initdb "$pgbin"/pg_ctl "$pgbin"/pg_isready "$pgbin"/psql
  mkdir -p "$d/usr/lib/postgresql/$pgver/lib" "$d/usr/share/postgresql" "$d/usr/share/zoneinfo"
  cp -a "/usr/lib/postgresql/$pgver/lib/." "$d/usr/lib/postgresql/$pgver/lib/"
  copy_with_libs "$d" "/usr/lib/postgresql/$pgver/lib"/*.so
  cp -a "/usr/share/postgresql/$pgver" "$d/usr/share/postgresql/"
  cp -a /usr/share/zoneinfo/. "$d/usr/share/zoneinfo/"
  mkdir -p "$d/usr/local/bin" "$d/var/lib/postgresql/data" "$d/var/run/postgresql"
  chown -R 70:70 "$d/var/lib/postgresql" "$d/var/run/postgresql"
  cat >"$d/usr/local/bin/docker-entrypoint.sh" <<'ENTRY'
#!/bin/sh
# Stand-in for the official postgres entrypoint: initialise an empty PGDATA with
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, then run the server as postgres (uid 70).
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA
if [ "${1:-postgres}" = postgres ]; then
  mkdir -p "$PGDATA" && chown 70:70 "$PGDATA" && chmod 0700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "POSTGRES_PASSWORD is not set" >&2; exit 1; }
    printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pwfile && chown 70:70 /tmp/pwfile
    su -s /bin/sh postgres -c "initdb -U '$POSTGRES_USER' --pwfile=/tmp/pwfile -E UTF8 --no-locale --auth-local=trust --auth-host=scram-sha-256 -D '$PGDATA'" >/dev/null
    rm -f /tmp/pwfile
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    if [ "$POSTGRES_DB" != postgres ]; then
      echo "CREATE DATABASE \"$POSTGRES_DB\"" | su -s /bin/sh postgres -c "postgres --single -D '$PGDATA' postgres" >/dev/null
    fi
  fi
  exec su -s /bin/sh postgres -c "exec postgres -c listen_addresses='*' -D '$PGDATA'"
fi
exec "$@"
ENTRY
  chmod 0755 "$d/usr/local/bin/docker-entrypoint.sh"
  tar -C "$d" -c . | docker import -c "ENV PATH=/usr/local/bin:$pgbin:/bin PGDATA=/var/lib/postgresql/data" \
    -c 'ENTRYPOINT ["docker-entrypoint.sh"]' -c 'CMD ["postgres"]' \
    -c 'EXPOSE 5432' - postgres:16-alpine >/dev/null
  rm -rf "$d"
fi
