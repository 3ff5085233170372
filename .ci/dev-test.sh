#!/usr/bin/env bash
# Run the test suite (or the files matching a filter) against the private library of
# .ci/dev-install.sh NAME:  bash .ci/dev-test.sh NAME [FILTER]   e.g.  bash .ci/dev-test.sh api predict
# Ends with the line "N passed, N failed, N skipped"; exits 1 on any failure.
set -eu
name=${1:?usage: dev-test.sh NAME [FILTER]}
filter=${2:-}
cd "$(dirname "$0")/.."
NOT_CRAN=${NOT_CRAN:-true} Rscript -e '
args <- commandArgs(TRUE); .libPaths(c(file.path("/tmp", paste0("lib_", args[1])), .libPaths()))
Sys.setenv(TESTTHAT_MAX_FAILS = Inf)
filter <- if (length(args) > 1 && nzchar(args[2])) args[2] else NULL
r <- as.data.frame(testthat::test_local(".", filter = filter, load_package = "installed", stop_on_failure = FALSE, reporter = "summary"))
cat(sprintf("%d passed, %d failed, %d skipped\n", sum(r$passed), sum(r$failed) + sum(r$error), sum(r$skipped)))
quit(status = as.integer(sum(r$failed) + sum(r$error) > 0))' "$name" "$filter"
