# Larger crossed LMMs (issue #4): the leading-block + supernodal factor against stored lme4 numbers,
# a live lmer fit when lme4 is installed, and the simplicial sparse factor.

# 12,000 ratings: 1500 students x 8 ratings of 300 lecturers in 12 departments (InstEval's shape).
crossed_data <- function() {
  withr::with_seed(20261127, {
    n_student <- 1500; n_lecturer <- 300; n_dept <- 12
    dept_of <- sample.int(n_dept, n_lecturer, replace = TRUE)
    s <- rep(seq_len(n_student), each = 8)
    d <- sample.int(n_lecturer, length(s), replace = TRUE)
    x <- rnorm(length(s))
    y <- 3 + 0.3 * x + rnorm(n_student, 0, 0.5)[s] + rnorm(n_lecturer, 0, 0.7)[d] +
      rnorm(n_dept, 0, 0.3)[dept_of[d]] + rnorm(length(s))
    data.frame(y, x, s = factor(s), d = factor(d), dept = factor(dept_of[d]))
  })
}

# A random-slopes term crossed with a second factor (leading blocks of 2 columns, and a rest).
slopes_crossed_data <- function() {
  withr::with_seed(7, {
    n <- 1200; g <- sample.int(150, n, replace = TRUE); h <- sample.int(40, n, replace = TRUE)
    x <- runif(n, -1, 1)
    b0 <- rnorm(150, 0, 1); b1 <- 0.4 * b0 + rnorm(150, 0, 0.5)
    y <- 1 + 0.5 * x + b0[g] + b1[g] * x + rnorm(40, 0, 0.6)[h] + rnorm(n, 0, 0.8)
    data.frame(y, x, g = factor(g), h = factor(h))
  })
}

crossed_formula <- y ~ x + (1 | s) + (1 | d) + (1 | dept)

# lme4 1.1-31 (R 4.2.2, Matrix 1.5-3), data from crossed_data():
#   f <- lmer(y ~ x + (1 | s) + (1 | d) + (1 | dept), data = dat, REML = FALSE)
#   logLik(f)  -18246.6416069353;  fixef(f)  2.865267300240495  0.281400681399811
#   getME(f, "theta")  0.498902011507099  0.751919283293073  0.285119811990911;  sigma(f)  0.994119154039042
#   as.data.frame(VarCorr(f))$vcov  0.2459843022838729 (s) 0.5587523059173235 (d) 0.0803399718313781 (dept) 0.9882728924273007
#   f2 <- update(f, REML = TRUE): REMLcrit(f2)  36503.5850448004;  fixef(f2)  2.864654208622663  0.281402234441427
#   sqrt(diag(vcov(f2)))  0.09812762053452725  0.00960084537179661
crossed_ref <- list(
  logLik = -18246.6416069353, beta = c(2.865267300240495, 0.281400681399811),
  theta = c(0.498902011507099, 0.751919283293073, 0.285119811990911), sigma = 0.994119154039042,
  vc = c(s = 0.2459843022838729, d = 0.5587523059173235, dept = 0.0803399718313781),
  reml_crit = 36503.5850448004, reml_beta = c(2.864654208622663, 0.281402234441427),
  reml_se = c(0.09812762053452725, 0.00960084537179661)
)

test_that("a 12,000-row crossed model matches stored lmer numbers (ML and REML)", {
  dat <- crossed_data()
  m <- glmm(crossed_formula, data = dat)
  expect_lt(abs(m$loglik - crossed_ref$logLik), 1e-6)
  expect_equal(unname(m$beta), crossed_ref$beta, tolerance = 1e-5)
  expect_equal(unname(m$theta), crossed_ref$theta, tolerance = 1e-4)
  expect_equal(m$sigma, crossed_ref$sigma, tolerance = 1e-6)
  for (g in names(crossed_ref$vc)) expect_equal(c(m$cov_re[[g]]), crossed_ref$vc[[g]], tolerance = 1e-4, label = g)
  expect_true(glmmlab:::cpp_core_uses_blocked(m$core$ptr))
  m2 <- glmm(crossed_formula, data = dat, REML = TRUE)
  expect_lt(abs(-2 * m2$loglik - crossed_ref$reml_crit), 2e-6)
  expect_equal(unname(m2$beta), crossed_ref$reml_beta, tolerance = 1e-5)
  expect_equal(unname(sqrt(diag(m2$vcov))), crossed_ref$reml_se, tolerance = 1e-4)
})

test_that("the crossed model reaches a live lmer fit's optimum", {
  skip_if_not_installed("lme4")
  skip_on_cran()
  dat <- crossed_data()
  m <- glmm(crossed_formula, data = dat)
  f <- lme4::lmer(crossed_formula, data = dat, REML = FALSE)
  ll <- as.numeric(stats::logLik(f))
  expect_gt(m$loglik - ll, -1e-6)
  expect_lt(abs(m$loglik - ll), 1e-5)
  expect_equal(unname(m$beta), unname(lme4::fixef(f)), tolerance = 1e-5)
})

# Cores for the same model with the blocked (1) and the simplicial sparse (2) factor.
both_cores <- function(m) {
  lapply(1:2, function(method) glmmlab:::new_core(m$map, m$re, m$X, m$y, m$prior_weights, m$offset, factor_method = method))
}

