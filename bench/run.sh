#!/usr/bin/env bash
# Backprop against PyTorch on this machine, side by side: one training epoch of the built-in mlp and cnn on
# Fashion-MNIST (batch 128, SGD momentum 0.9, lr 0.05, images / 255, 2 threads each), alternating ours and PyTorch's
# run by run (A B A B ...) so that both see the same load, then each one's median and the ratio ours / PyTorch; and
# square SGEMM throughput of ours beside numpy's OpenBLAS.
#
#   bash bench/run.sh [ROUNDS=3] [ARCHS="mlp cnn"]        (as root the first time: installs python3-torch if missing)
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which this machine may set, are unset for the PyTorch and numpy commands
# only, so that OpenBLAS picks its kernel for the CPU (each prints which one it picked).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
archs=${2:-"mlp cnn"}
threads=2

if ! /usr/bin/python3 -c "import torch, numpy" 2>/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: PyTorch is missing; run as root to install it (apt-get install -y python3-torch python3-numpy libopenblas0-pthread)" >&2
    exit 1
  fi
  echo "installing Debian's python3-torch"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy libopenblas0-pthread >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release bench/Backprop.Benchmarks --verbosity quiet -nologo >/dev/null
ours=(dotnet bench/Backprop.Benchmarks/bin/Release/net10.0/Backprop.Benchmarks.dll)
torch=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_epoch.py)

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}'; }

echo "date $(date -u +%FT%TZ); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); .NET $(dotnet --version)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
summary=()
for arch in $archs; do
  a=(); b=()
  for ((r = 1; r <= rounds; r++)); do
    line=$("${ours[@]}" epoch "$arch" --threads "$threads" | grep '^backprop')
    echo "  round $r  $line"
    a+=("$(field epoch_seconds <<<"$line")")
    line=$("${torch[@]}" "$arch" --threads "$threads" | grep '^torch')
    echo "  round $r  $line   (load $(cut -d' ' -f1 /proc/loadavg))"
    b+=("$(field epoch_seconds <<<"$line")")
  done
  ma=$(median "${a[@]}"); mb=$(median "${b[@]}")
  summary+=("$(awk -v n="$arch" -v a="$ma" -v b="$mb" 'BEGIN {printf "%-4s  ours %8.3f s   PyTorch %8.3f s   ours/PyTorch %.2f", n, a, b, a / b}')")
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "median seconds per epoch over $rounds alternating rounds, $threads threads each:"
printf '  %s\n' "${summary[@]}"
echo
echo "SGEMM, $threads threads (GFLOP/s, fastest ~10 ms sample):"
"${ours[@]}" sgemm "$threads" | grep -E '^SGEMM|threads' | sed 's/^/  ours     /'
OPENBLAS_NUM_THREADS=$threads env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/Backprop.Benchmarks/openblas_gemm.py --sgemm | sed 's/^/  OpenBLAS /'
