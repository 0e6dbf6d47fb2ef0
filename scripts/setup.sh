#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages clipscope needs (only those missing), builds it, then either
# runs the main job on the embedded defaults or, with --test, runs the whole test suite: once under
# AddressSanitizer + UndefinedBehaviorSanitizer, then on the release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mode="run"
if [[ "${1:-}" == "--test" ]]; then
  mode="test"
elif [[ $# -gt 0 ]]; then
  echo "usage: scripts/setup.sh [--test]" >&2
  exit 2
fi

packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-openmp libopenblas-openmp-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libpng-dev libjpeg-dev zlib1g-dev libzip-dev libutf8proc-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  chromium python3-pil
)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc)
# Unity builds compile a few large translation units per library instead of one per file. LibTorch's
# and nlohmann-json's templates are then instantiated once per batch, and a clean release build on
# two cores takes about 4 minutes instead of 11.
unity=(-DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${unity[@]}" >/dev/null
cmake --build build -j "$jobs"

if [[ "$mode" == "run" ]]; then
  # The main job: a cached SimCO set, the built-in model, TOR/IOR/I2TOR/matching and the report.
  exec build/clipscope run --out clipscope-out
fi

cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCLIPSCOPE_SANITIZE=ON -DCLIPSCOPE_BUILD_BENCH=OFF "${unity[@]}" >/dev/null
cmake --build build-sanitize -j "$jobs"

export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
sanitize_status=0
ctest --test-dir build-sanitize -j "$jobs" --output-on-failure --timeout 1200 || sanitize_status=$?
unset ASAN_OPTIONS UBSAN_OPTIONS
release_status=0
ctest --test-dir build -j "$jobs" --output-on-failure --timeout 900 || release_status=$?
if [[ $sanitize_status -ne 0 ]]; then
  echo "The sanitizer run (build-sanitize) failed; see its output above." >&2
  exit "$sanitize_status"
fi
exit "$release_status"
