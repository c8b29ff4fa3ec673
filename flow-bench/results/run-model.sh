#!/bin/sh
# One model's section of docs/RESULTS.md: trains it with `flows4j train` for a wall-clock budget on
# Fashion-MNIST (the preset's own recipe, no extra flags), evaluates the test split, draws the
# pictures, then trains the PyTorch twin (flow-bench/peers/torch_train.py) with the same recipe for
# the same budget on the same machine. From the repository root, after `mvn -B -ntp -q install
# -DskipTests`, on an otherwise idle machine:
#
#   flow-bench/results/run-model.sh MODEL MINUTES [EVAL_EVERY_MINUTES]
#   e.g. flow-bench/results/run-model.sh nice:paper 5
#
# Writes runs under OUT (default target/results/<model>), the pictures under docs/img/, and prints
# the JSON of both runs. Environment: BACKEND (default: the command's default backend), TWIN=0 to
# skip the PyTorch run, TAG to suffix the run's and pictures' names (e.g. -30min), FLOWS4J_OPTS for extra train flags (a recipe experiment: the documented
# runs use none).
set -eu
MODEL=$1
MINUTES=$2
EVERY=${3:-}
NAME=$(echo "$MODEL" | tr ':' '-')${TAG:-}
OUT=${OUT:-target/results/$NAME}
IMG=docs/img
BACKEND_FLAG=""
[ -n "${BACKEND:-}" ] && BACKEND_FLAG="--backend $BACKEND"
EVERY_FLAG=""
[ -n "$EVERY" ] && EVERY_FLAG="--eval-every-minutes $EVERY"
mkdir -p "$OUT" "$IMG"
export OMP_WAIT_POLICY=PASSIVE

echo "== $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) processors, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== flows4j train $MODEL for $MINUTES min"
# shellcheck disable=SC2086
./flows4j train --model "$MODEL" --data fashion-mnist --minutes "$MINUTES" $EVERY_FLAG $BACKEND_FLAG \
    ${FLOWS4J_OPTS:-} --out "$OUT/flows4j" --force --json > "$OUT/train.json"
cat "$OUT/train.json"
CKPT="$OUT/flows4j/last.safetensors"
# shellcheck disable=SC2086
./flows4j eval -c "$CKPT" --split test --json $BACKEND_FLAG > "$OUT/test.json"
cat "$OUT/test.json"
cp "$OUT/flows4j/loss.png" "$IMG/$NAME-curve.png"
# shellcheck disable=SC2086
./flows4j sample -c "$CKPT" -t 0.7 -n 32 -o "$IMG/$NAME-samples-t0.7.png" $BACKEND_FLAG > /dev/null
# shellcheck disable=SC2086
./flows4j sample -c "$CKPT" -t 1.0 -n 32 -o "$IMG/$NAME-samples-t1.0.png" --json $BACKEND_FLAG > "$OUT/samples-t1.json"
# shellcheck disable=SC2086
./flows4j interpolate -c "$CKPT" --pairs 3 --steps 8 -o "$IMG/$NAME-interpolation.png" $BACKEND_FLAG > /dev/null
# shellcheck disable=SC2086
./flows4j inpaint -c "$CKPT" -m bottom -n 4 -o "$IMG/$NAME-inpainting.png" --json $BACKEND_FLAG > "$OUT/inpaint.json"

if [ "${TWIN:-1}" != 0 ]; then
    echo "== PyTorch twin $MODEL for $MINUTES min, the same recipe"
    RECIPE=$(/usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
factors = dict(j.get("lr_factors") or {})
scaling = factors.pop("*.logScale", None)
if factors:
    sys.exit("the twin has no equivalent of --lr-factor %s" % ", ".join(factors))
print("--batch %d --lr %r --lr-schedule %s --warmup %d --clip %r --ema %r --scaling-lr-factor %r" % (
    j["batch"], j["lr"], j["lr_schedule"], j["warmup"], j["clip"], j["ema"], scaling or 1.0))' "$OUT/train.json")
    echo "   recipe: $RECIPE"
    # shellcheck disable=SC2086
    /usr/bin/python3 flow-bench/peers/torch_train.py -m "$MODEL" --minutes "$MINUTES" $EVERY_FLAG $RECIPE \
        --json "$OUT/twin.json" | tail -3
fi
echo "== load at end $(cut -d' ' -f1-3 /proc/loadavg)"
