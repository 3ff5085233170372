# make_references.R: regenerate the stored reference numbers of glmmlab's tests.
#   Rscript tests/references/make_references.R            every topic
#   Rscript tests/references/make_references.R ecosystem  one topic (refs_ecosystem.R)
# Run from the project root, with the peer packages each script names installed (lme4, glmmTMB,
# ...). Each tests/references/refs_<topic>.R runs in a fresh R process (so no script sees another's
# state) and rewrites tests/testthat/references/<topic>.R, whose header names the versions used.
args <- commandArgs(trailingOnly = TRUE)
scripts <- sort(list.files(file.path("tests", "references"), pattern = "^refs_.*[.]R$", full.names = TRUE))
if (!length(scripts)) stop("no tests/references/refs_*.R found: run this from the project root")
if (length(args)) {
  wanted <- file.path("tests", "references", paste0("refs_", args, ".R"))
  unknown <- wanted[!wanted %in% scripts]
  if (length(unknown)) stop("no such reference script: ", paste(unknown, collapse = ", "))
  scripts <- wanted
}
rscript <- file.path(R.home("bin"), "Rscript")
failed <- character()
for (s in scripts) {
  message("== ", s)
  status <- system2(rscript, c("--vanilla", "-e", shQuote(sprintf("source('tests/references/common.R'); source('%s')", s))))
  if (status != 0) failed <- c(failed, s)
}
if (length(failed)) stop("reference scripts failed: ", paste(failed, collapse = ", "))
