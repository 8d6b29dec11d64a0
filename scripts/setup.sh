#!/usr/bin/env bash
# Installs what tsniff needs and is missing, then builds it. Idempotent: a second run does nothing slow.
#   Debian packages: libpcap-dev (to build the addon), tcpdump and tshark (differential tests, benchmarks),
#   iproute2/ethtool (namespaced capture tests), util-linux (setpriv), procps; clang/libbpf/bpftool, openssh,
#   nghttp2, curl and sudo (see below).
#   npm: `npm ci` (also builds the native addon with node-gyp), then `npm run build` (TypeScript -> dist/).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -f /usr/include/pcap/pcap.h ] || need+=(libpcap-dev)
command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v capinfos >/dev/null 2>&1 || need+=(wireshark-common)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ethtool >/dev/null 2>&1 || need+=(ethtool)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v make >/dev/null 2>&1 || need+=(make)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# Process attribution (eBPF program built with clang against libbpf), remote capture tests (a real sshd and
# ssh client), HTTP/2 tests (nghttp2's client and server).
command -v clang >/dev/null 2>&1 || need+=(clang llvm)
[ -f /usr/include/bpf/libbpf.h ] || need+=(libbpf-dev)
command -v bpftool >/dev/null 2>&1 || need+=(bpftool)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v nghttp >/dev/null 2>&1 || need+=(nghttp2-client)
command -v nghttpd >/dev/null 2>&1 || need+=(nghttp2-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
# sudo: the remote-capture test of --sudo runs a capture as a non-root user through a sudoers drop-in.
command -v sudo >/dev/null 2>&1 || need+=(sudo)
# Real DNS peers for the process-attribution, crafting and stream tests (dnsmasq answers, dig asks).
[ -x /usr/sbin/dnsmasq ] || need+=(dnsmasq-base)
command -v dig >/dev/null 2>&1 || need+=(bind9-dnsutils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file; it runs node-gyp for the addon.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
[ -f build/Release/tsniff_pcap.node ] || npm run build:native
npm run build --silent
# eBPF process attribution (docs/PROCESS.md), where clang, bpftool, libbpf-dev and kernel BTF are there
node scripts/build-bpf.mjs
