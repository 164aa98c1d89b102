#!/usr/bin/env bash
# Backprop against PyTorch on this machine, side by side: one training epoch of the built-in mlp, cnn and vgg on
# Fashion-MNIST (batch 128, SGD momentum 0.9, lr 0.05, images / 255, 2 threads each, and 1 thread each), alternating
# ours and PyTorch's run by run (A B A B ...) so that both see the same load, then each one's median and the ratio
# ours / PyTorch; and square SGEMM throughput of ours beside numpy's OpenBLAS.
#
#   bash bench/run.sh [ROUNDS=3] [ARCHS="mlp cnn vgg"]   (as root the first time: installs python3-torch and the data if missing)
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which this machine may set, are unset for the PyTorch and numpy commands
# only, so that OpenBLAS picks its kernel for the CPU (each prints which one it picked).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
archs=${2:-"mlp cnn vgg"}
threads=2

missing=()
/usr/bin/python3 -c "import torch, numpy" 2>/dev/null || missing+=(python3-torch python3-numpy libopenblas0-pthread)
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: missing ${missing[*]}; run as root to install them (apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "installing Debian's ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release bench/Backprop.Benchmarks --verbosity quiet -nologo >/dev/null
ours=(dotnet bench/Backprop.Benchmarks/bin/Release/net10.0/Backprop.Benchmarks.dll)
torch=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_epoch.py)

median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}'; }

echo "date $(date -u +%FT%TZ); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); .NET $(dotnet --version)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Per architecture and round, in this order: ours (2 threads), PyTorch (2 threads), PyTorch (2 threads,
# OMP_WAIT_POLICY=PASSIVE), ours (1 thread), PyTorch (1 thread). The passive variant is there because on a busy
# machine PyTorch's OpenMP threads spin at every barrier and its 2-thread time collapses; the 1-thread pair compares
# the kernels with threading out of the picture.
summary=()
for arch in $archs; do
  declare -a t0=() t1=() t2=() t3=() t4=()
  for ((r = 1; r <= rounds; r++)); do
    run() { # column, label, command...
      local col=$1 label=$2; shift 2
      local line
      line=$("$@" | grep -E '^(backprop|torch) ')
      printf '  round %d  %-21s %s   (load %s)\n' "$r" "$label" "$line" "$(cut -d' ' -f1 /proc/loadavg)"
      eval "t$col+=($(field epoch_seconds <<<"$line"))"
    }
    run 0 "[ours 2t]" "${ours[@]}" epoch "$arch" --threads "$threads"
    run 1 "[PyTorch 2t]" "${torch[@]}" "$arch" --threads "$threads"
    run 2 "[PyTorch 2t passive]" env OMP_WAIT_POLICY=PASSIVE "${torch[@]}" "$arch" --threads "$threads"
    run 3 "[ours 1t]" "${ours[@]}" epoch "$arch" --threads 1
    run 4 "[PyTorch 1t]" "${torch[@]}" "$arch" --threads 1
  done
  m0=$(median "${t0[@]}"); m1=$(median "${t1[@]}"); m2=$(median "${t2[@]}"); m3=$(median "${t3[@]}"); m4=$(median "${t4[@]}")
  summary+=("$(awk -v n="$arch" -v a="$m0" -v b="$m1" -v c="$m2" -v d="$m3" -v e="$m4" 'BEGIN {
    printf "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f | %.2f |", n, a, b, c, d, e, a / b, a / c, d / e}')")
  unset t0 t1 t2 t3 t4
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "median seconds per epoch over $rounds alternating rounds:"
echo "| arch | ours 2t | PyTorch 2t | PyTorch 2t passive | ours 1t | PyTorch 1t | ours/PyTorch 2t | ours/PyTorch 2t passive | ours/PyTorch 1t |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
echo
echo "SGEMM, $threads threads (GFLOP/s, fastest ~10 ms sample):"
"${ours[@]}" sgemm "$threads" | grep -E '^SGEMM|threads' | sed 's/^/  ours     /'
OPENBLAS_NUM_THREADS=$threads env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/Backprop.Benchmarks/openblas_gemm.py --sgemm | sed 's/^/  OpenBLAS /'
