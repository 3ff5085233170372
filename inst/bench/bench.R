# bench.R: time glmmlab against lme4 and glmmTMB on the same models, in one run, and print the
# ratios of their median fit times and the agreement of their log-likelihoods.
#
# Usage, from the repository root (glmmlab, lme4 and glmmTMB installed):
#   Rscript inst/bench/bench.R
# Data: the course's data sets shipped with glmmlab (blossoms, Eulaema); lme4's data sets from the
# test fixtures (tests/testthat/fixtures, the same rows the tests fit), or from lme4 when the
# script runs outside the repository.
# Settings through environment variables:
#   GLMMLAB_BENCH_REPS  number of timed batches per fitter (default 11); the median is reported
#   GLMMLAB_BENCH_MIN_SEC  minimum length of one timed batch, in seconds (default 0.05): fast fits
#                     are repeated within a batch so the timer's resolution does not matter
#   GLMMLAB_BENCH_MARKDOWN  if "true", also print the table as Markdown (for the README)
#   GLMMLAB_BENCH_LARGE  if "true", also run the large cases (InstEval from lme4, 73,421 rows,
#                     three crossed terms; a simulated 50,000-row random-slopes LMM; a simulated
#                     100,000-row Poisson GLMM with 1,000 x 100 crossed levels; a MovieLens-shaped
#                     400,000-row LMM with 4,000 users x 1,500 movies; a kb07-like maximal LMM,
#                     two 8 x 8 covariance terms; a 200,000-row binomial GLMM, 2,000 x 500 crossed).
#                     Each of their fits is timed once, without a warm-up (lmer needs minutes on
#                     the MovieLens-like and kb07-like rows)
#   GLMMLAB_BENCH_ONLY  a regular expression: run only the cases whose label matches it
#                     (GLMMLAB_BENCH_FILTER is the same)
#   GLMMLAB_BENCH_PEERS  "all" (default); "target": only the peer issue 15's targets are set
#                     against (lmer for linear models, glmmTMB for the others), which shortens a
#                     run of the large rows from about 40 minutes to about 15; or a comma list
#   GLMMLAB_BENCH_MEMORY  "true" (default when GLMMLAB_BENCH_LARGE is) reports the peak memory of
#                     each fit of the cases run: "true" for all cases, "large" for the large only
#
# Peak memory: each fit runs once more in a fresh Rscript child (this script with --memory-child);
# after loading the packages and the data the child resets its peak resident set size (writing 5
# to /proc/self/clear_refs, Linux), fits, and reports VmHWM from /proc/self/status minus its
# resident size before the fit: the extra memory the fit needed at its peak, in MB, C++
# allocations included (gc()'s "max used" would count R's heap only). NA where /proc is missing.
# The child runs with glibc's malloc returning freed memory at once (MALLOC_MMAP_THRESHOLD_ and
# MALLOC_TRIM_THRESHOLD_ at 64 kB): otherwise the memory freed after building the data stays
# resident, counts in the "before" size, and a fit that reuses it looks smaller than it is (lmer's
# MovieLens-like fit read 23 MB that way, 49 MB with the memory returned).
#
# Each case is one entry of `bench_cases`: a data loader and one fitting function per package
# (NULL where a package cannot fit the model). For GLMM cases `lme4` holds the glmer() call
# (glmer.nb() for nbinom2). A fitter that stops with an error is reported as "failed" in its
# columns (lme4's glmer.nb() does on the chapter's Eulaema model: "pwrssUpdate did not converge");
# the other fitters of that row are still timed.

suppressPackageStartupMessages(library(glmmlab))
has_lme4 <- requireNamespace("lme4", quietly = TRUE)
has_tmb <- requireNamespace("glmmTMB", quietly = TRUE)

# The course chapter's simulated data (chapter 7, "Variance component analysis").
chapter_data <- function() {
  set.seed(145)
  x1 <- rnorm(200, 10, 2)
  groupmeans <- rep(rnorm(10, 20, 4), each = 20)
  groupID <- as.factor(rep(paste0("Group", 1:10), each = 20))
  y <- 2 + 1.5 * x1 + groupmeans + rnorm(200, 0, 2)
  data.frame(y, x1, groupID)
}

