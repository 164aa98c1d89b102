#!/usr/bin/env bash
# Packs the library (Backprop) and the command-line tool (Backprop.Cli) into a temporary folder, then uses them as a
# user would: installs the tool from that folder into a temporary tool path and runs 'backprop --version' and
# 'backprop trace --example seed003', starts 'backprop explore --no-open' and fetches its page, and builds and runs a small console project that references the library package.
# Nothing outside the temporary folder is touched: build output and restore files go there (--artifacts-path), so the
# check can run beside the tests, and the package cache is a fresh one there, so that a Backprop 0.1.0 cached by an
# earlier check can never stand in for the packages just made. About 40 s; needs NuGet (for the library's dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d "${TMPDIR:-/tmp}/backprop-pack-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
packages="$work/packages"
step() { echo "pack-check: $*"; }

step "packing into $packages"
for project in src/Backprop/Backprop.csproj src/Backprop.Cli/Backprop.Cli.csproj; do
  dotnet pack "$project" -c Release -o "$packages" --artifacts-path "$work/build" -v quiet -nologo
done
library=$(ls "$packages"/Backprop.[0-9]*.nupkg)
tool=$(ls "$packages"/Backprop.Cli.[0-9]*.nupkg)
version=${tool##*/Backprop.Cli.}
version=${version%.nupkg}
step "made $(basename "$library") and $(basename "$tool") (version $version)"

# Each package carries the README, the licence file and the licence expression.
if command -v unzip >/dev/null; then
  for package in "$library" "$tool"; do
    contents=$(unzip -l "$package")
    for file in README.md LICENSE; do
      grep -q " $file\$" <<<"$contents" || { echo "pack-check: $(basename "$package") has no $file" >&2; exit 1; }
    done
    nuspec=$(unzip -p "$package" '*.nuspec')
    grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || { echo "pack-check: $(basename "$package") declares no MIT licence" >&2; exit 1; }
    grep -q "<version>$version</version>" <<<"$nuspec" || { echo "pack-check: $(basename "$package") is not version $version" >&2; exit 1; }
  done
  # The engine package carries no chart library and no protobuf (docs/architecture.md).
  if grep -qiE 'id="(ScottPlot|SkiaSharp|Google.Protobuf)' <<<"$(unzip -p "$library" '*.nuspec')"; then
    echo "pack-check: $(basename "$library") depends on a chart library or protobuf" >&2; exit 1
  fi
  grep -q '<packageType name="DotnetTool" />' <<<"$(unzip -p "$tool" '*.nuspec')" || { echo "pack-check: Backprop.Cli is not a dotnet tool package" >&2; exit 1; }
else
  step "unzip is missing: the packages' contents are not checked"
fi

export NUGET_PACKAGES="$work/nuget-cache"

step "installing the tool into $work/tools"
dotnet tool install Backprop.Cli --version "$version" --tool-path "$work/tools" --add-source "$packages" >/dev/null
backprop="$work/tools/backprop"
shown=$("$backprop" --version)
step "backprop --version: $shown"
[[ "$shown" == "$version"* ]] || { echo "pack-check: backprop --version says '$shown', expected $version" >&2; exit 1; }
"$backprop" trace --example seed003 >"$work/trace.txt"
# The worked solution's loss before and after the update (README: 0.3927, then 0.2146).
grep -q "loss = 0.2146 (before the update: 0.3927)" "$work/trace.txt" || { cat "$work/trace.txt"; echo "pack-check: the trace is not seed 003's worked solution" >&2; exit 1; }
step "backprop trace --example seed003: $(grep -c . "$work/trace.txt") lines, loss 0.3927 then 0.2146"

# The explorer's page travels inside the tool (embedded in Backprop.Explore.dll): start it, fetch the page, KaTeX and
# the API, and check that the API's solution is trace's JSON.
step "backprop explore --example seed003 --no-open"
"$backprop" explore --example seed003 --no-open >"$work/explore.txt" 2>&1 &
explore_pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$work/explore.txt" || true)
  [[ -n "$url" ]] && break
  sleep 0.2
done
[[ -n "$url" ]] || { kill "$explore_pid" 2>/dev/null; cat "$work/explore.txt"; echo "pack-check: explore printed no URL" >&2; exit 1; }
fetch() { curl -fsS --max-time 20 "$url$1"; }
page=$(fetch "") && grep -q "backprop explore" <<<"$page" || { kill "$explore_pid"; echo "pack-check: the explorer's page is missing" >&2; exit 1; }
fetch "assets/katex/katex.min.js" >/dev/null && fetch "assets/katex/fonts/KaTeX_Main-Regular.woff2" >/dev/null \
  || { kill "$explore_pid"; echo "pack-check: KaTeX is missing from the tool" >&2; exit 1; }
fetch "api/solution" >"$work/explore-solution.json"
kill "$explore_pid"; wait "$explore_pid" 2>/dev/null || true
"$backprop" trace --example seed003 --format json >"$work/trace.json"
cmp -s "$work/trace.json" "$work/explore-solution.json" || { echo "pack-check: GET /api/solution is not 'trace --format json'" >&2; exit 1; }
step "explore served the page, KaTeX and the solution (= trace --format json) at $url"

step "using the library from another project"
consumer="$work/consumer"
mkdir -p "$consumer"
cat >"$consumer/consumer.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Backprop" Version="$version" />
  </ItemGroup>
</Project>
EOF
cat >"$consumer/Program.cs" <<'EOF'
using Backprop.Diagnostics;
using Backprop.Examples;

var p = Problem.FromExample<double>("seed003");
var report = GradientReport.Compute(p.Model, p.Loss, p.Batch);
Console.WriteLine($"loss {report.Loss:F4}, {report.Grads.Count} gradients");
EOF
# The local folder beside the usual sources (those of the user's NuGet configuration).
cat >"$consumer/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="backprop-local" value="$packages" />
  </packageSources>
</configuration>
EOF
result=$(cd "$consumer" && dotnet run -v quiet)
step "the consumer printed: $result"
[[ "$result" == "loss 0.3927, 4 gradients" ]] || { echo "pack-check: expected 'loss 0.3927, 4 gradients'" >&2; exit 1; }
step "ok"
