#!/usr/bin/env bash
# Installs what Backprop's tests and tools need on a fresh Debian machine, then restores the .NET packages.
# Fashion-MNIST (Debian's dataset-fashion-mnist) is the default training data. PyTorch is used only by the cross-check tests (never by the library or the CLI). Graphviz's dot renders
# 'backprop graph' pictures (without it the command writes the .dot file instead); the fonts are for chart text.
# python3-onnx (the ONNX project's checker) is used only by the test that checks exported ONNX files.
# chromium is the browser the explorer's end-to-end tests drive through Playwright (its ExecutablePath; the tests never
# download a browser with 'playwright install').
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(dataset-fashion-mnist python3-torch python3-numpy python3-onnx libopenblas0-pthread graphviz fonts-dejavu-core chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install ${missing[*]} (run: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore Backprop.sln --verbosity quiet
