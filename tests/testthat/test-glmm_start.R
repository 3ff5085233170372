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

test_that("the GLM start falls back to glm.fit() where the family finds no start of its own", {
  # gaussian(log) with a non-positive response: the family's initialize refuses, glm.fit decides
  expect_null(glmmlab:::glm_eta_start(c(-1, 2, 3), rep(1, 3), gaussian(link = "log")))
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
    dev0 <- glmmlab:::cpp_glmm_objective(m$core, par0)
    em <- glmmlab:::em_start(m$core, par0, m$re, nrow(m$X), has_dispersion = FALSE)
    expect_lt(glmmlab:::cpp_glmm_objective(m$core, em$par), dev0)
    expect_lt(sum(abs(em$par - m$par)), sum(abs(par0 - m$par)))
    expect_length(em$scale, length(m$par))
    expect_true(all(is.finite(em$scale) & em$scale > 0))
    # step = FALSE keeps the user's theta and still gives the preconditioner (the same for beta)
    kept <- glmmlab:::em_start(m$core, par0, m$re, nrow(m$X), has_dispersion = FALSE, step = FALSE)
    expect_identical(kept$par, par0)
    expect_equal(kept$scale[-seq_len(ntheta)], em$scale[-seq_len(ntheta)])
    expect_true(all(is.finite(kept$scale) & kept$scale > 0))
    glmmlab:::cpp_glmm_objective(m$core, m$par)
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
    glmmlab:::cpp_glmm_objective(m$core, replace(m$par, 1:4, theta))
  }
  expect_equal(glmmlab:::cpp_glmm_objective(m$core, m$par), m$deviance, tolerance = 1e-10)
  expect_equal(glmmlab:::cpp_glmm_objective(fresh$core, m$par), m$deviance, tolerance = 1e-10)
})
