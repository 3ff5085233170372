# The one core interface (R/core.R, src/mixed_core.h) and the parameter map (R/parameter_map.R):
# reads at a parameter vector that do not depend on what was read before, set_response() on a
# core reused across responses, the two factors (blocked, simplicial) agreeing for GLMMs too
# (objective, exact gradient, conditional variances: the selected inverse on the blocked
# factor), the map's round trips, the memory guard and the finite-difference helpers.

core_objective <- glmmlab:::core_objective
core_gradient <- glmmlab:::core_gradient

test_that("a read at par does not depend on the reads before it (LMM and GLMM)", {
  lmm <- glmm(Reaction ~ Days + (Days | Subject), data = fixture_data("sleepstudy"))
  glmm_fit <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = fixture_data("cbpp"), family = binomial)
  for (m in list(lmm, glmm_fit)) {
    at_opt <- core_objective(m$core, m$par)
    expect_equal(at_opt, m$deviance, tolerance = 1e-12)
    for (k in 1:3) core_objective(m$core, m$par * (1 + 0.3 * k))
    # equal up to PIRLS's convergence tolerance (the mode's warm start is the only cache)
    expect_equal(core_objective(m$core, m$par), at_opt, tolerance = 1e-10)
    # methods read the core at the fit's own parameters, whatever was evaluated last
    re1 <- ranef(m, condVar = TRUE)
    core_objective(m$core, m$par * 1.7)
    expect_equal(ranef(m, condVar = TRUE), re1, tolerance = 1e-10)
  }
})

test_that("set_response() swaps the response of a core: the same objective as a new core", {
  cbpp <- fixture_data("cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  y2 <- withr::with_seed(1, rbinom(nrow(cbpp), cbpp$size, 0.2)) / cbpp$size
  core <- glmmlab:::new_fit_core(m)
  glmmlab:::core_set_response(core, y2, m$prior_weights)
  cbpp2 <- transform(cbpp, incidence = y2 * size)
  fresh <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp2, family = binomial)
  expect_equal(core_objective(core, fresh$par), fresh$deviance, tolerance = 1e-10)
  expect_equal(core_objective(core, m$par), core_objective(fresh$core, m$par), tolerance = 1e-10)
  # the fit's own core still has the fit's response
  expect_equal(core_objective(m$core, m$par), m$deviance, tolerance = 1e-12)
  # a refit through a reused core is the fit of the new response
  refit <- glmmlab:::refit_response(m, cbind(y2 * cbpp$size, cbpp$size - y2 * cbpp$size), core = core)
  expect_equal(refit$loglik, fresh$loglik, tolerance = 1e-10)
  expect_equal(refit$beta, fresh$beta, tolerance = 1e-6)
  # the LMM's cross-products are rebuilt with new weights too
  ss <- fixture_data("sleepstudy")
  l <- glmm(Reaction ~ Days + (Days | Subject), data = ss)
  w <- withr::with_seed(2, runif(nrow(ss), 0.5, 2))
  lw <- glmm(Reaction ~ Days + (Days | Subject), data = ss, weights = w)
  lcore <- glmmlab:::new_fit_core(l)
  glmmlab:::core_set_response(lcore, ss$Reaction, w)
  expect_equal(core_objective(lcore, lw$par), lw$deviance, tolerance = 1e-10)
  # the LMM core keeps the factor of the theta it read last: new weights must not reuse it
  lcore2 <- glmmlab:::new_fit_core(l)
  expect_equal(core_objective(lcore2, lw$par), core_objective(l$core, lw$par), tolerance = 1e-12)
  glmmlab:::core_set_response(lcore2, ss$Reaction, w)
  expect_equal(core_objective(lcore2, lw$par), lw$deviance, tolerance = 1e-10)
  glmmlab:::core_set_response(lcore2, ss$Reaction, rep(1, nrow(ss)))
  expect_equal(core_objective(lcore2, lw$par), core_objective(l$core, lw$par), tolerance = 1e-12)
  expect_identical(core_objective(lcore2, l$par), core_objective(lcore2, l$par))
})