# The course's blossoms data (shipped with glmmlab) as the chapter prepares it.
blossoms_data <- function() {
  dat <- glmmlab::blossoms
  dat$pop <- as.factor(dat$pop)
  dat$patch <- as.factor(paste(dat$pop, dat$patch, "_"))
  dat
}

# The course's Eulaema bee counts (shipped with glmmlab) with study area as a factor.
eulaema_data <- function() {
  dat <- glmmlab::Eulaema
  dat$SA <- as.factor(dat$SA)
  dat
}

# A data set of lme4's: its test fixture when run from the repository, else lme4's own copy.
lme4_data <- function(name) {
  script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  repo <- if (length(script)) file.path(dirname(script[1]), "..", "..") else getwd()
  fixture <- file.path(repo, "tests", "testthat", "fixtures", paste0(name, ".rds"))
  if (file.exists(fixture)) return(readRDS(fixture))
  if (!has_lme4) stop(sprintf("no fixture %s and lme4 is not installed: run bench.R from the repository root", fixture))
  env <- new.env()
  utils::data(list = name, package = "lme4", envir = env)
  env[[name]]
}

# The simulated random-slopes data: n rows, `ngroups` groups, correlated intercepts and slopes.
slopes_data <- function(n = 50000, ngroups = 2000, seed = 1) {
  set.seed(seed)
  g <- factor(sample.int(ngroups, n, replace = TRUE))
  x <- rnorm(n)
  b0 <- rnorm(ngroups, 0, 1)
  b1 <- 0.5 * b0 + rnorm(ngroups, 0, 0.5)
  y <- 1 + 0.5 * x + b0[g] + b1[g] * x + rnorm(n, 0, 1)
  data.frame(y, x, g)
}

# Simulated crossed Poisson counts: n rows, levels of `a` and `b` drawn independently.
crossed_poisson_data <- function(n = 100000, na = 1000, nb = 100, seed = 42) {
  set.seed(seed)
  a <- factor(sample.int(na, n, replace = TRUE))
  b <- factor(sample.int(nb, n, replace = TRUE))
  x <- rnorm(n)
  y <- rpois(n, exp(0.2 + 0.3 * x + rnorm(na, 0, 0.5)[a] + rnorm(nb, 0, 0.3)[b]))
  data.frame(y, x, a, b)
}

# MovieLens-shaped ratings: n rows of 1 to 5 stars, `nuser` users of varying activity and
# `nmovie` movies of skewed popularity, each (user, movie) pair at most once.
movielens_like_data <- function(n = 400000, nuser = 4000, nmovie = 1500, seed = 11) {
  set.seed(seed)
  user_weight <- exp(rnorm(nuser, 0, 0.8))
  movie_weight <- (seq_len(nmovie))^-0.9
  pairs <- unique(data.frame(user = sample.int(nuser, 1.3 * n, replace = TRUE, prob = user_weight),
                             movie = sample.int(nmovie, 1.3 * n, replace = TRUE, prob = movie_weight)))
  pairs <- pairs[seq_len(n), ]
  y <- 3.6 + rnorm(nuser, 0, 0.4)[pairs$user] + rnorm(nmovie, 0, 0.5)[pairs$movie] + rnorm(n, 0, 0.9)
  data.frame(y = pmin(5, pmax(1, round(y))), user = factor(pairs$user), movie = factor(pairs$movie))
}

# A kb07-like design (Kronmueller & Barr 2007, as in MixedModels.jl's examples): every subject
# sees every item once, three +-1 factors S, P, C counterbalanced in a Latin square, and
# correlated subject and item effects on all eight coefficients of S * P * C.
kb07_like_data <- function(nsubj = 56, nitem = 32, seed = 2024) {
  set.seed(seed)
  d <- expand.grid(item = seq_len(nitem), subj = seq_len(nsubj))
  cond <- (d$subj + d$item) %% 8
  d$S <- ifelse(cond %% 2 == 0, -1, 1)
  d$P <- ifelse((cond %/% 2) %% 2 == 0, -1, 1)
  d$C <- ifelse(cond %/% 4 == 0, -1, 1)
  X <- stats::model.matrix(~ S * P * C, d)
  correlated <- function(k, sds, rho) {
    R <- matrix(rho, 8, 8)
    diag(R) <- 1
    matrix(stats::rnorm(k * 8), k, 8) %*% chol(diag(sds) %*% R %*% diag(sds))
  }
  bs <- correlated(nsubj, c(300, 60, 60, 80, 30, 30, 30, 20), 0.2)
  bi <- correlated(nitem, c(350, 40, 200, 60, 30, 30, 30, 20), 0.1)
  y <- X %*% c(2200, 70, -330, 80, 10, -20, 15, -30) + rowSums(X * bs[d$subj, ]) + rowSums(X * bi[d$item, ]) +
    stats::rnorm(nrow(d), 0, 650)
  data.frame(y = as.numeric(y), S = d$S, P = d$P, C = d$C, subj = factor(d$subj), item = factor(d$item))
}

