#!/usr/bin/env bash
# Installs and starts every real component the test suite needs, on a fresh Debian 12 machine
# or on one where they are already present (idempotent). Run as root.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have pg_ctlcluster || need_pkgs+=(postgresql)
have dockerd || need_pkgs+=(docker.io)
have docker-compose || need_pkgs+=(docker-compose)
have chromium || need_pkgs+=(chromium)
have shellcheck || need_pkgs+=(shellcheck)
have debootstrap || need_pkgs+=(debootstrap)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || need_pkgs+=(busybox-static)
have systemd-analyze || need_pkgs+=(systemd)
have curl || need_pkgs+=(curl)
have openssl || need_pkgs+=(openssl)
have pg_dump || need_pkgs+=(postgresql-client)
# A private registry with htpasswd auth on loopback, for the registry-login tests.
[ -x /usr/bin/docker-registry ] || need_pkgs+=(docker-registry)
have htpasswd || need_pkgs+=(apache2-utils)
# The ingress (Caddy) and a real ACME server (Pebble + its DNS) for the domain tests. Debian's
# caddy package enables caddy.service on :80; the tests run their own Caddy on random ports.
have caddy || need_pkgs+=(caddy)
have pebble || need_pkgs+=(pebble)
# dpkg-scanpackages indexes the local apt repository the agent installs Caddy from in its test.
have dpkg-scanpackages || need_pkgs+=(dpkg-dev)
# Git sources: the control plane fetches with git; the tests serve repositories with git http-backend.
[ -x /usr/lib/git-core/git-http-backend ] || need_pkgs+=(git)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# The caddy .deb and its dependencies, kept for the test where the agent installs Caddy on a
# systemd host from a local `file:` apt repository (apps/agent/test/caddy-apt-repo.ts): no mirror then.
debs=/var/cache/capstan/debs
if ! ls "$debs"/caddy_*.deb >/dev/null 2>&1; then
  log "downloading caddy and its dependencies to $debs"
  mkdir -p "$debs"
  mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances caddy | grep '^[a-z0-9]' | sort -u)
  (cd "$debs" && apt-get download -qq "${closure[@]}" 2>/dev/null)
  chmod -R a+rX /var/cache/capstan
fi

# PostgreSQL: the machine's cluster, a role and a database for the tests.
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
  log "starting PostgreSQL"
  cluster=$(pg_lsclusters -h | head -n1)
  pg_ctlcluster "$(echo "$cluster" | awk '{print $1}')" "$(echo "$cluster" | awk '{print $2}')" start
fi
su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='capstan'\"" | grep -q 1 ||
  su postgres -c "psql -q -c \"CREATE ROLE capstan LOGIN SUPERUSER PASSWORD 'capstan'\""
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='capstan'\"" | grep -q 1 ||
  su postgres -c "psql -q -c 'CREATE DATABASE capstan OWNER capstan'"
# A throwaway test cluster: durability buys nothing here, and every test file's DROP DATABASE
# forces a checkpoint (fsyncs, with fsync on): the likely queue behind one CREATE DATABASE that
# waited over a minute on a loaded machine. All three settings apply on reload, no restart.
su postgres -c "psql -q -c 'ALTER SYSTEM SET fsync = off' -c 'ALTER SYSTEM SET synchronous_commit = off' \
  -c 'ALTER SYSTEM SET full_page_writes = off' -c 'SELECT pg_reload_conf()'" >/dev/null

# Docker Engine.
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p /var/log
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/dockerd.log"; tail -20 /var/log/dockerd.log; exit 1; }
fi

