#!/usr/bin/env bash
# CLI restore, process start to exit, next to `litestream restore` v0.3.13 on the same file replica
# (docs/benchmarks.md, "CLI start"). Variants run interleaved, repetition after repetition, so a busy
# machine slows all of them alike; prints median (min-max) of wall seconds, peak RSS (VmHWM, via
# /usr/bin/time) and CPU seconds (user + system).
#
#   benchmarks/cli-restore.sh REPLICA_DIR [REPS] [VARIANT...]
#
# REPLICA_DIR is a Litestream v0.3 file replica (the directory holding generations/). Needs
# `./mvnw -pl litestream-cli -am package -DskipTests` first, GNU time at /usr/bin/time, and
# .tools/litestream-0.3.13/litestream. Variants (default: jar launcher launcher-nocds litestream):
#   jar            java -jar litestream-cli-*.jar (the executable jar, as before the launcher)
#   launcher       litestream-cli/target/litestream-cli/litestream-cli (CDS archive, C1, serial GC)
#   launcher-nocds the same with LITESTREAM_CLI_CDS=off
#   cds            java -XX:SharedArchiveFile=… -jar (unpacked jar, CDS only, default JIT and GC)
#   cds-c1         cds plus -XX:TieredStopAtLevel=1
#   cds-serial     cds plus -XX:+UseSerialGC
#   litestream     litestream restore -o OUT file://REPLICA_DIR
#   dist:DIR       the launcher of another distribution directory, e.g. a copy of an older build's
#                  target/litestream-cli (run DIR/litestream-cli --create-cds-archive there first) for before/after
set -euo pipefail
cd "$(dirname "$0")/.."
replica=$(cd "$1" && pwd -P)
reps=${2:-5}
shift $(($# < 2 ? $# : 2))
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(jar launcher launcher-nocds litestream)

dist=litestream-cli/target/litestream-cli
jar=$(ls litestream-cli/target/litestream-cli-*.jar | head -n 1)
litestream=.tools/litestream-0.3.13/litestream
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/restored.db
cat >"$work/application.yml" <<EOF
spring:
  datasource:
    url: jdbc:sqlite:$out
litestream:
  replicas:
    - url: file://$replica
EOF

command_of() {
	case $1 in
		jar) echo "java -jar $jar restore -config $work/application.yml" ;;
		launcher) echo "$dist/litestream-cli restore -config $work/application.yml" ;;
		launcher-nocds) echo "env LITESTREAM_CLI_CDS=off $dist/litestream-cli restore -config $work/application.yml" ;;
		cds) echo "java -XX:SharedArchiveFile=$PWD/$dist/litestream-cli.jsa -jar $PWD/$dist/litestream-cli.jar restore -config $work/application.yml" ;;
		cds-c1) echo "java -XX:SharedArchiveFile=$PWD/$dist/litestream-cli.jsa -XX:TieredStopAtLevel=1 -jar $PWD/$dist/litestream-cli.jar restore -config $work/application.yml" ;;
		cds-serial) echo "java -XX:SharedArchiveFile=$PWD/$dist/litestream-cli.jsa -XX:+UseSerialGC -jar $PWD/$dist/litestream-cli.jar restore -config $work/application.yml" ;;
		litestream) echo "$litestream restore -o $out file://$replica" ;;
		dist:*) echo "${1#dist:}/litestream-cli restore -config $work/application.yml" ;;
		*) echo "unknown variant $1" >&2; exit 2 ;;
	esac
}

for ((rep = 1; rep <= reps; rep++)); do
	for v in "${variants[@]}"; do
		rm -f "$out" "$out-wal" "$out-shm"
		# shellcheck disable=SC2046
		/usr/bin/time -f "%e %M %U %S" -o "$work/time" $(command_of "$v") >"$work/stdout" 2>"$work/stderr" || {
			cat "$work/stderr" >&2
			exit 1
		}
		[ -s "$out" ] || { echo "$v wrote no database" >&2; exit 1; }
		read -r wall rss user sys <"$work/time"
		echo "$v $wall $rss $(echo "$user + $sys" | bc)" >>"$work/results"
	done
done

width=15
for v in "${variants[@]}"; do [ ${#v} -lt $width ] || width=$((${#v} + 1)); done
printf "%-${width}s %-22s %-22s %-22s\n" variant "wall s" "RSS MiB" "CPU s"
for v in "${variants[@]}"; do
	stat() { # column -> "median (min-max)"
		grep "^$v " "$work/results" | awk -v c="$1" -v div="$2" '{print $c / div}' | sort -g |
			awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
				printf "%.2f (%.2f-%.2f)", m, a[1], a[NR]}'
	}
	printf "%-${width}s %-22s %-22s %-22s\n" "$v" "$(stat 2 1)" "$(stat 3 1024)" "$(stat 4 1)"
done
echo "($reps interleaved repetitions; $(nproc) cores; load average $(cut -d ' ' -f 1-3 /proc/loadavg))"
