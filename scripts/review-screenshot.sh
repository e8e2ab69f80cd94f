#!/usr/bin/env bash
# Renders the HTML review report of a dry run on the fixtures in headless
# Chromium and saves a screenshot to docs/review.png (for a person to look
# at). Installs Debian's chromium when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
out=$(mktemp -d)
go run ./cmd/groupimport run --dry-run --companies fixtures/review/companies.csv --memberships fixtures/review/memberships.csv \
  --out "$out" --timestamp 2024-06-01T00:00:00Z -q || true
profile=$(mktemp -d)
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
  --window-size=1280,${REVIEW_HEIGHT:-4200} --screenshot="$PWD/docs/review.png" "file://$out/review.html" 2>/dev/null
rm -rf "$out" "$profile"
echo "docs/review.png"
