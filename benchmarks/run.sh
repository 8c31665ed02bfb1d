#!/usr/bin/env bash
# Runs the benchmark (docs/benchmarks.md) from a fresh clone: builds this module and what it needs
# (package, no install, tests skipped), then starts the benchmark on the module's class path.
# Flags go to the benchmark, e.g. benchmarks/run.sh --reps 1 --seconds 5; --help lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -pl benchmarks -am package -DskipTests
exec java -Xmx512m -Ds3proxy.jar=benchmarks/target/s3proxy/s3proxy.jar -Dlitestream.tools.dir="$PWD/.tools" \
	-cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
	io.github.litestreamspring.benchmarks.Benchmark "$@"