# The two factors give the same deviance, estimates and conditional variances at several theta.
expect_factors_agree <- function(m) {
  cores <- both_cores(m)
  expect_true(glmmlab:::cpp_core_uses_blocked(cores[[1]]$ptr))
  expect_false(glmmlab:::cpp_core_uses_blocked(cores[[2]]$ptr))
  lower <- glmmlab:::core_lower(cores[[1]])
  thetas <- list(m$theta, rep(1, length(m$theta)), m$theta * 0.5 + 0.05 * (lower == 0), ifelse(lower == 0, 0.01, -0.2))
  for (th in thetas) for (reml in c(FALSE, TRUE)) {
    s1 <- glmmlab:::core_state(cores[[1]], th, reml)
    s2 <- glmmlab:::core_state(cores[[2]], th, reml)
    expect_equal(s1$deviance, s2$deviance, tolerance = 1e-10)
    expect_equal(s1$logdet_L2, s2$logdet_L2, tolerance = 1e-10)
    expect_equal(s1$beta, s2$beta, tolerance = 1e-8)
    expect_equal(s1$b, s2$b, tolerance = 1e-7)
  }
  for (term in seq_along(m$re)) {
    expect_equal(glmmlab:::core_condvar(cores[[1]], m$theta, term),
                 glmmlab:::core_condvar(cores[[2]], m$theta, term), tolerance = 1e-8)
  }
}

test_that("blocked and sparse factors agree on a crossed model", {
  m <- glmm(crossed_formula, data = crossed_data())
  expect_factors_agree(m)
})

test_that("blocked and sparse factors agree with random slopes crossed with a second factor", {
  m <- glmm(y ~ x + (x | g) + (1 | h), data = slopes_crossed_data())
  expect_factors_agree(m)
})

# Every level of `a` sees every level of `b` twice: the leading levels share their rows, so the
# blocked factor updates them together as one wide panel.
balanced_crossed_data <- function() {
  withr::with_seed(3, {
    a <- rep(1:40, each = 24); b <- rep(rep(1:12, each = 2), 40); x <- rnorm(960)
    y <- 1 + 0.5 * x + rnorm(40)[a] + 0.3 * rnorm(40)[a] * x + rnorm(12, 0, 0.7)[b] + rnorm(960)
    data.frame(y, x, a = factor(a), b = factor(b))
  })
}

test_that("blocked and sparse factors agree on a balanced fully crossed design (levels sharing their rows)", {
  expect_factors_agree(glmm(y ~ x + (1 | a) + (1 | b), data = balanced_crossed_data()))
  expect_factors_agree(glmm(y ~ x + (x | a) + (1 | b), data = balanced_crossed_data()))
})

test_that("blocked and sparse factors agree on nested and single-term models", {
  m <- glmm(UBW ~ LBW + (1 | pop/patch), data = reference_data("blossoms"))
  expect_factors_agree(m)
  m <- glmm(Reaction ~ Days + (Days | Subject), data = reference_data("lme4::sleepstudy"))
  expect_factors_agree(m)
})

test_that("verbose = TRUE shows the optimizer's progress for LMMs", {
  dat <- crossed_data()[1:2000, ]
  out <- capture.output(m <- glmm(crossed_formula, data = dat, verbose = TRUE))
  expect_gt(length(out), 10)
  expect_match(out[1], "^ *1: ")
})

test_that("a user's start$theta is kept on large models (no moment start replaces it)", {
  dat <- crossed_data()
  # With verbose = TRUE the optimizer prints each point it evaluates; its first is the start. The
  # moment start (tried only when no start is given) would replace a poor start such as 3, 3, 3.
  out <- capture.output(m_user <- glmm(crossed_formula, data = dat, start = c(3, 3, 3), verbose = TRUE))   # lme4's theta
  expect_match(out[1L], "\\[ 3 3 3 \\]")
  expect_lt(abs(m_user$loglik - crossed_ref$logLik), 1e-6)
  out <- capture.output(m <- glmm(crossed_formula, data = dat, verbose = TRUE))
  expect_no_match(out[1L], "\\[ 1 1 1 \\]")   # the moment start, not the identity
  expect_lt(abs(m$loglik - crossed_ref$logLik), 1e-6)
})

test_that("weights far from 1 on a large model: the moment start's steps follow theta's scale", {
  dat <- crossed_data()
  dat$w <- 1e20
  m <- glmm(crossed_formula, data = dat, weights = w)   # constant weights: the unweighted fit
  expect_lt(abs(m$loglik - crossed_ref$logLik), 1e-6)
  expect_equal(unname(m$theta) * 1e10, crossed_ref$theta, tolerance = 1e-4)
  expect_false(m$optinfo$singular)
})

# Each of 300 levels of `a` sees 6 random levels of `b` (of 15): every pair of b's levels meets
# in some level of a, so the rest of the blocked factor is dense and taken in its natural order
# (no minimum-degree ordering), its levels' rows all different (one-column updates).
dense_rest_data <- function() {
  withr::with_seed(5, {
    a <- rep(1:300, each = 6)
    b <- unlist(lapply(1:300, function(i) sample.int(15, 6)))
    x <- rnorm(1800)
    y <- 1 + 0.5 * x + rnorm(300)[a] + rnorm(15, 0, 0.7)[b] + rnorm(1800)
    data.frame(y, x, a = factor(a), b = factor(b))
  })
}

test_that("blocked and sparse factors agree when the rest of the blocked factor is dense", {
  expect_factors_agree(glmm(y ~ x + (1 | a) + (1 | b), data = dense_rest_data()))
  expect_factors_agree(glmm(y ~ x + (1 | a) + (x | b), data = dense_rest_data()))
})
