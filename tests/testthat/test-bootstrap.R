# test-bootstrap.R: the parametric bootstrap (R/bootstrap.R): refits use the simulated responses,
# replicates are reproducible under a seed, failures and interrupts are not fatal, REML and
# GLMM refits, and the default statistic has confint()'s names. Interval accuracy is tested in
# test-confint.R (against lme4's bootstrap and profile intervals) and test-varpart.R.

sleep_fit <- function(...) glmm(Reaction ~ Days + (1 | Subject), data = reference_data("lme4::sleepstudy"), ...)

test_that("refits are fitted to the responses simulate() draws with the same seed", {
  m <- sleep_fit()
  b <- bootstrap(m, function(f) f$y, nsim = 3, seed = 42, progress = FALSE)
  sims <- simulate(m, nsim = 3, seed = 42)
  expect_equal(unname(b$t), unname(t(as.matrix(sims))))
  expect_equal(unname(b$t0), m$y)
  # the refit's estimates are those of a full glmm() fit to the simulated response
  d <- reference_data("lme4::sleepstudy")
  d$Reaction <- sims$sim_2
  direct <- glmm(Reaction ~ Days + (1 | Subject), data = d)
  b2 <- bootstrap(m, function(f) c(fixef(f)$cond, sigma = sigma(f), logLik = as.numeric(logLik(f))), nsim = 2, seed = 42, progress = FALSE)
  expect_equal(b2$t[2, ], c(fixef(direct)$cond, sigma = sigma(direct), logLik = as.numeric(logLik(direct))), tolerance = 1e-6)
})

test_that("binomial refits see the simulated counts (cbind response) and match a direct fit", {
  cbpp <- reference_data("lme4::cbpp")
  form <- cbind(incidence, size - incidence) ~ period + (1 | herd)
  g <- glmm(form, data = cbpp, family = binomial)
  sims <- simulate(g, nsim = 2, seed = 3)
  b <- bootstrap(g, function(f) c(f$y, fixef(f)$cond), nsim = 2, seed = 3, progress = FALSE)
  k <- as.vector(unclass(sims$sim_2)[, 1])
  expect_equal(unname(b$t[2, seq_len(nrow(cbpp))]), k / cbpp$size)
  d <- cbpp
  d$incidence <- k
  direct <- glmm(form, data = d, family = binomial)
  expect_equal(unname(b$t[2, -seq_len(nrow(cbpp))]), unname(fixef(direct)$cond), tolerance = 1e-5)
  # the refit's model frame holds the simulated counts too
  fr <- bootstrap(g, function(f) model.frame(f)[[1L]][, 1L], nsim = 1, seed = 3, progress = FALSE)
  expect_equal(unname(fr$t[1, ]), as.vector(unclass(sims$sim_1)[, 1]))
})

test_that("replicates are reproducible under a seed and differ between seeds", {
  m <- sleep_fit()
  b1 <- bootstrap(m, nsim = 5, seed = 7, progress = FALSE)
  b2 <- bootstrap(m, nsim = 5, seed = 7, progress = FALSE)
  expect_identical(b1$t, b2$t)
  set.seed(7)
  b3 <- bootstrap(m, nsim = 5, progress = FALSE)
  expect_identical(b1$t, b3$t)
  expect_false(isTRUE(all.equal(b1$t, bootstrap(m, nsim = 5, seed = 8, progress = FALSE)$t)))
  # the default statistic: confint()'s parameters, estimates first
  expect_identical(colnames(b1$t), c(".sig01", ".sigma", "(Intercept)", "Days"))
  expect_equal(b1$t0, c(.sig01 = sqrt(m$cov_re$Subject[1, 1]), .sigma = sigma(m), fixef(m)$cond))
  expect_identical(dim(as.data.frame(b1)), c(5L, 4L))
})

test_that("REML fits are refitted by REML; conditional simulation keeps the random effects", {
  m <- sleep_fit(REML = TRUE)
  b <- bootstrap(m, function(f) c(reml = f$REML, sigma = sigma(f)), nsim = 2, seed = 1, progress = FALSE)
  expect_identical(unname(b$t[, "reml"]), c(1, 1))
  # re.form = NULL: responses vary around the fitted values with the residual SD only
  bc <- bootstrap(sleep_fit(), function(f) f$y, nsim = 20, seed = 1, re.form = NULL, progress = FALSE)
  m0 <- sleep_fit()
  expect_equal(sd(as.vector(sweep(bc$t, 2, fitted(m0)))), sigma(m0), tolerance = 0.05)
})

