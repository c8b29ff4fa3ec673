#!/bin/sh
# Runs the PyTorch peer (torch_peer.py), the GEMM race (cpu against djl's libtorch in one JVM)
# and ModelBench on each backend (one JVM each), one after the other, and prints issue 12's
# ratio table (ratio_table.py). From the repository root, after
#
#   mvn -B -ntp -q install -DskipTests        # builds flow-bench/target/classes and the flow-dist layout
#
#   flow-bench/peers/run-peer-comparison.sh [SECONDS [ROUNDS [WARMUP]]]     (defaults 4 5 15)
#
# Needs Debian's python3-torch with the BLAS on OpenBLAS's openmp variant (see
# docs/BENCHMARKS.md, "Peer comparison"). Environment: OUT (the folder for the raw outputs,
# default target/peer-comparison), BACKENDS (default "cpu djl nd4j"), JAVA (default java).
set -eu
SECONDS_PER_ROUND=${1:-4}
ROUNDS=${2:-5}
WARMUP=${3:-15}
OUT=${OUT:-flow-bench/target/peer-comparison}
BACKENDS=${BACKENDS:-"cpu djl nd4j"}
JAVA=${JAVA:-java}
PEERS=$(dirname "$0")
CP="flow-bench/target/classes:flow-dist/target/flows4j/lib/*:flow-dist/target/flows4j/classpath/*"
mkdir -p "$OUT"
# as the flows4j launcher sets it; the peer runs with the same setting, so that neither side's
# OpenMP threads spin on the other's cores
export OMP_WAIT_POLICY=PASSIVE

for b in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
    target=$(readlink -f "/usr/lib/x86_64-linux-gnu/$b" || true)
    case "$target" in
        *openblas-openmp*) ;;
        *) echo "warning: $b resolves to $target, not OpenBLAS openmp: the peer's BLAS is misconfigured" >&2 ;;
    esac
done
echo "== $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) processors, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== PyTorch peer"
/usr/bin/python3 "$PEERS/torch_peer.py" --seconds "$SECONDS_PER_ROUND" --rounds "$ROUNDS" --warmup "$WARMUP" \
    --threads 2 --json "$OUT/peer.json" | tee "$OUT/peer.txt"

echo "== GEMM race (cpu against libtorch, one JVM)"
"$JAVA" --add-modules jdk.incubator.vector -cp "$CP" -Xmx4g org.flows4j.bench.GemmRace \
    --backends cpu,djl --rounds 9 --seconds 2 2>&1 | grep -v '^WARNING: Using incubator' | tee "$OUT/gemm-race.txt"

FILES=""
for b in $BACKENDS; do
    echo "== ModelBench $b"
    "$JAVA" --add-modules jdk.incubator.vector -cp "$CP" -Xmx4g org.flows4j.bench.ModelBench --backend "$b" \
        --seconds "$SECONDS_PER_ROUND" --rounds "$ROUNDS" --warmup "$WARMUP" 2>&1 \
        | grep -v '^WARNING: Using incubator' | tee "$OUT/modelbench-$b.txt"
    FILES="$FILES $OUT/modelbench-$b.txt"
done

echo "== load at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# shellcheck disable=SC2086
/usr/bin/python3 "$PEERS/ratio_table.py" "$OUT/peer.json" "$OUT/gemm-race.txt" $FILES | tee "$OUT/ratios.md"