# Simulated crossed binary responses: n rows, levels of `a` and `b` drawn independently.
crossed_binomial_data <- function(n = 200000, na = 2000, nb = 500, seed = 43) {
  set.seed(seed)
  a <- factor(sample.int(na, n, replace = TRUE))
  b <- factor(sample.int(nb, n, replace = TRUE))
  x <- rnorm(n)
  y <- rbinom(n, 1, plogis(-0.5 + 0.4 * x + rnorm(na, 0, 0.6)[a] + rnorm(nb, 0, 0.4)[b]))
  data.frame(y, x, a, b)
}

kb07_formula <- y ~ S * P * C + (1 + S * P * C | subj) + (1 + S * P * C | item)

# One benchmark case: a label, a data loader and one fitting function per package; `large` cases
# run only when asked for (GLMMLAB_BENCH_LARGE).
bench_case <- function(label, data, glmmlab, lme4 = NULL, glmmTMB = NULL, large = FALSE) {
  list(label = label, data = data, fitters = list(glmmlab = glmmlab, lme4 = lme4, glmmTMB = glmmTMB), large = large,
       target = if (is.null(lme4) || !is_gaussian_case(label)) "glmmTMB" else "lme4")
}

# Is the case's model linear (its label names no family)? Its targets are set against lmer.
is_gaussian_case <- function(label) !grepl("poisson|binomial|nbinom|Gamma", label)

# The case with only the peers GLMMLAB_BENCH_PEERS asks for: "all" (the default), "target" (the
# one issue 15 sets the case's target against: lmer for LMMs, glmmTMB for GLMMs), or a comma list.
select_peers <- function(case, peers) {
  if (identical(peers, "all")) return(case)
  keep <- if (identical(peers, "target")) case$target else trimws(strsplit(peers, ",")[[1L]])
  for (pkg in setdiff(c("lme4", "glmmTMB"), keep)) case$fitters[pkg] <- list(NULL)
  case
}

