#!/usr/bin/env bash
# Install the Debian packages the project needs beyond Python: Tesseract for OCR of scanned PDFs, and
# promtool (package prometheus) to check and unit-test the alert rules in deploy/prometheus, Redis
# (package redis-server; infra.sh starts it) for the LLM cache's Redis backend and its tests, Chromium,
# which the browser tests drive through Playwright, and npm, which installs axe-core for them.
# Idempotent: does nothing when everything is present.
set -euo pipefail

missing=()
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
command -v promtool >/dev/null || missing+=(prometheus)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
command -v npm >/dev/null || missing+=(npm)
((${#missing[@]} == 0)) && exit 0

if ! command -v apt-get >/dev/null; then
  echo "system-packages: install ${missing[*]} with your package manager" >&2
  exit 1
fi
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
echo "system-packages: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
