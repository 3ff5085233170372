# The exact gradient of the LMM's profiled deviance (src/lmm_gradient.cpp), the L-BFGS optimizer
# it drives for models with many variance parameters (src/lmm_optimize.cpp), and the ML standard
# errors from differences of exact first derivatives (src/lmm_vcov.cpp), on a reduced kb07-like
# model (fixture kb07_like: 461 rows, two 4 x 4 covariance terms, 20 variance parameters) with
# stored lme4 and glmmTMB references (tests/references/refs_lmm.R).

kb07_formula <- y ~ S * P * C + (1 + S * P | subj) + (1 + S * P | item)
lmm_refs <- stored_references("lmm")

# Central differences of the profiled deviance in each theta (h = 1e-5: truncation ~1e-9, below
# the rounding error that h = 1e-6 brings, ~1e-6 on deviances of a few hundred).
deviance_differences <- function(core, theta, reml, h = 1e-5) {
  vapply(seq_along(theta), function(i) {
    up <- glmmlab:::core_objective(core, replace(theta, i, theta[i] + h), reml)
    down <- glmmlab:::core_objective(core, replace(theta, i, theta[i] - h), reml)
    (up - down) / (2 * h)
  }, numeric(1))
}

# Cores of the fit's model with the blocked (1) and the simplicial sparse (2) factor (R/core.R).
cores_of <- function(m) {
  lapply(1:2, function(method) glmmlab:::new_core(m$map, m$re, m$X, m$y, m$prior_weights, m$offset, factor_method = method))
}

# The gradient equals the deviance's central differences at `thetas`, by ML and REML, with both factors.
expect_gradient_matches <- function(m, thetas, tol = 1e-6) {
  for (core in cores_of(m)) for (theta in thetas) for (reml in c(FALSE, TRUE)) {
    g <- list(deviance = glmmlab:::core_objective(core, theta, reml), gradient = glmmlab:::core_gradient(core, theta, reml))
    expect_true(all(is.finite(g$gradient)))
    fd <- deviance_differences(core, theta, reml)
    expect_lt(max(abs(g$gradient - fd)) / max(1, abs(fd)), tol)
  }
}

test_that("the profiled deviance's gradient matches its finite differences (kb07-like, 20 parameters)", {
  dat <- fixture_data("kb07_like")
  m <- glmm(kb07_formula, data = dat)
  lower <- glmmlab:::core_lower(m$core)
  # at the optimum, away from it, and with one column of the subject term's T zero (a boundary)
  away <- m$theta * withr::with_seed(1, runif(length(m$theta), 0.6, 1.4)) + 0.05 * (lower == 0)
  zero_column <- replace(away, 8:9, 0)   # T_subj's third column: its diagonal and the entry below
  expect_gradient_matches(m, list(m$theta, away, zero_column))
})

test_that("the gradient matches finite differences on the standard models (scalar, slopes, crossed, weights)", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = ss)
  expect_gradient_matches(m, list(m$theta, c(0.5, 0.1, 0.3)))
  m <- glmm(diameter ~ 1 + (1 | plate) + (1 | sample), data = fixture_data("Penicillin"))
  expect_gradient_matches(m, list(m$theta, c(0.8, 2)))
  ss$w <- rep(c(1, 2, 0.5, 1.5), length.out = nrow(ss))
  m <- glmm(Reaction ~ Days + (Days | Subject), data = ss, weights = w)
  expect_gradient_matches(m, list(m$theta, c(0.5, 0.1, 0.3) / sqrt(1.25)))
  d <- withr::with_seed(3, {
    g <- sample.int(60, 500, TRUE); h <- sample.int(15, 500, TRUE); x <- runif(500, -1, 1)
    data.frame(y = 1 + x + rnorm(60)[g] + rnorm(60, 0, 0.4)[g] * x + rnorm(15, 0, 0.6)[h] + rnorm(500, 0, 0.8),
               x, g = factor(g), h = factor(h))
  })
  m <- glmm(y ~ x + (x | g) + (x | h), data = d)
  expect_gradient_matches(m, list(m$theta + 0.02, c(1, 0.2, 0.3, 0.7, -0.1, 0.2)))
})

