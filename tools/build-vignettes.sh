#!/usr/bin/env bash
# tools/build-vignettes.sh: rebuild every vignette's committed outputs, so that a user who installs
# glmmlab from a clone (`R CMD INSTALL .`, which never builds vignettes) can open them:
#   inst/doc/<name>.html, <name>.R, <name>.Rmd   the built vignette, its code, its source
#   build/vignette.rds                           the index R CMD INSTALL registers (Meta/vignette.rds)
# Run from anywhere, after changing a vignette or anything that changes its output:
#   bash tools/build-vignettes.sh
# It builds the package with R's own `R CMD build` on a copy of the tree (so the outputs are exactly
# those of a CRAN tarball: every vignettes/*.Rmd, with the engine each declares), then copies the
# tarball's inst/doc and build/vignette.rds into the tree. The vignettes use knitr's `knitr::knitr`
# engine with markdown::html_format (knitr and markdown; no pandoc). A test
# (tests/testthat/test-vignettes_built.R) fails when these outputs no longer match vignettes/.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/glmmlab-vignettes.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/glmmlab"
(cd "$repo" && tar --exclude=.git --exclude='*.o' --exclude='*.so' -cf - .) | (cd "$work/glmmlab" && tar -xf -)
rm -rf "$work/glmmlab/inst/doc" "$work/glmmlab/build"   # nothing stale enters the build
export MAKEFLAGS="${MAKEFLAGS:--j$(nproc 2>/dev/null || echo 2)}"
echo "== R CMD build (installs glmmlab into a temporary library and runs every vignette)"
if ! (cd "$work" && R CMD build --no-manual --no-resave-data glmmlab > build.log 2>&1); then
  cat "$work/build.log"; echo "R CMD build failed"; exit 1
fi
mkdir -p "$work/out"
tar -xzf "$work"/glmmlab_*.tar.gz -C "$work/out" glmmlab/inst/doc glmmlab/build/vignette.rds
rm -rf "$repo/inst/doc"
mkdir -p "$repo/build"
cp -R "$work/out/glmmlab/inst/doc" "$repo/inst/doc"
cp "$work/out/glmmlab/build/vignette.rds" "$repo/build/vignette.rds"
echo "== wrote:"
(cd "$repo" && ls -l inst/doc build/vignette.rds)
Rscript -e 'v <- readRDS(commandArgs(TRUE)[1]); print(v[c("File", "Title", "PDF", "R")], right = FALSE)' "$repo/build/vignette.rds"
