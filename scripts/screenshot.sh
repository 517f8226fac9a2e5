#!/usr/bin/env bash
# Screenshot a report page in headless Chromium (Debian's package) to look at it as a reader would.
#   scripts/screenshot.sh [PAGE.html] [OUT.png] [WIDTH,HEIGHT]
# Installs Chromium with apt-get when it is missing and we are root; otherwise says how to get it.
set -euo pipefail
page=${1:-reports/signoff.html}
out=${2:-${page%.html}.png}
size=${3:-1400,2000}
[ -f "$page" ] || { echo "screenshot: $page does not exist (make signoff or make report first)" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "screenshot: installing Chromium from Debian's packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
    browser=$(command -v chromium)
  else
    echo "screenshot: Chromium is not installed; on Debian/Ubuntu: sudo apt-get install chromium" >&2
    exit 3
  fi
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# No network, no first-run or sync chatter: the page must render from file:// alone.
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$(realpath -m "$out")" --window-size="$size" "file://$(realpath "$page")" >/dev/null 2>&1
echo "screenshot: $out"