test_that("the kb07-like model reaches lme4's and glmmTMB's optimum by L-BFGS (stored references)", {
  dat <- fixture_data("kb07_like")
  m <- glmm(kb07_formula, data = dat)
  expect_identical(m$optinfo$optimizer, "lbfgs")
  expect_true(m$optinfo$status > 0)
  expect_false(m$optinfo$singular)
  # at least as high as both peers', and equal to a few 1e-7 (lmer stops with max|grad| 0.004)
  expect_gt(m$loglik - lmm_refs$kb07_ml_lme4_logLik, -1e-7)
  expect_gt(m$loglik - lmm_refs$kb07_ml_tmb_logLik, -1e-7)
  expect_lt(m$loglik - lmm_refs$kb07_ml_tmb_logLik, 1e-5)
  expect_equal(m$beta, lmm_refs$kb07_ml_tmb_beta, tolerance = 1e-5)
  expect_equal(m$sigma, lmm_refs$kb07_ml_tmb_sigma, tolerance = 1e-5)
  expect_equal(unname(m$cov_re$subj), lmm_refs$kb07_ml_tmb_vc_subj, tolerance = 1e-3)
  expect_equal(unname(m$cov_re$item), lmm_refs$kb07_ml_tmb_vc_item, tolerance = 1e-3)
  # ML standard errors as glmmTMB reports them (joint Hessian in beta, theta and log sigma)
  expect_equal(sqrt(diag(m$vcov)), lmm_refs$kb07_ml_tmb_se, tolerance = 2e-4)
  # REML against lmer's criterion, estimates and (conditional) standard errors
  r <- glmm(kb07_formula, data = dat, REML = TRUE)
  expect_identical(r$optinfo$optimizer, "lbfgs")
  expect_lt(-2 * r$loglik - lmm_refs$kb07_reml_lme4_criterion, 1e-7)
  expect_gt(-2 * r$loglik - lmm_refs$kb07_reml_lme4_criterion, -1e-4)
  expect_equal(r$beta, lmm_refs$kb07_reml_lme4_beta, tolerance = 1e-4)
  expect_equal(sqrt(diag(r$vcov)), lmm_refs$kb07_reml_lme4_se, tolerance = 1e-4)
  expect_equal(r$sigma, lmm_refs$kb07_reml_lme4_sigma, tolerance = 1e-5)
})

test_that("BOBYQA and L-BFGS reach the same optimum; the automatic choice follows the number of parameters", {
  dat <- fixture_data("kb07_like")
  m <- glmm(kb07_formula, data = dat)
  b <- glmm(kb07_formula, data = dat, control = glmm_control(optimizer = "bobyqa"))
  expect_identical(b$optinfo$optimizer, "bobyqa")
  expect_lt(abs(m$loglik - b$loglik), 1e-6)
  expect_lt(m$optinfo$evaluations * 5, b$optinfo$evaluations)
  # few parameters: BOBYQA; asked for: L-BFGS, at the same optimum
  ss <- fixture_data("sleepstudy")
  s1 <- glmm(Reaction ~ Days + (Days | Subject), data = ss)
  expect_identical(s1$optinfo$optimizer, "bobyqa")
  s2 <- glmm(Reaction ~ Days + (Days | Subject), data = ss, control = glmm_control(optimizer = "lbfgs"))
  expect_identical(s2$optinfo$optimizer, "lbfgs")
  expect_lt(abs(s1$loglik - s2$loglik), 1e-8)
  expect_equal(s1$beta, s2$beta, tolerance = 1e-6)
  expect_equal(sqrt(diag(s1$vcov)), sqrt(diag(s2$vcov)), tolerance = 1e-6)
})

test_that("L-BFGS steps off a zero column of T that is a saddle point", {
  dat <- fixture_data("kb07_like")
  m <- glmm(kb07_formula, data = dat)
  # a start whose second column of T_subj is zero: the gradient vanishes in that column there, so
  # without the curvature test L-BFGS would keep it zero (a variance direction never tried)
  start <- m$theta
  start[5:7] <- 0
  g <- glmmlab:::core_gradient(m$core, start, FALSE)
  expect_lt(max(abs(g[5:7])), 1e-8)
  s <- glmm(kb07_formula, data = dat, start = list(theta = start))
  expect_lt(abs(s$loglik - m$loglik), 1e-6)
  expect_gt(min(abs(s$theta[5:7])), 1e-3)
})

