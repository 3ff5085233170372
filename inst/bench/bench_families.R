# bench_families.R: time glmmlab against glmmTMB on glmmTMB's further families (beta,
# betabinomial, genpois, tweedie, t, ziGamma and the zero-truncated counts; zero-inflated, hurdle
# and dispersion-formula models on Salamanders; lognormal has no
# glmmTMB 1.1.5 counterpart and is timed alone), in one run, and print the ratio of their median
# fit times with the difference of their log-likelihoods.
#
# Usage, from the repository root (glmmlab and glmmTMB installed; the simulated data are those
# stored by tests/references/refs_fam.R in tests/testthat/references/fam.R):
#   Rscript inst/bench/bench_families.R
# GLMMLAB_BENCH_REPS sets the number of timed fits per fitter (default 7); fits alternate
# between the two packages so that the machine's load affects both alike.
# GLMMLAB_BENCH_CASES="zinb2,zipoisson" runs only those rows.

suppressPackageStartupMessages({
  library(glmmlab)
  if (!requireNamespace("glmmTMB", quietly = TRUE)) stop("bench_families.R needs glmmTMB")
})
reps <- as.integer(Sys.getenv("GLMMLAB_BENCH_REPS", "7"))
refs_file <- file.path("tests", "testthat", "references", "fam.R")
if (!file.exists(refs_file)) stop("run from the repository root (", refs_file, " not found)")
refs <- eval(parse(refs_file, keep.source = FALSE)[[1L]], baseenv())
sim <- function(name) data.frame(y = refs$sim_data[[name]]$y, x = refs$sim_data[[name]]$x, g = factor(rep(1:15, each = 20)))
env <- new.env()
utils::data("cbpp", package = "lme4", envir = env)
utils::data("Salamanders", package = "glmmTMB", envir = env)
positive <- subset(env$Salamanders, count > 0)
tmb <- asNamespace("glmmTMB")

cases <- list(
  betabinomial = list(cbind(incidence, size - incidence) ~ period + (1 | herd), env$cbpp, betabinomial(), tmb$betabinomial()),
  genpois = list(count ~ spp + mined + (1 | site), env$Salamanders, genpois(), tmb$genpois()),
  truncated_poisson = list(count ~ spp + mined + (1 | site), positive, truncated_poisson(), tmb$truncated_poisson()),
  truncated_nbinom1 = list(count ~ spp + mined + (1 | site), positive, truncated_nbinom1(), tmb$truncated_nbinom1()),
  truncated_nbinom2 = list(count ~ spp + mined + (1 | site), positive, truncated_nbinom2(), tmb$truncated_nbinom2()),
  beta = list(y ~ x + (1 | g), sim("beta"), beta_family(), tmb$beta_family()),
  tweedie = list(y ~ x + (1 | g), sim("tweedie"), tweedie(), tmb$tweedie()),
  t = list(y ~ x + (1 | g), sim("t"), t_family(), tmb$t_family()),
  ziGamma = list(y ~ x + (1 | g), sim("gamma"), ziGamma(link = "log"), tmb$ziGamma(link = "log")),
  lognormal = list(y ~ x + (1 | g), sim("lognormal"), lognormal(), NULL),
  # the model components (issue 16): zero-inflation, hurdle and dispersion formulas (elements 5, 6)
  zinb2 = list(count ~ spp + mined + (1 | site), env$Salamanders, nbinom2(), tmb$nbinom2(), ~ spp + mined, ~1),
  zipoisson = list(count ~ spp + mined + (1 | site), env$Salamanders, poisson(), stats::poisson(), ~ spp + mined, ~1),
  hurdle_nbinom2 = list(count ~ spp + mined + (1 | site), env$Salamanders, truncated_nbinom2(), tmb$truncated_nbinom2(), ~ spp + mined, ~1),
  nbinom2_disp = list(count ~ spp + mined + (1 | site), env$Salamanders, nbinom2(), tmb$nbinom2(), ~0, ~spp),
  zi_random = list(count ~ spp + mined + (1 | site), env$Salamanders, poisson(), stats::poisson(), ~ spp + (1 | site), ~1))

# GLMMLAB_BENCH_CASES: a comma-separated subset of the rows (e.g. "zinb2,zipoisson").
only <- Sys.getenv("GLMMLAB_BENCH_CASES", "")
if (nzchar(only)) cases <- cases[intersect(strsplit(only, ",")[[1L]], names(cases))]

# Elapsed seconds of one fit and its log-likelihood.
time_fit <- function(fit) {
  t0 <- proc.time()[["elapsed"]]
  m <- suppressWarnings(suppressMessages(fit()))
  c(time = proc.time()[["elapsed"]] - t0, loglik = as.numeric(stats::logLik(m)))
}

rows <- lapply(names(cases), function(name) {
  cs <- cases[[name]]
  zi <- if (length(cs) >= 5L) cs[[5]] else ~0
  disp <- if (length(cs) >= 6L) cs[[6]] else ~1
  fit_lab <- function() glmm(cs[[1]], data = cs[[2]], family = cs[[3]], ziformula = zi, dispformula = disp)
  fit_tmb <- if (!is.null(cs[[4]])) function() glmmTMB::glmmTMB(cs[[1]], data = cs[[2]], family = cs[[4]], ziformula = zi, dispformula = disp)
  time_fit(fit_lab)   # warm-up
  if (!is.null(fit_tmb)) time_fit(fit_tmb)
  lab <- tmb_t <- numeric(reps)
  ll <- c(lab = NA, tmb = NA)
  for (r in seq_len(reps)) {
    a <- time_fit(fit_lab)
    lab[r] <- a[["time"]]
    ll[["lab"]] <- a[["loglik"]]
    if (!is.null(fit_tmb)) {
      b <- time_fit(fit_tmb)
      tmb_t[r] <- b[["time"]]
      ll[["tmb"]] <- b[["loglik"]]
    }
  }
  data.frame(family = name, n = nrow(cs[[2]]), glmmlab_ms = 1000 * stats::median(lab),
             glmmTMB_ms = if (is.null(fit_tmb)) NA else 1000 * stats::median(tmb_t),
             ratio = if (is.null(fit_tmb)) NA else stats::median(tmb_t) / stats::median(lab),
             logLik_diff = ll[["lab"]] - ll[["tmb"]])
})
out <- do.call(rbind, rows)
cat(sprintf("glmmTMB %s, glmmlab %s, %d timed fits each (medians); ratio = glmmTMB time / glmmlab time;\n",
            utils::packageVersion("glmmTMB"), utils::packageVersion("glmmlab"), reps))
cat("logLik_diff = glmmlab - glmmTMB (positive: glmmlab's optimum is higher)\n\n")
print(format(out, digits = 3), row.names = FALSE)
