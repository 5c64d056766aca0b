#!/usr/bin/env bash
# Installs the Debian packages the test suite needs beyond npm (`npm run
# test:setup`, run by .ci/run). Installs only what is missing, so running it
# again does nothing. test/helpers/prereq.ts names the same packages when a
# test skips for want of one.
#
# strace proves in a test that the master never opens data files; chromium runs
# the web UI's browser tests (driven by playwright-core, which cannot download
# a browser of its own here); openssl makes the TLS test's certificates;
# docker-compose validates deploy/docker-compose.yml (without Docker's engine,
# which it only recommends); iproute2 makes the network-namespace test hosts,
# and iptables drops packets for them where the kernel has no netem; radosgw,
# ceph-mon and ceph-osd make the S3 test server (test/helpers/s3-server.ts: a
# one-node Ceph cluster without ceph-mgr, whose recommended packages would add
# hundreds of MB); bzip2 is the independent implementation the bzip2 codec's
# tests read and write against.
set -euo pipefail

# program Debian-package
packages=(
  "strace strace"
  "openssl openssl"
  "ip iproute2"
  "iptables iptables"
  "chromium chromium"
  "bzip2 bzip2"
)
# Installed without their recommended packages.
lean_packages=(
  "docker-compose docker-compose"
  "radosgw radosgw"
  "ceph-mon ceph-mon"
  "ceph-osd ceph-osd"
)

missing_of() {
  local entry
  for entry in "$@"; do
    set -- $entry
    command -v "$1" >/dev/null 2>&1 || echo "$2"
  done
}
mapfile -t missing < <(missing_of "${packages[@]}")
mapfile -t lean < <(missing_of "${lean_packages[@]}")

if [ $((${#missing[@]} + ${#lean[@]})) -eq 0 ]; then
  echo "test prerequisites: all installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test prerequisites missing: ${missing[*]} ${lean[*]}; installing them needs root: sudo npm run test:setup" >&2
  exit 1
fi
echo "test prerequisites: installing ${missing[*]} ${lean[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
[ ${#missing[@]} -eq 0 ] || apt-get install -y -qq "${missing[@]}" >/dev/null
[ ${#lean[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
