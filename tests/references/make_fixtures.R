# make_fixtures.R: store the data sets the tests borrow from other packages as small fixtures
# (tests/testthat/fixtures/<name>.rds), so that the tests run where those packages are not
# installed. Run from the project root: Rscript tests/references/make_fixtures.R
# Add a data set by adding a line to `borrowed` below.
borrowed <- c(
  "lme4::sleepstudy", "lme4::cbpp", "lme4::Penicillin", "lme4::Dyestuff", "lme4::Dyestuff2", "lme4::Pastes",
  "lme4::cake", "lme4::grouseticks", "lme4::VerbAgg", "lme4::Arabidopsis", "lme4::InstEval",
  "glmmTMB::Salamanders", "glmmTMB::Owls", "glmmTMB::epil2"
)
dir.create(file.path("tests", "testthat", "fixtures"), showWarnings = FALSE)
for (item in borrowed) {
  parts <- strsplit(item, "::", fixed = TRUE)[[1L]]
  env <- new.env()
  ok <- tryCatch({ utils::data(list = parts[2L], package = parts[1L], envir = env); TRUE },
                 warning = function(w) FALSE, error = function(e) FALSE)
  if (!ok || !exists(parts[2L], envir = env, inherits = FALSE)) { message("skipped (not found): ", item); next }
  d <- get(parts[2L], envir = env)
  attr(d, "source") <- sprintf("%s %s", item, as.character(utils::packageVersion(parts[1L])))
  out <- file.path("tests", "testthat", "fixtures", paste0(parts[2L], ".rds"))
  saveRDS(d, out, version = 2, compress = "xz")
  message(sprintf("%-24s %6d rows  %7.1f kB", item, NROW(d), file.size(out) / 1024))
}