bench_cases <- list(
  bench_case("chapter: y ~ 1 + (1|groupID), ML", chapter_data,
             glmmlab = function(d) glmm(y ~ 1 + (1 | groupID), data = d),
             lme4 = function(d) lme4::lmer(y ~ 1 + (1 | groupID), data = d, REML = FALSE),
             glmmTMB = function(d) glmmTMB::glmmTMB(y ~ 1 + (1 | groupID), data = d)),
  bench_case("chapter: y ~ x1 + (1|groupID), ML", chapter_data,
             glmmlab = function(d) glmm(y ~ x1 + (1 | groupID), data = d),
             lme4 = function(d) lme4::lmer(y ~ x1 + (1 | groupID), data = d, REML = FALSE),
             glmmTMB = function(d) glmmTMB::glmmTMB(y ~ x1 + (1 | groupID), data = d)),
  bench_case("blossoms: UBW ~ LBW + (1|pop/patch), ML", blossoms_data,
             glmmlab = function(d) glmm(UBW ~ LBW + (1 | pop/patch), data = d),
             lme4 = function(d) lme4::lmer(UBW ~ LBW + (1 | pop/patch), data = d, REML = FALSE),
             glmmTMB = function(d) glmmTMB::glmmTMB(UBW ~ LBW + (1 | pop/patch), data = d)),
  bench_case("sleepstudy: Reaction ~ Days + (Days|Subject), ML", function() lme4_data("sleepstudy"),
             glmmlab = function(d) glmm(Reaction ~ Days + (Days | Subject), data = d),
             lme4 = function(d) lme4::lmer(Reaction ~ Days + (Days | Subject), data = d, REML = FALSE),
             glmmTMB = function(d) glmmTMB::glmmTMB(Reaction ~ Days + (Days | Subject), data = d)),
  bench_case("sleepstudy: Reaction ~ Days + (Days|Subject), REML", function() lme4_data("sleepstudy"),
             glmmlab = function(d) glmm(Reaction ~ Days + (Days | Subject), data = d, REML = TRUE),
             lme4 = function(d) lme4::lmer(Reaction ~ Days + (Days | Subject), data = d, REML = TRUE),
             glmmTMB = function(d) glmmTMB::glmmTMB(Reaction ~ Days + (Days | Subject), data = d, REML = TRUE)),
  bench_case("Penicillin: diameter ~ 1 + (1|plate) + (1|sample), ML", function() lme4_data("Penicillin"),
             glmmlab = function(d) glmm(diameter ~ 1 + (1 | plate) + (1 | sample), data = d),
             lme4 = function(d) lme4::lmer(diameter ~ 1 + (1 | plate) + (1 | sample), data = d, REML = FALSE),
             glmmTMB = function(d) glmmTMB::glmmTMB(diameter ~ 1 + (1 | plate) + (1 | sample), data = d)),
  bench_case("Eulaema: nbinom2, Eulaema_nigrita ~ MAP + (1|SA)", eulaema_data,
             glmmlab = function(d) glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = d),
             lme4 = function(d) lme4::glmer.nb(Eulaema_nigrita ~ MAP + (1 | SA), data = d),
             glmmTMB = function(d) glmmTMB::glmmTMB(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = d)),
  # the chapter's call, REML = F included (ML, the default for GLMMs in all three packages)
  bench_case("Eulaema: poisson, Eulaema_nigrita ~ forest. + (1|SA), REML = F", eulaema_data,
             glmmlab = function(d) glmm(Eulaema_nigrita ~ forest. + (1 | SA), REML = F, family = "poisson", data = d),
             lme4 = function(d) lme4::glmer(Eulaema_nigrita ~ forest. + (1 | SA), family = poisson, data = d),
             glmmTMB = function(d) glmmTMB::glmmTMB(Eulaema_nigrita ~ forest. + (1 | SA), REML = F, family = "poisson", data = d)),
  bench_case("cbpp: binomial, cbind(incidence, size - incidence) ~ period + (1|herd)", function() lme4_data("cbpp"),
             glmmlab = function(d) glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = d),
             lme4 = function(d) lme4::glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = d),
             glmmTMB = function(d) glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = d)),
  bench_case("grouseticks: poisson, 3 crossed terms", function() lme4_data("grouseticks"),
             glmmlab = function(d) glmm(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), family = poisson, data = d),
             lme4 = function(d) lme4::glmer(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), family = poisson, data = d),
             glmmTMB = function(d) glmmTMB::glmmTMB(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), family = poisson, data = d)),
  bench_case("large: InstEval, y ~ service + (1|s) + (1|d) + (1|dept), ML", function() lme4_data("InstEval"),
             glmmlab = function(d) glmm(y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept), data = d),
             lme4 = function(d) lme4::lmer(y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept), data = d, REML = FALSE),
             glmmTMB = function(d) glmmTMB::glmmTMB(y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept), data = d),
             large = TRUE),
  bench_case("large: simulated 50,000 rows, y ~ x + (x|g), 2000 groups, ML", slopes_data,
             glmmlab = function(d) glmm(y ~ x + (x | g), data = d),
             lme4 = function(d) lme4::lmer(y ~ x + (x | g), data = d, REML = FALSE),
             glmmTMB = function(d) glmmTMB::glmmTMB(y ~ x + (x | g), data = d),
             large = TRUE),
  bench_case("large: simulated 100,000 rows, poisson, y ~ x + (1|a) + (1|b), 1000 x 100 crossed", crossed_poisson_data,
             glmmlab = function(d) glmm(y ~ x + (1 | a) + (1 | b), family = poisson, data = d),
             lme4 = function(d) lme4::glmer(y ~ x + (1 | a) + (1 | b), family = poisson, data = d),
             glmmTMB = function(d) glmmTMB::glmmTMB(y ~ x + (1 | a) + (1 | b), family = poisson, data = d),
             large = TRUE),
  bench_case("large: MovieLens-like 400,000 rows, y ~ 1 + (1|user) + (1|movie), 4000 x 1500 crossed, ML", movielens_like_data,
             glmmlab = function(d) glmm(y ~ 1 + (1 | user) + (1 | movie), data = d),
             lme4 = function(d) lme4::lmer(y ~ 1 + (1 | user) + (1 | movie), data = d, REML = FALSE),
             glmmTMB = function(d) glmmTMB::glmmTMB(y ~ 1 + (1 | user) + (1 | movie), data = d),
             large = TRUE),
  bench_case("large: kb07-like maximal, y ~ S*P*C + (1 + S*P*C|subj) + (1 + S*P*C|item), 1792 rows, ML", kb07_like_data,
             glmmlab = function(d) glmm(kb07_formula, data = d),
             lme4 = function(d) lme4::lmer(kb07_formula, data = d, REML = FALSE),
             glmmTMB = function(d) glmmTMB::glmmTMB(kb07_formula, data = d),
             large = TRUE),
  bench_case("large: simulated 200,000 rows, binomial, y ~ x + (1|a) + (1|b), 2000 x 500 crossed", crossed_binomial_data,
             glmmlab = function(d) glmm(y ~ x + (1 | a) + (1 | b), family = binomial, data = d),
             lme4 = NULL,   # glmer needs many minutes here
             glmmTMB = function(d) glmmTMB::glmmTMB(y ~ x + (1 | a) + (1 | b), family = binomial, data = d),
             large = TRUE)
)

