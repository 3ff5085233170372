# Fuzz test: a few hundred random models (formula x family x data size x broken values), fitted in
# child R processes so that a crash of the C++ core cannot take the test run down with it. Every
# case must end in an R error or in a fit with a finite log-likelihood and finite estimates, and
# no child process may die. Cases are drawn with a fixed seed; each child fits a batch of them.

fuzz_formulas <- c(
  "y ~ x + (1 | g)", "y ~ x + (x | g)", "y ~ x + (x || g)", "y ~ x + f + (1 | g) + (1 | h)",
  "y ~ x + (1 | g / h)", "y ~ 1 + (1 | g:h)", "y ~ x * f + (1 | g)", "y ~ x + offset(o) + (1 | g)",
  "y ~ 0 + x + (0 + x | g)", "y ~ x + z + (1 | g) + (0 + z | g)"
)
fuzz_families <- c("gaussian", "poisson", "binomial", "binomial_cbind", "Gamma_log", "nbinom2", "nbinom1",
                   "gaussian_log", "binomial_probit", "binomial_cloglog", "Gamma_inverse")
fuzz_breakages <- c("none", "none", "na_y", "inf_y", "nan_x", "inf_x", "na_g", "constant_y", "constant_x",
                    "one_level", "huge_x", "tiny_x", "huge_y", "zero_y", "negative_y", "duplicate_x",
                    "weights", "bad_weights", "na_weights", "huge_offset", "row_groups", "shifted_x",
                    "huge_weights")

# The random cases: one list per fit (draw them under a fixed seed).
fuzz_cases <- function(n_cases) {
  lapply(seq_len(n_cases), function(i) {
    list(id = i, seed = sample.int(1e6, 1L), formula = sample(fuzz_formulas, 1L), family = sample(fuzz_families, 1L),
         n = sample(c(3L, 6L, 12L, 30L, 60L, 150L), 1L), ngroups = sample(c(2L, 3L, 5L, 10L), 1L),
         breakage = sample(fuzz_breakages, 1L))
  })
}

# Run inside the child: simulate the case's data, break it, fit, and summarize the outcome.
fuzz_run_case <- function(case) {
  set.seed(case$seed)
  n <- case$n
  g <- factor(sample(seq_len(case$ngroups), n, replace = TRUE))
  h <- factor(sample(c("h1", "h2", "h3"), n, replace = TRUE))
  x <- rnorm(n)
  z <- runif(n)
  f <- factor(sample(c("a", "b", "c"), n, replace = TRUE))
  eta <- 0.3 + 0.5 * x + rnorm(nlevels(g), sd = 0.8)[g]
  fam <- case$family
  y <- switch(fam,
    gaussian = , gaussian_log = exp(eta / 2) + rnorm(n, sd = 0.3),
    poisson = , nbinom2 = , nbinom1 = rpois(n, exp(eta)),
    binomial = , binomial_probit = , binomial_cloglog = rbinom(n, 1, plogis(eta)),
    binomial_cbind = rbinom(n, 5, plogis(eta)),
    Gamma_log = , Gamma_inverse = rgamma(n, shape = 2, rate = 2 / exp(eta)))
  dat <- data.frame(y = y, x = x, z = z, f = f, g = g, h = h, o = rnorm(n, sd = 0.1))
  w <- NULL
  b <- case$breakage
  pick <- sample.int(n, max(1L, n %/% 10L))
  if (b == "na_y") dat$y[pick] <- NA
  if (b == "inf_y") dat$y[pick] <- Inf
  if (b == "nan_x") dat$x[pick] <- NaN
  if (b == "inf_x") dat$x[pick] <- -Inf
  if (b == "na_g") dat$g[pick] <- NA
  if (b == "constant_y") dat$y <- dat$y[1L]
  if (b == "constant_x") dat$x <- 2
  if (b == "one_level") dat$g <- factor("only")
  if (b == "huge_x") dat$x <- dat$x * 10^sample(c(6, 12, 150), 1L)
  if (b == "tiny_x") dat$x <- dat$x * 10^-sample(c(6, 12, 150), 1L)
  if (b == "huge_y") dat$y <- dat$y * 1e120
  if (b == "zero_y") dat$y <- 0
  if (b == "negative_y") dat$y[pick] <- -dat$y[pick] - 1
  if (b == "duplicate_x") dat$z <- dat$x
  if (b == "weights") w <- runif(n, 0.5, 3)
  if (b == "bad_weights") w <- c(-1, runif(n - 1L))
  if (b == "na_weights") w <- replace(runif(n, 0.5, 3), pick, NA)
  if (b == "huge_weights") w <- runif(n, 0.5, 3) * 1e20
  if (b == "huge_offset") dat$o <- dat$o + 1e12
  if (b == "row_groups") dat$g <- factor(seq_len(n))
  if (b == "shifted_x") dat$x <- dat$x + 1e4
  formula <- stats::as.formula(case$formula)
  family <- switch(fam, gaussian = gaussian(), gaussian_log = gaussian(link = "log"), poisson = poisson(),
                   binomial = , binomial_cbind = binomial(), binomial_probit = binomial(link = "probit"),
                   binomial_cloglog = binomial(link = "cloglog"), Gamma_log = Gamma(link = "log"),
                   Gamma_inverse = Gamma(link = "inverse"), nbinom2 = "nbinom2", nbinom1 = "nbinom1")
  if (fam == "binomial_cbind") formula[[2L]] <- quote(cbind(y, 5 - y))
  fit <- tryCatch(suppressWarnings(suppressMessages(glmm(formula, data = dat, family = family, weights = w))),
                  error = function(e) e)
  if (inherits(fit, "error")) return(list(id = case$id, outcome = "error", message = conditionMessage(fit)))
  finite <- is.finite(fit$loglik) && all(is.finite(fit$beta)) && all(is.finite(fit$theta))
  printed <- tryCatch({ utils::capture.output(print(fit), summary(fit)); "" }, error = function(e) conditionMessage(e))
  list(id = case$id, outcome = if (finite) "fit" else "non-finite fit", loglik = fit$loglik, message = printed)
}

