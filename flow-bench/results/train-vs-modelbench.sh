#!/bin/sh
# The training command's step rate against ModelBench's for nice:paper at batch 256 (issue 15: the
# command must run at 90% of ModelBench or more): ModelBench, `flows4j train --minutes M`, and
# ModelBench again, one after the other in one window. With OLD set to another build's flow-dist
# layout (a copy of flow-dist/target/flows4j), that build's train runs too, after this one's, for an
# A/B of a change. From the repository root, after `mvn -B -ntp -q install -DskipTests`, on an
# otherwise idle machine:
#
#   flow-bench/results/train-vs-modelbench.sh [BACKEND] [MINUTES]      # default: djl 3
#   OLD=/tmp/dist-old flow-bench/results/train-vs-modelbench.sh djl 3
set -eu
B=${1:-djl}
M=${2:-3}
export OMP_WAIT_POLICY=PASSIVE
CP="flow-bench/target/classes:flow-dist/target/flows4j/lib/*:flow-dist/target/flows4j/classpath/*"
echo "== $(date -u) $(lscpu | sed -n 's/^Model name: *//p'), family $(lscpu | sed -n 's/^CPU family: *//p') model $(lscpu | sed -n 's/^Model: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
bench() {
    java --add-modules jdk.incubator.vector -cp "$CP" -Xmx4g -Dai.djl.offline=true org.flows4j.bench.ModelBench \
        --backend "$B" --model nice:paper --seconds 4 --rounds 5 --warmup 15 2>&1 | grep -v WARNING | tail -4
}
train() {
    out=$(mktemp -d)
    FLOWS4J_HOME=$2 ./flows4j train --model nice:paper --data fashion-mnist --minutes "$M" --eval-every-minutes 60 \
        --backend "$B" --out "$out/run" --json --no-plots 2>/dev/null > "$out/train.json"
    /usr/bin/python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print("%s: %d steps in %.1f s of training, %.3f steps/s" % (sys.argv[2], j["steps"], j["training_seconds"],
      j["steps"] / j["training_seconds"]))' "$out/train.json" "$1"
    rm -rf "$out"
}
echo "== ModelBench"
bench
train "train, this build" "$PWD/flow-dist/target/flows4j"
if [ -n "${OLD:-}" ]; then
    train "train, $OLD" "$OLD"
fi
echo "== ModelBench, again"
bench
echo "== $(date -u) load $(cut -d' ' -f1-3 /proc/loadavg)"