# Median seconds per fit of `fit(data)`: batches of at least `min_sec`, `reps` batches; with
# reps = 0 the time of the one (first) fit.
time_fit <- function(fit, data, reps, min_sec) {
  first <- system.time(model <- fit(data))[["elapsed"]]
  if (reps == 0L) return(list(seconds = first, model = model))
  per_batch <- max(1L, as.integer(ceiling(min_sec / max(first, 1e-4))))
  times <- vapply(seq_len(reps), function(r) {
    start <- proc.time()[["elapsed"]]
    for (i in seq_len(per_batch)) fit(data)
    (proc.time()[["elapsed"]] - start) / per_batch
  }, numeric(1))
  list(seconds = stats::median(times), model = model)
}

# Log-likelihood of a fitted model (a glmmlab fit without a logLik method: its `loglik` field).
model_loglik <- function(model) {
  ll <- tryCatch(as.numeric(stats::logLik(model)), error = function(e) NULL)
  if (is.null(ll) && is.list(model)) ll <- model$loglik
  if (is.null(ll)) NA_real_ else ll
}

# Time one fitter on one case: list(seconds, loglik, failed); NA times when the package is not
# installed or has no fitter for the case, failed = TRUE when the fit stops with an error.
run_fitter <- function(fit, pkg, label, data, reps, min_sec) {
  available <- c(glmmlab = TRUE, lme4 = has_lme4, glmmTMB = has_tmb)
  skipped <- list(seconds = NA_real_, loglik = NA_real_, failed = FALSE)
  if (is.null(fit) || !available[[pkg]]) return(skipped)
  out <- tryCatch(suppressWarnings(suppressMessages(time_fit(fit, data, reps, min_sec))),
                  error = function(e) { message(pkg, " failed on ", label, ": ", conditionMessage(e)); NULL })
  if (is.null(out)) return(replace(skipped, "failed", TRUE))
  list(seconds = out$seconds, loglik = model_loglik(out$model), failed = FALSE)
}

# Extra resident memory (MB) at the peak of one fit of case `index` by `pkg`, measured in a fresh
# Rscript child (see the header); NA when it cannot be measured.
peak_memory_mb <- function(index, pkg) {
  script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (!length(script) || !file.exists("/proc/self/status")) return(NA_real_)
  out <- suppressWarnings(system2(file.path(R.home("bin"), "Rscript"), c(shQuote(script[1]), "--memory-child", index, pkg),
                                  stdout = TRUE, stderr = FALSE,
                                  env = c(paste0("R_LIBS=", paste(.libPaths(), collapse = ":")),
                                          "MALLOC_MMAP_THRESHOLD_=65536", "MALLOC_TRIM_THRESHOLD_=65536")))
  line <- grep("^peak_extra_mb ", out, value = TRUE)
  if (!length(line)) return(NA_real_)
  as.numeric(sub("^peak_extra_mb ", "", line[1]))
}

