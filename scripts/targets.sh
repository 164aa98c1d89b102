#!/usr/bin/env bash
# Reproduces the README's Fashion-MNIST targets: the mlp with the defaults (≥ 0.89), the cnn with the command in
# bold in the README's Training table (≥ 0.92) and the vgg with the defaults (≥ 0.93), 15 epochs each. About 11 minutes
# on the project's 2-core machine (the vgg takes 9 of them).
# Exits 1 if either run falls short. Not part of the test suite: the figures are for this machine, and the cnn is at the
# edge of its target (0.9208 to 0.9222 over three seeds), so other hardware's rounding may move it either side.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/targets}
dotnet build -c Release src/Backprop.Cli -v q -nologo > /dev/null
cli=(dotnet src/Backprop.Cli/bin/Release/net10.0/Backprop.Cli.dll)
status=0
check() { # name target args...
  local name=$1 target=$2; shift 2
  local accuracy
  accuracy=$("${cli[@]}" train "$@" --out "$out/$name" | tee /dev/stderr | sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p')
  if awk -v a="$accuracy" -v t="$target" 'BEGIN { exit !(a >= t) }'; then echo "$name: $accuracy ≥ $target"
  else echo "$name: $accuracy < $target"; status=1; fi
}
check mlp 0.89 --arch mlp
check cnn 0.92 --arch cnn --optimizer adamw --lr 0.004 --weight-decay 0.05 --shift 1 --validation 0
check vgg 0.93 --arch vgg
exit $status
