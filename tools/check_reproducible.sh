#!/usr/bin/env bash
# Checks that the build is reproducible: copies the working tree (tracked and new files, not the
# ignored ones such as target/) into two fresh directories, builds each with Maven, and compares
# the sha256 of every jar under target/. Exits 0 when all are byte-identical, 1 otherwise.
#
#   tools/check_reproducible.sh                                   # mvn -B -q package -DskipTests
#   tools/check_reproducible.sh -o package -DskipTests -Prelease  # offline, with sources and javadoc jars
#
# The arguments, if any, replace `package -DskipTests`. Set KEEP=1 to keep the two builds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "$#" -eq 0 ]; then
    set -- package -DskipTests
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/reproducible.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then
    echo "builds kept in $work"
else
    trap 'rm -rf "$work"' EXIT
fi

for n in 1 2; do
    mkdir "$work/build$n"
    (cd "$root" && git ls-files -z --cached --others --exclude-standard \
        | tar --null --files-from=- --ignore-failed-read -cf -) | tar -xf - -C "$work/build$n"
    echo "build $n: mvn -B -q $* in $work/build$n"
    (cd "$work/build$n" && mvn -B -q "$@")
    (cd "$work/build$n" && find . -path '*/target/*' -name '*.jar' -print0 | sort -z | xargs -0 -r sha256sum) \
        > "$work/sha256-$n.txt"
done

jars=$(wc -l < "$work/sha256-1.txt")
if [ "$jars" -eq 0 ]; then
    echo "error: the build made no jar under */target/" >&2
    exit 1
fi
if diff "$work/sha256-1.txt" "$work/sha256-2.txt" > "$work/diff.txt"; then
    echo "reproducible: all $jars jars are byte-identical in the two builds"
    exit 0
fi
echo "NOT reproducible: these jars differ (< first build, > second build):"
cat "$work/diff.txt"
# Name the entries that differ in each jar that differs.
for jar in $(diff "$work/sha256-1.txt" "$work/sha256-2.txt" | awk '/^</ {print $3}'); do
    echo "--- entries that differ in $jar:"
    diff <(unzip -Z -l -T "$work/build1/$jar" | sed 1d) <(unzip -Z -l -T "$work/build2/$jar" | sed 1d) | head -20 || true
done
exit 1