# A field of /proc/self/status in MB (VmRSS, VmHWM).
proc_status_mb <- function(field) {
  line <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(gsub("[^0-9]", "", line)) / 1024
}

# Child mode: fit case `index` with `pkg` once and print the extra peak memory of the fit.
memory_child <- function(index, pkg) {
  case <- bench_cases[[index]]
  data <- case$data()
  fit <- case$fitters[[pkg]]
  requireNamespace(pkg, quietly = TRUE)
  invisible(gc())
  cat("5", file = "/proc/self/clear_refs")   # peak resident size := current resident size
  before <- proc_status_mb("VmRSS")
  suppressWarnings(suppressMessages(fit(data)))
  cat("peak_extra_mb", proc_status_mb("VmHWM") - before, "\n")
}

# One row of the results table for one case.
run_case <- function(case, reps, min_sec, memory = FALSE) {
  data <- case$data()
  res <- lapply(names(case$fitters), function(pkg) run_fitter(case$fitters[[pkg]], pkg, case$label, data, reps, min_sec))
  names(res) <- names(case$fitters)
  index <- which(vapply(bench_cases, function(b) identical(b$label, case$label), logical(1)))[1]
  mem <- vapply(names(case$fitters), function(pkg) {
    if (!memory || is.na(res[[pkg]]$seconds)) NA_real_ else peak_memory_mb(index, pkg)
  }, numeric(1))
  ms <- vapply(res, function(r) 1000 * r$seconds, numeric(1))
  ll <- vapply(res, `[[`, numeric(1), "loglik")
  failed <- vapply(res, `[[`, logical(1), "failed")
  data.frame(model = case$label, glmmlab_ms = ms[["glmmlab"]], lme4_ms = ms[["lme4"]], glmmTMB_ms = ms[["glmmTMB"]],
             lme4_over_glmmlab = ms[["lme4"]] / ms[["glmmlab"]],
             glmmTMB_over_glmmlab = ms[["glmmTMB"]] / ms[["glmmlab"]],
             logLik_glmmlab = ll[["glmmlab"]],
             dlogLik_lme4 = abs(ll[["glmmlab"]] - ll[["lme4"]]),
             dlogLik_glmmTMB = abs(ll[["glmmlab"]] - ll[["glmmTMB"]]),
             glmmlab_failed = failed[["glmmlab"]], lme4_failed = failed[["lme4"]],
             glmmTMB_failed = failed[["glmmTMB"]],
             glmmlab_MB = mem[["glmmlab"]], lme4_MB = mem[["lme4"]], glmmTMB_MB = mem[["glmmTMB"]],
             stringsAsFactors = FALSE)
}

# Which packages' failures blank out each numeric column of the results table.
failure_sources <- list(glmmlab_ms = "glmmlab", lme4_ms = "lme4", glmmTMB_ms = "glmmTMB",
                        lme4_over_glmmlab = c("lme4", "glmmlab"), glmmTMB_over_glmmlab = c("glmmTMB", "glmmlab"),
                        logLik_glmmlab = "glmmlab", dlogLik_lme4 = c("lme4", "glmmlab"),
                        dlogLik_glmmTMB = c("glmmTMB", "glmmlab"),
                        glmmlab_MB = "glmmlab", lme4_MB = "lme4", glmmTMB_MB = "glmmTMB")

# Column `column` of the table formatted by `fmt`: "failed" where a fitter it depends on failed,
# "n/a" where it was not run.
format_column <- function(tab, column, fmt) {
  failed <- Reduce(`|`, lapply(failure_sources[[column]], function(pkg) tab[[paste0(pkg, "_failed")]]))
  x <- tab[[column]]
  ifelse(failed, "failed", ifelse(is.na(x), "n/a", fmt(x)))
}

# The results table for the console: rounded numbers, "failed" and "n/a" spelled out.
console_table <- function(tab) {
  shown <- tab["model"]
  for (v in names(failure_sources)) {
    fmt <- if (startsWith(v, "dlogLik")) function(x) format(signif(x, 2)) else if (endsWith(v, "_MB")) function(x) format(round(x)) else
      function(x) format(round(x, if (grepl("over", v)) 1 else 2), nsmall = if (grepl("over", v)) 1 else 2)
    shown[[v]] <- vapply(seq_len(nrow(tab)), function(i) format_column(tab[i, ], v, fmt), "")
  }
  shown
}

