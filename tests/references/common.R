# common.R: what every reference script shares. A script tests/references/refs_<topic>.R fits the
# peers (lme4, glmmTMB, ...) and ends with write_references(refs, "<topic>", c("lme4", "glmmTMB")),
# which writes tests/testthat/references/<topic>.R: a header naming R and the package versions,
# then one R expression (a named list) that the tests read with stored_references("<topic>").
# Run them all with `Rscript tests/references/make_references.R` from the project root.

# The project root: this folder's grandparent (scripts are run from the root by make_references.R).
references_root <- function() normalizePath(".", mustWork = TRUE)

# A data set the tests store as a fixture (tests/testthat/fixtures/<name>.rds), so scripts and
# tests fit exactly the same rows.
fixture <- function(name) readRDS(file.path(references_root(), "tests", "testthat", "fixtures", paste0(name, ".rds")))

# Write `refs` (a named list of numbers, vectors, matrices, strings) for `topic`, with a header
# naming the script, the date, R's version and the versions of `packages`.
write_references <- function(refs, topic, packages = character()) {
  stopifnot(is.list(refs), !is.null(names(refs)), all(nzchar(names(refs))), !anyDuplicated(names(refs)))
  versions <- vapply(packages, function(p) as.character(utils::packageVersion(p)), "")
  header <- c(sprintf("# Stored reference numbers for glmmlab's tests (topic %s); do not edit by hand.", sQuote(topic, FALSE)),
              sprintf("# Written by tests/references/refs_%s.R on %s with %s%s.", topic, format(Sys.Date()),
                      R.version.string, if (length(versions)) paste0(", ", paste(names(versions), versions, collapse = ", ")) else ""),
              "# Regenerate: Rscript tests/references/make_references.R")
  body <- utils::capture.output(dput(refs, control = c("keepNA", "keepInteger", "niceNames", "showAttributes", "digits17")))
  out <- file.path(references_root(), "tests", "testthat", "references", paste0(topic, ".R"))
  writeLines(c(header, body), out, useBytes = TRUE)
  message("wrote ", out, " (", length(refs), " entries)")
  invisible(out)
}