# Today's ML standard errors, recomputed in R as glmmlab computed them before the exact gradient:
# second differences of -2 log L at beta = betahat (theta block, O(k^2) evaluations) and first
# differences of Q and betahat (from the state at theta +- h), inverted as the joint Hessian.
joint_vcov_by_second_differences <- function(m) {
  core <- m$core
  theta <- m$theta
  k <- length(theta)
  s2 <- m$sigma^2
  st0 <- glmmlab:::core_state(core, theta, FALSE)
  beta <- st0$beta
  at <- function(th) {
    st <- glmmlab:::core_state(core, th, FALSE)
    Q <- st$pwrss + sum((st$RX %*% (beta - st$beta))^2)
    list(f = st$logdet_L2 + Q / s2, Q = Q, beta = st$beta)
  }
  h <- 1e-4 * pmax(abs(theta), 0.1)
  p0 <- at(theta)
  plus <- lapply(seq_len(k), function(i) at(replace(theta, i, theta[i] + h[i])))
  minus <- lapply(seq_len(k), function(i) at(replace(theta, i, theta[i] - h[i])))
  Hbb <- 2 * crossprod(st0$RX) / s2
  Hpp <- matrix(0, k + 1, k + 1)
  Hbp <- matrix(0, length(beta), k + 1)
  for (i in seq_len(k)) {
    Hpp[i, i] <- (plus[[i]]$f - 2 * p0$f + minus[[i]]$f) / h[i]^2
    for (j in seq_len(i - 1L)) {
      pp <- theta; pp[c(i, j)] <- pp[c(i, j)] + h[c(i, j)]
      mm <- theta; mm[c(i, j)] <- mm[c(i, j)] - h[c(i, j)]
      Hpp[i, j] <- Hpp[j, i] <- (at(pp)$f + at(mm)$f - plus[[i]]$f - minus[[i]]$f - plus[[j]]$f - minus[[j]]$f + 2 * p0$f) /
        (2 * h[i] * h[j])
    }
    Hpp[i, k + 1] <- Hpp[k + 1, i] <- -2 * (plus[[i]]$Q - minus[[i]]$Q) / (2 * h[i]) / s2
    Hbp[, i] <- -Hbb %*% (plus[[i]]$beta - minus[[i]]$beta) / (2 * h[i])
  }
  Hpp[k + 1, k + 1] <- 4 * p0$Q / s2
  2 * solve(Hbb - Hbp %*% solve(Hpp, t(Hbp)))
}

test_that("ML standard errors from exact first derivatives equal those of the second-difference Hessian", {
  m <- glmm(kb07_formula, data = fixture_data("kb07_like"))
  old <- joint_vcov_by_second_differences(m)
  expect_equal(unname(sqrt(diag(m$vcov))), sqrt(diag(old)), tolerance = 1e-6)
  expect_equal(unname(m$vcov), unname(old), tolerance = 1e-5)
  # with slopes crossed with a second factor (unbalanced), and on the chapter's model
  d <- withr::with_seed(3, {
    g <- sample.int(60, 500, TRUE); h <- sample.int(15, 500, TRUE); x <- runif(500, -1, 1)
    data.frame(y = 1 + x + rnorm(60)[g] + rnorm(60, 0, 0.4)[g] * x + rnorm(15, 0, 0.6)[h] + rnorm(500, 0, 0.8),
               x, g = factor(g), h = factor(h))
  })
  m <- glmm(y ~ x + (x | g) + (1 | h), data = d)
  expect_equal(unname(sqrt(diag(m$vcov))), sqrt(diag(joint_vcov_by_second_differences(m))), tolerance = 1e-6)
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  expect_equal(unname(sqrt(diag(m$vcov))), sqrt(diag(joint_vcov_by_second_differences(m))), tolerance = 1e-6)
})

test_that("the kb07-like model reaches a live lmer fit's optimum", {
  skip_if_not_installed("lme4")
  skip_on_cran()
  dat <- fixture_data("kb07_like")
  m <- glmm(kb07_formula, data = dat)
  f <- suppressWarnings(lme4::lmer(kb07_formula, data = dat, REML = FALSE))
  expect_gt(m$loglik - as.numeric(stats::logLik(f)), -1e-7)
  expect_lt(abs(m$loglik - as.numeric(stats::logLik(f))), 1e-4)
  expect_equal(unname(m$beta), unname(lme4::fixef(f)), tolerance = 1e-4)
})
