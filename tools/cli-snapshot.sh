#!/usr/bin/env bash
# Runs the zkml CLI over the shipped models (compile, setup, prove, verify, calldata, audit, commit,
# hashed and private-weights builds, a few refusals) and writes each command's output, with timings,
# temp paths and proof points masked, into OUT. Two checkouts' snapshots diff to nothing when a change
# kept the CLI's behaviour:  tools/cli-snapshot.sh /tmp/before  (old checkout) ; … /tmp/after ; diff -r
set -u
OUT=${1:?usage: tools/cli-snapshot.sh OUT_DIR}
cd "$(dirname "$0")/.."
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
B=$(mktemp -d "${TMPDIR:-/tmp}/zkml-snapshot.XXXX")
export ZKML_QUIET=1
mask() { sed -E 's/[0-9]+(\.[0-9]+)? ?(ms|s)\b/<T>/g; s#'"$B"'#<BUILD>#g; s/"0x[0-9a-f]{64}"/"<hex>"/g'; }
run() {
  local name=$1; shift
  node bin/zkml.js "$@" >"$B/.out" 2>"$B/.err"; local rc=$?
  { mask <"$B/.out"; echo "exit $rc"; } >"$OUT/$name.out"; mask <"$B/.err" >"$OUT/$name.err"
}
for m in tiny tiny-matmul mnist-mlp; do
  run "compile-$m" compile "models/$m/model.onnx" --out "$B/$m" --calibration "models/$m/calibration.json"
  run "setup-$m" setup "$B/$m"
  run "prove-$m" prove "$B/$m" --input "models/$m/input.json" --out "$B/$m/receipt.json"
  run "verify-$m" verify "$B/$m/receipt.json" --dir "$B/$m"
  run "calldata-$m" calldata "$B/$m/receipt.json"
  run "audit-$m" audit "$B/$m" --input "models/$m/input.json"
  mask <"$B/$m/report.txt" >"$OUT/report-$m.txt"
done
run compile-hashed compile models/tiny/model.onnx --out "$B/hashed" --input-visibility hashed --output-visibility hashed --input-range -1,1
run setup-hashed setup "$B/hashed"
run prove-hashed prove "$B/hashed" --input models/tiny/input.json --out "$B/hashed/receipt.json" --input-salt 7 --output-salt 9
run commit-hashed commit models/tiny/input.json --dir "$B/hashed" --input-salt 7
run verify-hashed verify "$B/hashed/receipt.json" --dir "$B/hashed"
run compile-private compile models/tiny/model.onnx --out "$B/private" --weight-visibility private --weights-salt 5 --input-range -1,1
run commit-private commit --dir "$B/private"
run abi abi
run refuse-missing-receipt verify "$B/none.json" --dir "$B/tiny"
run refuse-usage compile
rm -rf "$B"
echo "wrote $OUT"
