# Where GLMM fits start (R/glmm_start.R): the GLM fitted by Newton-Raphson in C++ against
# glm.fit(), and the EM step with its L-BFGS preconditioner; and the core's in-place update of
# Z Lambda, which every evaluation after the first relies on.

test_that("the C++ GLM start reproduces glm.fit() across families, links, weights and offsets", {
  withr::local_seed(3)
  n <- 200
  X <- cbind(1, x = rnorm(n), z = runif(n))
  off <- rnorm(n, 0, 0.2)
  trials <- sample(1:6, n, replace = TRUE)
  cases <- list(
    list(family = poisson(), y = rpois(n, exp(0.3 + 0.4 * X[, 2])), w = rep(1, n), offset = off),
    list(family = poisson(link = "sqrt"), y = rpois(n, (1.5 + 0.3 * X[, 2])^2), w = rep(1, n), offset = rep(0, n)),
    list(family = binomial(), y = rbinom(n, trials, plogis(0.2 + X[, 2])) / trials, w = trials, offset = rep(0, n)),
    list(family = binomial(link = "probit"), y = rbinom(n, 1, pnorm(0.5 * X[, 2])), w = rep(1, n), offset = off),
    list(family = binomial(link = "cloglog"), y = rbinom(n, 1, 1 - exp(-exp(-0.5 + 0.5 * X[, 2]))), w = rep(1, n), offset = rep(0, n)),
    list(family = Gamma(link = "log"), y = rgamma(n, 2, 2 / exp(1 + 0.3 * X[, 2])), w = rep(1, n), offset = off),
    list(family = Gamma(), y = rgamma(n, 2, 2 * (0.5 + 0.1 * X[, 3])), w = rep(1, n), offset = rep(0, n)),
    list(family = gaussian(link = "log"), y = exp(1 + 0.2 * X[, 2]) + rnorm(n, 0, 0.3), w = runif(n, 0.5, 2), offset = rep(0, n))
  )
  for (cs in cases) {
    label <- paste(cs$family$family, cs$family$link)
    ref <- suppressWarnings(glm.fit(X, cs$y, weights = cs$w, offset = cs$offset, family = cs$family,
                                    control = list(epsilon = 1e-14, maxit = 100)))
    start <- glmmlab:::glm_start(X, cs$y, cs$w, cs$offset, cs$family)
    expect_equal(start$beta, unname(ref$coefficients), tolerance = 1e-7, label = label)
  }
  # nbinom starts from the Poisson GLM, with a moment estimate of the dispersion
  y <- rnbinom(n, size = 2, mu = exp(1 + 0.5 * X[, 2]))
  ref <- glm.fit(X, y, family = poisson(), control = list(epsilon = 1e-14, maxit = 100))
  start <- glmmlab:::glm_start(X, y, rep(1, n), rep(0, n), list(family = "nbinom2", link = "log"))
  expect_equal(start$beta, unname(ref$coefficients), tolerance = 1e-7)
  expect_gt(start$phi, 1)
  expect_lt(start$phi, 4)
})

test_that("the GLM start falls back to the link of the mean where the family finds no start of its own", {
  # gaussian(log) with a non-positive response: the family's initialize refuses; every row starts
  # at the link of the weighted mean (never at eta = 0, flat for the sqrt link); NULL when that is
  # not valid either (glm.fit() then decides)
  expect_equal(glmmlab:::glm_eta_start(c(-1, 2, 3), rep(1, 3), gaussian(link = "log")), rep(log(4 / 3), 3))
  expect_equal(glmmlab:::glm_eta_start(c(-1, 2, 3), c(1, 1, 2), gaussian(link = "sqrt")), rep(sqrt(7 / 4), 3))
  expect_null(glmmlab:::glm_eta_start(c(-3, 1, 1), rep(1, 3), gaussian(link = "log")))
  withr::local_seed(4)
  X <- cbind(1, rnorm(50))
  y <- exp(1 + 0.3 * X[, 2]) + rnorm(50, 0, 0.2)
  y[1] <- 0
  start <- glmmlab:::glm_start(X, y, rep(1, 50), rep(0, 50), gaussian(link = "log"))
  expect_length(start$beta, 2L)
  expect_true(all(is.finite(start$beta)))
})