# The results table as Markdown: ratios first, then the times they come from.
markdown_table <- function(tab) {
  fmt_1 <- function(x) sprintf("%.1f", x)
  fmt_d <- function(x) formatC(x, format = "e", digits = 0)
  lines <- c("| model | lme4 / glmmlab | glmmTMB / glmmlab | glmmlab ms | lme4 ms | glmmTMB ms | abs. logLik diff (lme4, glmmTMB) | peak extra MB (glmmlab, lme4, glmmTMB) |",
             "|---|---:|---:|---:|---:|---:|---|---|")
  fmt_mb <- function(x) sprintf("%.0f", x)
  model <- gsub("|", "\\|", tab$model, fixed = TRUE)  # a bare | would end the Markdown cell
  rows <- sprintf("| %s | %s | %s | %s | %s | %s | %s, %s | %s, %s, %s |", model,
                  format_column(tab, "lme4_over_glmmlab", fmt_1), format_column(tab, "glmmTMB_over_glmmlab", fmt_1),
                  format_column(tab, "glmmlab_ms", fmt_1), format_column(tab, "lme4_ms", fmt_1),
                  format_column(tab, "glmmTMB_ms", fmt_1), format_column(tab, "dlogLik_lme4", fmt_d),
                  format_column(tab, "dlogLik_glmmTMB", fmt_d), format_column(tab, "glmmlab_MB", fmt_mb),
                  format_column(tab, "lme4_MB", fmt_mb), format_column(tab, "glmmTMB_MB", fmt_mb))
  c(lines, rows)
}

# Run every case and print the table (and, if asked, its Markdown form).
main <- function() {
  reps <- as.integer(Sys.getenv("GLMMLAB_BENCH_REPS", "11"))
  min_sec <- as.numeric(Sys.getenv("GLMMLAB_BENCH_MIN_SEC", "0.05"))
  cat(sprintf("glmmlab %s, lme4 %s, glmmTMB %s, %s; median of %d batches per fitter\n",
              utils::packageVersion("glmmlab"),
              if (has_lme4) as.character(utils::packageVersion("lme4")) else "not installed",
              if (has_tmb) as.character(utils::packageVersion("glmmTMB")) else "not installed",
              R.version.string, reps))
  old <- options(width = max(200L, getOption("width")))
  on.exit(options(old))
  large <- identical(tolower(Sys.getenv("GLMMLAB_BENCH_LARGE")), "true")
  only <- Sys.getenv("GLMMLAB_BENCH_ONLY", Sys.getenv("GLMMLAB_BENCH_FILTER"))
  memory <- tolower(Sys.getenv("GLMMLAB_BENCH_MEMORY", if (large) "large" else "false"))
  peers <- Sys.getenv("GLMMLAB_BENCH_PEERS", "all")
  rows <- lapply(bench_cases, function(case) {
    if (case$large && !large) return(NULL)
    if (nzchar(only) && !grepl(only, case$label)) return(NULL)
    case <- select_peers(case, peers)
    run_case(case, reps = if (case$large) 0L else reps, min_sec = min_sec,
             memory = memory == "true" || (memory == "large" && case$large))
  })
  tab <- do.call(rbind, rows[!vapply(rows, is.null, logical(1))])
  print(console_table(tab), row.names = FALSE, right = FALSE)
  cat("ratios above 1: glmmlab is faster; dlogLik: absolute difference from glmmlab's log-likelihood;",
      "lme4 is lmer() for gaussian rows, glmer() or glmer.nb() for the others;",
      "*_MB: extra peak resident memory of one fit in a fresh process (VmHWM), where measured\n")
  if (identical(tolower(Sys.getenv("GLMMLAB_BENCH_MARKDOWN")), "true")) writeLines(c("", markdown_table(tab)))
  invisible(tab)
}

child <- match("--memory-child", commandArgs(TRUE))
if (is.na(child)) main() else memory_child(as.integer(commandArgs(TRUE)[child + 1L]), commandArgs(TRUE)[child + 2L])
