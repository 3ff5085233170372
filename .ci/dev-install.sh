#!/usr/bin/env bash
# Install the working tree into a private library without touching the tree itself (safe to run
# while others work in it): usage  bash .ci/dev-install.sh NAME   -> library /tmp/lib_NAME
# Incremental: the build folder /tmp/build_NAME keeps its object files, so only changed C++ files
# are recompiled (all of them when a header changed). GLMMLAB_CLEAN=1 rebuilds everything.
set -eu
name=${1:?usage: dev-install.sh NAME}
src=$(cd "$(dirname "$0")/.." && pwd)
build="/tmp/build_$name/glmmlab"
mkdir -p "$build" "/tmp/lib_$name"
if [ "${GLMMLAB_CLEAN:-0}" = 1 ]; then rm -rf "$build"; mkdir -p "$build"; fi
# a header newer than the oldest object file: recompile everything (R's make has no header dependencies)
oldest_o=$(ls -tr "$build"/src/*.o 2>/dev/null | head -1 || true)
if [ -n "$oldest_o" ] && [ -n "$(find "$src/src" -name '*.h' -newer "$oldest_o" | head -1)" ]; then rm -f "$build"/src/*.o "$build"/src/*.so; fi
# copy the tree (sources keep their times; files deleted from the tree are deleted here too)
find "$build" -mindepth 1 -maxdepth 1 ! -name src -exec rm -rf {} +
find "$build/src" -maxdepth 1 -type f ! -name '*.o' ! -name '*.so' -delete 2>/dev/null || true
(cd "$src" && tar --exclude=.git --exclude="*.o" --exclude="*.so" -cf - .) | (cd "$build" && tar -xpf -)
for o in "$build"/src/*.o; do [ -e "$o" ] || continue; c="${o%.o}.cpp"; [ -e "$c" ] || rm -f "$o"; done
R CMD INSTALL --no-docs -l "/tmp/lib_$name" "$build" > "/tmp/build_$name/install.log" 2>&1 || {
  tail -40 "/tmp/build_$name/install.log"; exit 1; }
echo "installed into /tmp/lib_$name (use: .libPaths(c('/tmp/lib_$name', .libPaths())))"