test_that("the EM step lowers the Laplace deviance from theta = 1 and moves toward the optimum", {
  cbpp <- reference_data("lme4::cbpp")
  gt <- reference_data("lme4::grouseticks")
  fits <- list(glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial),
               glmm(TICKS ~ YEAR + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), data = gt, family = poisson))
  for (m in fits) {
    ntheta <- length(glmmlab:::theta_start(m$re))
    par0 <- replace(m$par, seq_len(ntheta), 1)
    dev0 <- glmmlab:::core_objective(m$core, par0)
    em <- glmmlab:::em_start(m$core, par0, m$re, nrow(m$X), has_dispersion = FALSE)
    expect_lt(glmmlab:::core_objective(m$core, em$par), dev0)
    expect_lt(sum(abs(em$par - m$par)), sum(abs(par0 - m$par)))
    expect_length(em$scale, length(m$par))
    expect_true(all(is.finite(em$scale) & em$scale > 0))
    # step = FALSE keeps the user's theta and still gives the preconditioner (the same for beta)
    kept <- glmmlab:::em_start(m$core, par0, m$re, nrow(m$X), has_dispersion = FALSE, step = FALSE)
    expect_identical(kept$par, par0)
    expect_equal(kept$scale[-seq_len(ntheta)], em$scale[-seq_len(ntheta)])
    expect_true(all(is.finite(kept$scale) & kept$scale > 0))
    glmmlab:::core_objective(m$core, m$par)
  }
})

test_that("the preconditioned L-BFGS reaches the optimum that BOBYQA finds, with a dispersion parameter", {
  d <- eulaema_data()
  lb <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = d)
  bq <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = d, control = glmm_control(optimizer = "bobyqa"))
  expect_identical(lb$optinfo$optimizer, "lbfgs")
  expect_equal(lb$loglik, bq$loglik, tolerance = 1e-9)
  expect_equal(lb$par, bq$par, tolerance = 1e-5)
})

test_that("Z Lambda is updated in place: evaluations after other thetas give the fresh values", {
  withr::local_seed(5)
  d <- data.frame(x = rnorm(300), g = factor(sample(1:15, 300, TRUE)), h = factor(sample(1:6, 300, TRUE)))
  d$y <- rpois(300, exp(0.5 + 0.3 * d$x + rnorm(15, 0, 0.5)[d$g] + rnorm(6, 0, 0.3)[d$h]))
  m <- suppressMessages(glmm(y ~ x + (x | g) + (1 | h), data = d, family = poisson))
  fresh <- suppressMessages(glmm(y ~ x + (x | g) + (1 | h), data = d, family = poisson, start = list(theta = m$theta)))
  for (theta in list(c(2, 0.5, 1, 0), c(0, 0, 0, 3), c(0.1, -1, 0.2, 0.4))) {
    glmmlab:::core_objective(m$core, replace(m$par, 1:4, theta))
  }
  expect_equal(glmmlab:::core_objective(m$core, m$par), m$deviance, tolerance = 1e-10)
  expect_equal(glmmlab:::core_objective(fresh$core, m$par), m$deviance, tolerance = 1e-10)
})

# Simulated data of the restart checks below (from a sweep of random models that compared fits
# before and after the EM start): grouping factors g and h, predictors x and z, and a response
# drawn by draw(n, eta) from a linear predictor with a random intercept and slope per g.
saddle_sim <- function(seed, draw) {
  withr::with_seed(seed, {
    ng <- sample(c(5, 12, 40), 1); n <- sample(c(60, 200, 800), 1)
    g <- factor(sample.int(ng, n, TRUE)); h <- factor(sample.int(4, n, TRUE))
    x <- rnorm(n, 0, sample(c(1, 100), 1)); z <- runif(n)
    b <- rnorm(ng, 0, runif(1, 0, 1)); s <- rnorm(ng, 0, runif(1, 0, 0.3))
    eta <- -0.5 + 0.3 * x / sd(x) + b[g] + s[g] * x / sd(x)
    data.frame(y = draw(n, eta), x, z, g, h)
  })
}