# Fit a batch of cases in one child process; the index of the case being fitted is written to
# `progress` first, so that a crash can be traced to its case.
fuzz_run_batch <- function(cases, progress, run_case = fuzz_run_case) {
  environment(run_case) <- globalenv()   # sent to the child without this file's environment
  callr::r(function(cases, progress, run_case) {
    suppressPackageStartupMessages(library(glmmlab))
    lapply(cases, function(case) {
      writeLines(as.character(case$id), progress)
      run_case(case)
    })
  }, args = list(cases = cases, progress = progress, run_case = run_case), libpath = .libPaths())
}

# All cases, batch by batch; a crashing case is recorded and the rest of its batch run in a new child.
fuzz_run_all <- function(cases, batch_size, run_case = fuzz_run_case) {
  results <- list()
  crashes <- list()
  queue <- cases
  progress <- tempfile("fuzz_progress")
  on.exit(unlink(progress))
  while (length(queue)) {
    batch <- queue[seq_len(min(batch_size, length(queue)))]
    unlink(progress)
    out <- tryCatch(fuzz_run_batch(batch, progress, run_case), error = function(e) e)
    if (!inherits(out, "error")) {
      results <- c(results, out)
      queue <- queue[-seq_along(batch)]
      next
    }
    if (!is.null(out$parent)) stop("the fuzz child failed with an R error: ", conditionMessage(out$parent), call. = FALSE)
    crashed_id <- if (file.exists(progress)) as.integer(readLines(progress)) else batch[[1L]]$id
    crashes <- c(crashes, Filter(function(cs) cs$id == crashed_id, batch))
    ids <- vapply(queue, `[[`, 1L, "id")
    queue <- queue[ids != crashed_id]   # cases before the crash are fitted again: their results died with the child
  }
  list(results = results, crashes = crashes)
}

# One line describing a case, for failure messages.
fuzz_describe <- function(case) {
  sprintf("case %d: glmm(%s, family = %s) n = %d, %d groups, breakage %s, seed %d", case$id, case$formula,
          case$family, case$n, case$ngroups, case$breakage, case$seed)
}

test_that("the fuzz runner tells a crashed child from an R error and resumes after the crash", {
  skip_on_cran()
  skip_if_not_installed("callr")
  skip_if(system.file("libs", package = "glmmlab") == "", "glmmlab is not installed (the children load it with library())")
  crash_on_2 <- function(case) {
    if (case$id == 2L) tools::pskill(Sys.getpid(), tools::SIGKILL)
    list(id = case$id, outcome = "fit", message = "")
  }
  run <- fuzz_run_all(lapply(1:4, function(i) list(id = i)), batch_size = 3, run_case = crash_on_2)
  expect_equal(vapply(run$crashes, `[[`, 1L, "id"), 2L)
  expect_equal(vapply(run$results, `[[`, 1L, "id"), c(1L, 3L, 4L))
  expect_error(fuzz_run_all(list(list(id = 1L)), batch_size = 1, run_case = function(case) stop("boom")),
               "the fuzz child failed with an R error: boom")
})

test_that("random formulas, families, sizes and broken data never crash R and never return a non-finite fit", {
  skip_on_cran()
  skip_if_not_installed("callr")
  skip_if_not_installed("withr")
  skip_if(system.file("libs", package = "glmmlab") == "", "glmmlab is not installed (the children load it with library())")
  cases <- withr::with_seed(20240611, fuzz_cases(300))
  run <- fuzz_run_all(cases, batch_size = 30)
  crashed <- vapply(run$crashes, fuzz_describe, "")
  expect(length(crashed) == 0L, paste(c("child R processes crashed on:", crashed), collapse = "\n"))
  expect_equal(length(run$results) + length(run$crashes), length(cases))
  outcomes <- vapply(run$results, `[[`, "", "outcome")
  described <- vapply(cases, fuzz_describe, "")
  ids <- vapply(run$results, `[[`, 1L, "id")
  bad <- described[ids[outcomes == "non-finite fit"]]
  expect(length(bad) == 0L, paste(c("fits returned a non-finite log-likelihood or estimates:", bad), collapse = "\n"))
  print_errors <- vapply(run$results, function(r) if (r$outcome == "fit") r$message else "", "")
  bad_print <- paste(described[ids[nzchar(print_errors)]], print_errors[nzchar(print_errors)], sep = ": ")
  expect(!any(nzchar(print_errors)), paste(c("print() or summary() failed on fits:", bad_print), collapse = "\n"))
  # the mix exercises both outcomes
  expect_gt(sum(outcomes == "fit"), 100)
  expect_gt(sum(outcomes == "error"), 30)
})