test_that("the blocked and simplicial factors give the same Laplace objective, gradient and variances", {
  gt <- fixture_data("grouseticks")
  m <- glmm(TICKS ~ YEAR + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), data = gt, family = poisson)
  d <- withr::with_seed(5, {
    d <- data.frame(x = rnorm(300), g = factor(sample(1:15, 300, TRUE)), h = factor(sample(1:6, 300, TRUE)))
    d$y <- rpois(300, exp(0.5 + 0.3 * d$x + rnorm(15, 0, 0.5)[d$g] + rnorm(6, 0, 0.3)[d$h]))
    d
  })
  m2 <- suppressMessages(glmm(y ~ x + (x | g) + (1 | h), data = d, family = poisson))
  for (fit in list(m, m2)) {
    cores <- lapply(1:2, function(method) {
      glmmlab:::new_core(fit$map, fit$re, fit$X, fit$y, fit$prior_weights, fit$offset, family = fit$family, factor_method = method)
    })
    expect_true(glmmlab:::cpp_core_uses_blocked(cores[[1]]$ptr))
    expect_false(glmmlab:::cpp_core_uses_blocked(cores[[2]]$ptr))
    for (par in list(fit$par, fit$par * 0.8 + 0.05)) {
      expect_equal(core_objective(cores[[1]], par), core_objective(cores[[2]], par), tolerance = 1e-11)
      g <- lapply(cores, core_gradient, par = par)
      expect_lt(max(abs(g[[1]] - g[[2]])), 1e-8 * max(1, abs(g[[2]])))
    }
    for (i in seq_along(fit$re)) {
      expect_equal(glmmlab:::core_condvar(cores[[1]], fit$par, i), glmmlab:::core_condvar(cores[[2]], fit$par, i), tolerance = 1e-9)
    }
    info <- lapply(cores, function(core) glmmlab:::cpp_core_start_info(core$ptr, fit$par))
    expect_equal(info[[1]]$moments, info[[2]]$moments, tolerance = 1e-9)
    expect_equal(info[[1]]$cond_diag, info[[2]]$cond_diag, tolerance = 1e-9)
  }
})

test_that("the parameter map converts between the core's and the user's scales both ways", {
  m <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = eulaema_data())
  map <- m$map
  expect_equal(glmmlab:::map_internal(map, m$theta, m$beta, m$dispersion), m$par, tolerance = 1e-12)
  st <- glmmlab:::core_state(m$core, m$par)
  user <- glmmlab:::map_user(map, m$par, st)
  expect_equal(user$theta, m$theta, tolerance = 1e-12)
  expect_equal(unname(user$beta), unname(m$beta), tolerance = 1e-12)
  expect_equal(user$dispersion, m$dispersion, tolerance = 1e-12)
  psi <- glmmlab:::map_to_psi(map, m$par)
  expect_equal(glmmlab:::map_from_psi(map, psi), m$par, tolerance = 1e-12)
  J <- glmmlab:::map_psi_jacobian(map, psi)
  J_fd <- glmmlab:::fd_jacobian(function(x) glmmlab:::map_from_psi(map, x), psi, 1e-6)
  expect_equal(J, unname(J_fd), tolerance = 1e-7)
  l <- glmm(Reaction ~ Days + (Days | Subject), data = fixture_data("sleepstudy"))
  expect_identical(glmmlab:::map_internal(l$map, l$theta), l$theta)
  expect_equal(glmmlab:::map_re_sigma(l$map, 2), 2)
  expect_equal(glmmlab:::map_re_sigma(map, 2), 1)
})

test_that("the memory guard stops a model whose factor would not fit, naming the estimate and the terms", {
  d <- withr::with_seed(3, data.frame(y = rnorm(3000), a = factor(sample(300, 3000, TRUE)), b = factor(sample(200, 3000, TRUE))))
  expect_error(glmm(y ~ 1 + (1 | a) + (1 | b), data = d, control = glmm_control(max_memory = "100KB")),
               "too large for the memory available.*(about|more than) [0-9.]+ MB.*at most 0.1 MB.*term 2 \\(200 levels")
  expect_error(glmm(y ~ 1 + (1 | a) + (1 | b), data = d, control = glmm_control(max_memory = -1)), "max_memory")
  expect_s3_class(glmm(y ~ 1 + (1 | a) + (1 | b), data = d, control = glmm_control(max_memory = "1GB")), "glmmlab")
  expect_equal(glmmlab:::parse_memory("4GB"), 4e9)
  expect_equal(glmmlab:::parse_memory("250 MB"), 2.5e8)
})

test_that("the finite-difference helpers are exact on polynomials", {
  f <- function(x) x[1]^3 + 2 * x[1] * x[2]^2 - x[2]
  g <- function(x) c(3 * x[1]^2 + 2 * x[2]^2, 4 * x[1] * x[2] - 1)
  x <- c(0.7, -1.3)
  H <- matrix(c(6 * x[1], 4 * x[2], 4 * x[2], 4 * x[1]), 2)
  expect_equal(drop(glmmlab:::fd_jacobian(f, x, 1e-3, points = 4L)), g(x), tolerance = 1e-10)
  expect_equal(glmmlab:::fd_hessian_of_gradient(g, x, 1e-4), H, tolerance = 1e-8)
  expect_equal(glmmlab:::fd_hessian(f, x, 1e-4), H, tolerance = 1e-6)
  ax <- glmmlab:::fd_axes(f, x, 1e-4, f(x), lower = c(0.69995, -Inf))
  expect_equal(ax$at_bound, c(TRUE, FALSE))
  expect_equal(ax$gradient[2], g(x)[2], tolerance = 1e-7)
  expect_equal(ax$curvature[2], H[2, 2], tolerance = 1e-6)
})
