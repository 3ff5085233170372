# helper-references.R: stored reference numbers, by topic. The numbers of topic <topic> are in
# tests/testthat/references/<topic>.R, written by tests/references/refs_<topic>.R (regenerate with
# `Rscript tests/references/make_references.R <topic>`; the header of each file names the package
# versions). The core fits of glmmTMB, lme4 and glm that most tests compare with are topic "core"
# (tests/references/refs_core.R, which documents each entry's fields).

# Stored reference numbers of one topic: the list in references/<topic>.R, written by
# tests/references/refs_<topic>.R (see tests/references/make_references.R).
stored_references <- function(topic) {
  path <- testthat::test_path("references", paste0(topic, ".R"))
  if (!file.exists(path)) stop("no stored references for topic ", sQuote(topic, FALSE), " (", path, ")")
  eval(parse(path, keep.source = FALSE, encoding = "UTF-8")[[1L]], baseenv())
}
