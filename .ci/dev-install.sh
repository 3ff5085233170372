#!/usr/bin/env bash
# Install the working tree into a private library without touching the tree itself (safe to run
# while others work in it): usage  bash .ci/dev-install.sh NAME   -> library /tmp/lib_NAME
set -eu
name=${1:?usage: dev-install.sh NAME}
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "/tmp/build_$name" "/tmp/lib_$name"
rm -rf "/tmp/build_$name/glmmlab"; mkdir -p "/tmp/build_$name/glmmlab"
(cd "$src" && tar --exclude=.git --exclude="*.o" --exclude="*.so" -cf - .) | (cd "/tmp/build_$name/glmmlab" && tar -xf -)
R CMD INSTALL --no-docs -l "/tmp/lib_$name" "/tmp/build_$name/glmmlab" > "/tmp/build_$name/install.log" 2>&1 || {
  tail -40 "/tmp/build_$name/install.log"; exit 1; }
echo "installed into /tmp/lib_$name (use: .libPaths(c('/tmp/lib_$name', .libPaths())))"
