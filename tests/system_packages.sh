#!/usr/bin/env bash
# The programs the suite drives besides Python: Debian's chromium (browser tests), LibreOffice
# (the Excel report rendered to PDF), poppler's pdftoppm (PDF pages to PNG), nginx and openssl
# (the production front in tests/faults/test_slow_clients.py). Installs what is missing with
# apt-get when run as root; otherwise says what to run and fails.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# nginx lives in /usr/sbin, which a user's PATH may leave out.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test: the suite needs ${need[*]}; install them first:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "test: installing ${need[*]} from Debian's packages (once)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