test_that("a boundary saddle of a correlated term is left by stepping off with both signs below the zero", {
  # The optimum has a tiny intercept variance and a correlation near -1. L-BFGS stops where the
  # intercept SD is 0 and the entry below it carries the slope: there both of that entry's signs
  # give the same deviance, and only the negative one descends once the SD leaves 0.
  # glmmTMB 1.1.5: glmmTMB(y ~ x + (x | g), data = d, family = Gamma(link = "log")) -> logLik -154.08306857
  d <- saddle_sim(4, function(n, eta) rgamma(n, 3, 3 / exp(eta)))
  m <- suppressMessages(glmm(y ~ x + (x | g), data = d, family = Gamma(link = "log")))
  expect_equal(m$loglik, -154.08306857, tolerance = 1e-4 / 154)
  expect_lt(m$theta[2], 0)   # the negative correlation
  if (requireNamespace("glmmTMB", quietly = TRUE)) {
    live <- suppressWarnings(glmmTMB::glmmTMB(y ~ x + (x | g), data = d, family = Gamma(link = "log")))
    expect_gt(m$loglik, as.numeric(logLik(live)) - 1e-4)
  }
})

test_that("a negative binomial model with two crossed terms reaches glmmTMB's optimum from the EM start", {
  # glmmTMB 1.1.5: glmmTMB(y ~ x + z + (1 | g) + (1 | h), data = d, family = nbinom2) -> logLik -211.287040472
  d <- saddle_sim(8, function(n, eta) rnbinom(n, size = 1.5, mu = exp(eta)))
  m <- suppressMessages(glmm(y ~ x + z + (1 | g) + (1 | h), data = d, family = "nbinom2"))
  expect_equal(m$loglik, -211.287040472, tolerance = 1e-4 / 211)
  if (requireNamespace("glmmTMB", quietly = TRUE)) {
    live <- glmmTMB::glmmTMB(y ~ x + z + (1 | g) + (1 | h), data = d, family = glmmTMB::nbinom2)
    expect_equal(m$loglik, as.numeric(logLik(live)), tolerance = 1e-4 / 211)
  }
})

test_that("a fit that fails the gradient check after L-BFGS gets a BOBYQA run from its end point", {
  # stands in for an L-BFGS run that reports success at a singular point away from the optimum
  # (no Newton polish runs there): the variance at 0, the fixed effects off by 0.3
  original <- glmmlab:::optimize_lbfgs
  stops_short <- function(core, par0, lower, upper, control, ...) {
    opt <- original(core, par0, lower, upper, control, ...)
    state <- glmmlab:::core_state(core, c(0, opt$par[-1] + 0.3))
    state[c("evaluations", "status", "message", "optimizer")] <- list(opt$evaluations, 4L, "stopped short", "lbfgs")
    state
  }
  utils::assignInNamespace("optimize_lbfgs", stops_short, "glmmlab")
  withr::defer(utils::assignInNamespace("optimize_lbfgs", original, "glmmlab"))
  cbpp <- reference_data("lme4::cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  expect_identical(m$optinfo$optimizer, "bobyqa")
  expect_true(summary(m)$converged)
  expect_matches_reference(m, stored_references("core")$cbpp_binom_tmb, tol_ll = 1e-4, rel_tol = 1e-3)
})

test_that("L-BFGS stopped by maxeval says so, not \"converged\"", {
  cbpp <- reference_data("lme4::cbpp")
  expect_warning(m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial,
                           control = glmm_control(maxeval = 4)), "did not converge")
  expect_no_match(m$optinfo$message, "^converged")
})
