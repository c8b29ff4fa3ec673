#!/usr/bin/env bash
# Issue 14, part 6: a short maf:images run on Fashion-MNIST (Debian's dataset-fashion-mnist, in
# /usr/share/datasets/fashion-mnist), then its test NLL in nats and bits/dim. A short run, not
# the paper's: STEPS (default 1000) steps of batch 64, Adam at LR (default 1e-3, warmed up).
# Results are in docs/MAF.md.
#
#   flow-bench/compare/maf-images.sh       # after: mvn -B -ntp -q install -DskipTests
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${STEPS:-1000}
LR=${LR:-1e-3}
THREADS=${THREADS:-2}
OUT=${OUT:-flow-bench/target/maf-images}
COMMON=(--backend cpu --threads "$THREADS")
./flows4j train --model maf:images --data fashion-mnist --steps "$STEPS" --batch 64 --lr "$LR" --seed 1 \
    --out "$OUT" --force "${COMMON[@]}" ${LIMIT:+--limit "$LIMIT"}
./flows4j eval --checkpoint "$OUT/last.safetensors" "${COMMON[@]}" ${LIMIT:+--limit "$LIMIT"}