# A 2 MB busybox image (no registry is reachable, so images are made locally).
if ! docker image inspect capstan-busybox:test >/dev/null 2>&1; then
  log "building capstan-busybox:test"
  d=$(mktemp -d)
  mkdir -p "$d/bin" "$d/www" "$d/tmp"
  cp /bin/busybox "$d/bin/busybox"
  for a in sh httpd wget sleep cat echo ls nc env true false test printf mkdir rm kill; do ln -s busybox "$d/bin/$a"; done
  echo ok >"$d/www/index.html"
  tar -C "$d" -c . | docker import -c 'ENV PATH=/bin' - capstan-busybox:test >/dev/null
  rm -rf "$d"
fi

# The dashboard's starter workflow (and e2e/tests/first-deploy.spec.ts) runs nginx:alpine. With no
# registry, a stand-in under that exact name: busybox httpd serving a welcome page on port 80 from
# nginx's web root. Present locally, Compose starts it without pulling.
if ! docker image inspect nginx:alpine >/dev/null 2>&1; then
  log "tagging a local stand-in for nginx:alpine (from capstan-busybox:test)"
  cid=$(docker create capstan-busybox:test sh -c \
    'mkdir -p /usr/share/nginx/html && echo "<!doctype html><title>Welcome to nginx!</title><h1>Welcome to nginx!</h1>" >/usr/share/nginx/html/index.html')
  docker start -a "$cid" >/dev/null
  docker commit --change 'CMD ["httpd", "-f", "-p", "80", "-h", "/usr/share/nginx/html"]' --change 'EXPOSE 80/tcp' \
    "$cid" nginx:alpine >/dev/null
  docker rm "$cid" >/dev/null
fi

# A real systemd host image (systemd as PID 1), built once per machine with debootstrap.
if ! docker image inspect capstan-systemd-host:bookworm >/dev/null 2>&1; then
  log "building capstan-systemd-host:bookworm with debootstrap (about a minute)"
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  d=$(mktemp -d)
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,curl,ca-certificates,procps \
    bookworm "$d" "$mirror" >/tmp/debootstrap.log 2>&1 || { tail -30 /tmp/debootstrap.log; exit 1; }
  rm -rf "$d"/var/cache/apt/archives/*.deb
  # Mask units that make no sense in a container and slow boot.
  for u in systemd-udevd.service systemd-udev-trigger.service getty@tty1.service console-getty.service; do
    ln -sf /dev/null "$d/etc/systemd/system/$u"
  done
  tar -C "$d" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' - capstan-systemd-host:bookworm >/dev/null
  rm -rf "$d"
fi
# The systemd host plus Debian's Nix (nix-bin 2.8) and git, for the Nix runtime's tests. Built
# from the host image in a throwaway container (apt needs the network; the tests then run
# offline): no sandbox, no build users, no binary cache, flakes on.
if ! docker image inspect capstan-systemd-nix-host:bookworm >/dev/null 2>&1; then
  log "building capstan-systemd-nix-host:bookworm (apt-get install nix-bin git)"
  c="capstan-nix-build-$$"
  docker run -d --name "$c" --network host capstan-systemd-host:bookworm sleep infinity >/dev/null
  trap 'docker rm -f "$c" >/dev/null 2>&1 || true' EXIT
  docker exec -e DEBIAN_FRONTEND=noninteractive "$c" sh -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends nix-bin git >/dev/null &&
     rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb'
  docker exec "$c" sh -c 'mkdir -p /etc/nix && printf "%s\n" "sandbox = false" "build-users-group =" \
    "substituters =" "experimental-features = nix-command flakes" >/etc/nix/nix.conf'
  docker commit -c 'CMD ["/lib/systemd/systemd"]' "$c" capstan-systemd-nix-host:bookworm >/dev/null
  docker rm -f "$c" >/dev/null
  trap - EXIT
fi
# Images the catalogue templates deployed by the tests run, under their exact names (stand-ins
# built from this machine's binaries where no registry is reachable; see the script).
bash "$(dirname "$0")/template-images.sh"
log "ready: postgres, docker $(docker version --format '{{.Server.Version}}'), $(docker-compose version --short 2>/dev/null), $(chromium --version 2>/dev/null)"