test_that("failed refits are counted and reported, not fatal; interrupts keep finished replicates", {
  m <- sleep_fit()
  calls <- 0
  flaky <- function(f) {
    calls <<- calls + 1
    if (calls %% 3 == 0) stop("planned failure")
    fixef(f)$cond
  }
  b <- bootstrap(m, flaky, nsim = 6, seed = 1, progress = FALSE)
  expect_identical(b$nfail, 2L)   # calls 3 and 6 are replicates 2 and 5
  expect_identical(which(!complete.cases(b$t)), c(2L, 5L))
  expect_output(print(b), "2 of 6 refits failed \\(left out\\)")
  expect_output(print(b), "2 x planned failure")
  expect_true(all(is.finite(confint(b))))
  # a statistic of the wrong length is a failure of that replicate
  n <- 0
  ragged <- function(f) { n <<- n + 1; if (n == 2) 1 else c(a = 1, b = 2) }
  expect_identical(bootstrap(m, ragged, nsim = 3, seed = 1, progress = FALSE)$nfail, 1L)
  # an interrupt during replicate 3 keeps replicates 1 and 2, with a warning
  k <- 0
  interrupting <- function(f) {
    k <<- k + 1
    if (k == 4) signalCondition(structure(class = c("interrupt", "condition"), list()))
    fixef(f)$cond
  }
  expect_warning(bi <- bootstrap(m, interrupting, nsim = 10, seed = 1, progress = FALSE), "interrupted: 2 of 10")
  expect_identical(dim(bi$t), c(2L, 2L))
  expect_identical(bi$t, bootstrap(m, function(f) fixef(f)$cond, nsim = 2, seed = 1, progress = FALSE)$t)
})

test_that("bootstrap of count and Gamma GLMMs gives the dispersion as .sigma; bad input is rejected", {
  set.seed(2)
  g <- factor(rep(1:12, each = 10))
  x <- rnorm(120)
  d <- data.frame(g, x, y = rnbinom(120, mu = exp(1 + 0.3 * x + rnorm(12, sd = 0.5)[g]), size = 2))
  m <- glmm(y ~ x + (1 | g), data = d, family = "nbinom2")
  b <- bootstrap(m, nsim = 20, seed = 1, progress = FALSE)
  expect_identical(names(b$t0), c(".sig01", ".sigma", "(Intercept)", "x"))
  expect_equal(b$t0[[".sigma"]], sigma(m))
  ci <- confint(b)
  expect_true(all(ci[, 1] <= b$t0 & b$t0 <= ci[, 2]))
  p <- glmm(y ~ x + (1 | g), data = d, family = poisson)
  expect_identical(names(bootstrap(p, nsim = 1, seed = 1, progress = FALSE)$t0), c(".sig01", "(Intercept)", "x"))
  expect_error(bootstrap(lm(y ~ x, d)), "must be a model fitted by glmm")
  expect_error(bootstrap(m, nsim = 0), "`nsim` must be a whole number")
  expect_error(bootstrap(m, function(f) "a", nsim = 1), "`FUN` must return a numeric vector")
})

test_that("the progress bar and plot work", {
  m <- sleep_fit()
  expect_output(b <- bootstrap(m, nsim = 3, seed = 1, progress = TRUE), "100%")
  pdf(NULL)
  on.exit(dev.off())
  expect_identical(plot(b, which = c("Days", ".sigma")), b)
})

test_that("bootstrap is faster than lme4::bootMer for the same replicates", {
  skip_on_cran()
  skip_if_not_installed("lme4")
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  fm <- lme4::lmer(Reaction ~ Days + (Days | Subject), sleep, REML = FALSE)
  ours <- system.time(bootstrap(m, function(f) fixef(f)$cond, nsim = 40, seed = 1, progress = FALSE))[["elapsed"]]
  theirs <- system.time(suppressMessages(suppressWarnings(lme4::bootMer(fm, lme4::fixef, nsim = 40, seed = 1))))[["elapsed"]]
  expect_lt(ours, theirs)
})

test_that("bootstrap and profile intervals give the same numbers on one core and on two", {
  skip_on_os("windows")   # no forking there: cores > 1 runs in the same process
  m <- sleep_fit()
  b1 <- bootstrap(m, nsim = 6, seed = 5, progress = FALSE, cores = 1)
  b2 <- bootstrap(m, nsim = 6, seed = 5, progress = FALSE, cores = 2)
  expect_identical(b1$t, b2$t)
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = reference_data("lme4::cbpp"), family = binomial)
  gb1 <- bootstrap(g, function(f) fixef(f)$cond, nsim = 4, seed = 2, progress = FALSE, cores = 1)
  gb2 <- bootstrap(g, function(f) fixef(f)$cond, nsim = 4, seed = 2, progress = FALSE, cores = 2)
  expect_identical(gb1$t, gb2$t)
  # the fit's own core keeps its response: its methods read the fit, not the last replicate
  expect_equal(glmmlab:::core_objective(g$core, g$par), g$deviance, tolerance = 1e-12)
  p1 <- confint(g, parm = c(".sig01", "period2"), method = "profile", cores = 1)
  p2 <- confint(g, parm = c(".sig01", "period2"), method = "profile", cores = 2)
  expect_equal(p1, p2, tolerance = 1e-9)
  expect_error(bootstrap(m, nsim = 2, cores = 0), "`cores` must be a whole number")
})
