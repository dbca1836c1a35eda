#!/usr/bin/env bash
# The main job on embedded defaults: the shipped MNIST MLP compiled, set up with a locally generated
# dev ptau (cached), proved on a sample digit, and verified off-chain and on a local anvil chain.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/mnist-mlp}
MODEL=models/mnist-mlp
npx zkml compile "$MODEL/model.onnx" --out "$BUILD" --calibration "$MODEL/calibration.json"
npx zkml setup "$BUILD"
npx zkml prove "$BUILD" --input "$MODEL/input.json" --out "$BUILD/receipt.json"
npx zkml verify "$BUILD/receipt.json" --dir "$BUILD"
npx zkml verify "$BUILD/receipt.json" --dir "$BUILD" --onchain
