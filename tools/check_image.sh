#!/bin/sh
# Checks the runtime image that `mvn -B package` links (demos/target/image): with JAVA_HOME unset,
# no java on the PATH and a working directory without models, its bin/minidiffusion (started through
# a symbolic link) prints the build's version, lists both backends, and draws with both bundled
# models (generate and txt2img) on the Vector API, printing nothing on stderr but the JVM's
# incubator warning.
#
# usage: tools/check_image.sh [IMAGE]     (`mvn -B verify` runs it)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
image=${1:-$root/demos/target/image}
if [ ! -x "$image/bin/minidiffusion" ] || [ ! -x "$image/bin/java" ]; then
    echo "check_image: no runtime image in $image; build it with mvn -B package" >&2
    exit 1
fi
image=$(cd "$image" && pwd -P)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The child's PATH holds readlink (for the symbolic link) and nothing else, so no java either.
mkdir "$work/bin"
ln -s "$(command -v readlink)" "$work/bin/readlink"
ln -s "$image/bin/minidiffusion" "$work/minidiffusion"

fail() {
    echo "check_image: $1" >&2
    for f in "$work"/out.txt "$work"/err.txt; do
        [ -f "$f" ] && { echo "--- $(basename "$f") ---" >&2; cat "$f" >&2; }
    done
    exit 1
}

run() {
    (cd "$work" && env -i HOME="$work" PATH="$work/bin" ./minidiffusion "$@" >"$work/out.txt" 2>"$work/err.txt") \
        || fail "bin/minidiffusion $* exited with code $?"
    if grep -v '^WARNING: Using incubator modules: jdk.incubator.vector$' "$work/err.txt" >/dev/null; then
        fail "bin/minidiffusion $* printed more than the incubator warning on stderr"
    fi
}

run --version
grep -q '^minidiffusion [0-9]' "$work/out.txt" || fail "--version does not print the version"
version=$(head -n 1 "$work/out.txt")

run backends
grep -q '^backends found: 2$' "$work/out.txt" || fail "backends does not list both backends"

start=$(date +%s)
run generate --count 1 --steps 5 --out generated.png
seconds=$(($(date +%s) - start))
grep -q "^using backend 'parallel' (.*Vector API" "$work/out.txt" || fail "generate does not use parallel with the Vector API"
grep -q "^loaded $image/models/fashion-unet.safetensors: " "$work/out.txt" || fail "generate did not load the bundled model"
[ -s "$work/generated.png" ] || fail "generate wrote no generated.png"
[ "$(head -c 4 "$work/generated.png" | tail -c 3)" = PNG ] || fail "generated.png is not a PNG file"

start=$(date +%s)
run txt2img "a pair of dark trousers" --steps 2 --out txt2img.png
t2i_seconds=$(($(date +%s) - start))
grep -q "^loaded $image/models/fashion-sd3" "$work/out.txt" || fail "txt2img did not load the bundled model"
[ "$(head -c 4 "$work/txt2img.png" | tail -c 3)" = PNG ] || fail "txt2img wrote no PNG file"

echo "check_image: $image ($version, $(du -sh "$image" | cut -f1)) ran --version, backends, generate --count 1 --steps 5 (${seconds} s) and txt2img --steps 2 (${t2i_seconds} s) with no JDK on the PATH"
