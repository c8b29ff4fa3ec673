#!/usr/bin/env bash
# Issue 14, part 7: ModelBench's maf:tabular (8 features, batch 512: training steps/s, density
# evaluations/s, samples/s, and sampling against D = 8, 16, 32, 64) and nsf:2d (batch 512) on
# every backend, one JVM per backend and model. Results are in docs/MAF.md.
#
#   flow-bench/compare/bench-maf.sh        # after: mvn -B -ntp -q install -DskipTests
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${SECONDS_EACH:-4}
CP="flow-bench/target/classes:flow-dist/target/flows4j/lib/*:flow-dist/target/flows4j/classpath/*"
for backend in ${BACKENDS:-cpu nd4j djl}; do
    for model in maf:tabular nsf:2d; do
        java --add-modules jdk.incubator.vector -cp "$CP" -Xmx4g org.flows4j.bench.ModelBench \
            --backend "$backend" --model "$model" --seconds "$SECONDS_EACH" 2>&1 | grep -v '^WARNING: Using incubator'
    done
done
