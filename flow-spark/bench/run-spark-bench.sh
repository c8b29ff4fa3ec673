#!/usr/bin/env bash
# flow-spark's benchmark (issue #16 item 8): Spark local[2] against the library in one JVM on the
# same cores, for scoring, training and the growth with executors. See SparkBench's Javadoc.
#
#   flow-spark/bench/run-spark-bench.sh --quick            # a smoke run, a minute or two
#   flow-spark/bench/run-spark-bench.sh                    # 1M rows, realnvp:2d and nice:small, 3 rounds
#   flow-spark/bench/run-spark-bench.sh --what training --rounds 5
#   flow-spark/bench/run-spark-bench.sh --help
#
# Compiles the reactor's classes (test-compile, offline, never install) and writes the test class
# path once to flow-spark/target/bench-classpath.txt; SKIP_BUILD=1 reuses both. JAVA_OPTS adds JVM
# flags (default heap -Xmx6g). Tables go to stdout, progress to stderr:
#   flow-spark/bench/run-spark-bench.sh 2>bench.log | tee bench.md
# For numbers worth keeping, run it on a quiet machine: `pgrep -fc classworlds` should print 0.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
CP_FILE="$ROOT/flow-spark/target/bench-classpath.txt"

if [[ "${SKIP_BUILD:-0}" != 1 || ! -s "$CP_FILE" ]]; then
  echo "building (mvn -o test-compile -pl flow-spark -am) ..." >&2
  # test-compile puts the reactor's modules on the class path as their target/classes; flow-spark
  # is built last, so its class path is what the file holds at the end.
  mvn -B -ntp -o -q test-compile dependency:build-classpath -pl flow-spark -am \
    -Dflows4j.strict=false -Dspotless.check.skip=true -Djacoco.skip=true \
    -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" >&2
fi
CP="$ROOT/flow-spark/target/test-classes:$ROOT/flow-spark/target/classes:$(cat "$CP_FILE")"

# What spark-submit adds on JDK 17 (Spark's JavaModuleOptions), as in flow-spark/pom.xml's surefire argLine.
SPARK_JDK17_FLAGS=(
  -Xss4m --add-modules jdk.incubator.vector -XX:+IgnoreUnrecognizedVMOptions
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true
)

# Loopback only; SPARK_TESTING and SPARK_SCALA_VERSION let local-cluster start its workers'
# executors from this class path without a Spark installation (as LocalClusterTest does).
export SPARK_LOCAL_IP=127.0.0.1 SPARK_TESTING=1 SPARK_SCALA_VERSION=2.13

echo "$(lscpu | grep 'Model name' | sed 's/  */ /g') ($(nproc) CPUs); $(date -u '+%Y-%m-%d %H:%M UTC');" \
  "other Maven builds running: $(pgrep -fc classworlds || true)"
echo

# shellcheck disable=SC2086
exec java "${SPARK_JDK17_FLAGS[@]}" ${JAVA_OPTS:--Xmx6g} \
  -Dlog4j2.configurationFile=log4j2-flows4j-spark.properties \
  -cp "$CP" org.flows4j.spark.bench.SparkBench "$@"
