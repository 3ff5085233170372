# Crossed GLMMs on the blocked factor's dense mode (src/blocked_cholesky.h: a leading term whose
# levels fill the rest updates it by dense products) and on the start's Newton step for the fixed
# effects (models of 10,000 rows and more, R/glmm_start.R), against stored glmmTMB 1.1.5 fits
# (tests/references/refs_dense.R) and, where glmmTMB is installed, live ones.

refs <- stored_references("dense")

# Compare a glmmlab fit with a stored (or live) glmmTMB summary.
expect_matches_tmb <- function(m, ref, label) {
  expect_lt(abs(m$loglik - ref$logLik), 1e-4)
  expect_gt(m$loglik - ref$logLik, -1e-6)   # at glmmTMB's optimum or above
  # within 1e-4 standard errors: on binomial_three glmmTMB's end point ("relative convergence")
  # has an intercept 5e-6 (4e-5 SEs) from glmmlab's, whose log-likelihood is 1.4e-9 higher
  expect_lt(max(abs(fixef(m)$cond - ref$beta) / sqrt(diag(ref$vcov))), 1e-4, label = paste(label, "beta"))
  expect_identical(names(fixef(m)$cond), names(ref$beta))
  expect_equal(unname(vcov(m)$cond), unname(ref$vcov), tolerance = 1e-4, label = paste(label, "vcov"))
  sds <- vapply(VarCorr(m)$cond, function(v) attr(v, "stddev")[[1L]], numeric(1))
  expect_equal(sds, ref$sd, tolerance = 1e-4, label = paste(label, "SDs"))
}

# The data sets and models of refs_dense.R.
dense_cases <- list(
  poisson_dense = list(data = function() crossed_counts_data(200, 30, 40, seed = 1601), formula = y ~ x + (1 | a) + (1 | b),
                       family = poisson, dense = TRUE),
  binomial_three = list(data = function() crossed_counts_data(250, 20, 30, seed = 1602, family = "binomial", n_c = 6),
                        formula = y ~ x + (1 | a) + (1 | b) + (1 | c), family = binomial, dense = TRUE),
  poisson_large = list(data = function() crossed_counts_data(300, 40, 40, seed = 1603), formula = y ~ x + (1 | a) + (1 | b),
                       family = poisson, dense = TRUE),
  binomial_large = list(data = function() crossed_counts_data(400, 300, 30, seed = 1604, family = "binomial"),
                        formula = y ~ x + (1 | a) + (1 | b), family = binomial, dense = FALSE),
  gaussian_dense = list(data = function() crossed_counts_data(200, 30, 40, seed = 1601), formula = log1p(y) ~ x + (1 | a) + (1 | b),
                        family = gaussian, dense = TRUE)
)

test_that("crossed GLMMs and an LMM on the dense mode and on the sparse rest match glmmTMB's fits", {
  for (name in names(dense_cases)) {
    case <- dense_cases[[name]]
    m <- glmm(case$formula, data = case$data(), family = case$family)
    expect_identical(glmmlab:::cpp_core_uses_dense_lead(m$core$ptr), case$dense, label = paste(name, "dense mode"))
    expect_true(glmmlab:::cpp_core_uses_blocked(m$core$ptr))
    expect_matches_tmb(m, refs[[name]], name)
  }
})

test_that("the dense mode's selected inverse gives the exact gradient and conditional variances", {
  case <- dense_cases$poisson_dense
  m <- glmm(case$formula, data = case$data(), family = case$family)
  core <- glmmlab:::ensure_core(m)
  expect_true(glmmlab:::cpp_core_uses_dense_lead(core$ptr))
  # the exact gradient against a five-point stencil of the Laplace objective, off the optimum
  par <- m$par + c(0.05, -0.04, 0.02, 0.01)
  g <- glmmlab:::core_gradient(core, par)
  fd <- drop(glmmlab:::fd_jacobian(function(x) glmmlab:::core_objective(core, x), par, 1e-4, points = 4L))
  expect_equal(g, fd, tolerance = 1e-6)
  # conditional SDs of b against those of the simplicial factor (Eigen's, no dense mode)
  simplicial <- glmmlab:::new_core(m$map, m$re, m$X, m$y, m$prior_weights, m$offset, family = m$family, factor_method = 2L)
  expect_false(glmmlab:::cpp_core_uses_blocked(simplicial$ptr))
  for (term in 1:2) {
    expect_equal(glmmlab:::core_condvar(core, m$par, term), glmmlab:::core_condvar(simplicial, m$par, term), tolerance = 1e-10)
  }
  expect_equal(glmmlab:::core_objective(core, m$par), glmmlab:::core_objective(simplicial, m$par), tolerance = 1e-12)
})

test_that("the dense-mode fits reach live glmmTMB fits' optima", {
  skip_if_not_installed("glmmTMB")
  skip_on_cran()
  for (name in c("poisson_dense", "binomial_three")) {
    case <- dense_cases[[name]]
    d <- case$data()
    m <- glmm(case$formula, data = d, family = case$family)
    f <- glmmTMB::glmmTMB(case$formula, data = d, family = case$family)
    live <- list(logLik = as.numeric(stats::logLik(f)), beta = glmmTMB::fixef(f)$cond, vcov = unclass(stats::vcov(f)$cond),
                 sd = vapply(glmmTMB::VarCorr(f)$cond, function(v) attr(v, "stddev")[[1L]], numeric(1)))
    expect_matches_tmb(m, live, paste(name, "live"))
  }
})
