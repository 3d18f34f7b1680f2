#!/usr/bin/env bash
# Set up twinkit on a fresh Debian machine: system libraries, a virtual environment in .venv, and the
# package with its test extras, installed under constraints.txt (torch stays on the local CPU build).
# Idempotent: a second run only checks that everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libglib2.0-0  # offscreen OpenGL (pyrender via EGL, Mesa)
  libusb-1.0-0                                             # open3d imports it
  chromium                                                 # tests open twin fit's report.html headless
)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
log=$(mktemp)
if ! .venv/bin/python -m pip install -q -c constraints.txt -e ".[test]" >"$log" 2>&1; then
  grep -v "^WARNING: Location" "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
# The Khronos glTF validator (tests check every GLB with it); node and npm come with the machine image.
if command -v npm >/dev/null 2>&1 && [ ! -d node_modules/gltf-validator ]; then
  npm install --no-save --no-package-lock --silent gltf-validator@2.0.0-dev.3.10 >/dev/null ||
    echo "warning: could not install gltf-validator; the glTF validation tests will skip" >&2
fi
.venv/bin/python -c "import twinkit, torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
echo "twinkit is set up: activate with 'source .venv/bin/activate' or call .venv/bin/twin"
