# The analytic gradient of the Laplace approximation (src/glmm_core.cpp) and the per-observation
# derivatives it rests on (obs_derivs() in src/families.cpp), checked against finite differences;
# and the L-BFGS fits it drives, checked against the derivative-free BOBYQA path.

family_code <- function(family, link) {
  tab <- cpp_family_table()
  c(match(family, tab$family), match(link, tab$link)) - 1L
}

test_that("per-observation third derivatives and dispersion derivatives match finite differences", {
  cases <- list(c("binomial", "logit"), c("binomial", "probit"), c("binomial", "cloglog"), c("poisson", "log"),
                c("poisson", "sqrt"), c("poisson", "identity"), c("gaussian", "log"), c("gaussian", "inverse"),
                c("Gamma", "log"), c("Gamma", "inverse"), c("nbinom2", "log"), c("nbinom1", "log"))
  withr::local_seed(1)
  for (cs in cases) {
    code <- family_code(cs[1], cs[2])
    positive_eta <- cs[2] %in% c("sqrt", "identity", "inverse")
    eta <- if (positive_eta) runif(25, 0.5, 3) else rnorm(25, 0, 1.5)
    y <- switch(cs[1], binomial = rbinom(25, 5, 0.4) / 5, gaussian = rnorm(25, 3), Gamma = rexp(25), rpois(25, 3))
    w <- if (cs[1] == "binomial") rep(5, 25) else rep(1, 25)
    phi <- switch(cs[1], gaussian = 1.3, Gamma = 0.7, nbinom2 = 2.1, nbinom1 = 1.7, 1)
    ev <- function(e, ph) cpp_family_eval(code[1], code[2], y, e, w, ph)
    D <- cpp_family_derivs(code[1], code[2], y, eta, w, phi)
    label <- paste(cs, collapse = "/")
    expect_equal(D[, 1], ev(eta, phi)[, 2], tolerance = 1e-12, label = paste(label, "gradient"))
    expect_equal(D[, 2], ev(eta, phi)[, 3], tolerance = 1e-12, label = paste(label, "information"))
    h <- 1e-5
    expect_equal(D[, 3], (ev(eta + h, phi)[, 3] - ev(eta - h, phi)[, 3]) / (2 * h), tolerance = 1e-7,
                 label = paste(label, "d information / d eta"))
    if (cs[1] %in% c("gaussian", "Gamma", "nbinom2", "nbinom1")) {
      num <- (ev(eta, phi * exp(h)) - ev(eta, phi * exp(-h))) / (2 * h)
      expect_equal(D[, 4:6], num[, 1:3], tolerance = 1e-7, label = paste(label, "d / d log phi"))
    }
  }
})

# Five-point finite-difference gradient of the Laplace deviance at par.
numeric_gradient <- function(core, par, h = 1e-3) {
  f <- function(x) core_objective(core, x)
  vapply(seq_along(par), function(i) {
    e <- replace(numeric(length(par)), i, h * max(1, abs(par[i])))
    (f(par - 2 * e) - 8 * f(par - e) + 8 * f(par + e) - f(par + 2 * e)) / (12 * e[i])
  }, numeric(1))
}

# The analytic and numeric gradients away from the optimum (where they are not ~0).
expect_gradient_matches <- function(m, label) {
  par <- m$par
  k <- length(m$theta)
  par <- par + withr::with_seed(3, rnorm(length(par), 0, 0.05))
  par[seq_len(k)] <- abs(par[seq_len(k)]) + 0.05
  analytic <- core_gradient(m$core, par)
  numeric <- numeric_gradient(m$core, par)
  expect_true(all(abs(analytic) > 1e-3), label = paste(label, ": a point away from the optimum"))
  expect_lt(max(abs(analytic - numeric) / pmax(1, abs(numeric))), 1e-5, label = paste(label, ": relative error"))
}

test_that("the analytic Laplace gradient matches finite differences across families, links and terms", {
  quiet <- function(...) suppressMessages(glmm(...))
  cbpp <- reference_data("lme4::cbpp")
  expect_gradient_matches(quiet(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial), "cbpp")
  d <- withr::with_seed(5, {
    d <- data.frame(g = factor(rep(1:30, each = 10)), h = factor(rep(1:15, 20)), x = rnorm(300))
    d$y <- rpois(300, exp(0.5 + 0.3 * d$x + rep(rnorm(30, 0, 0.5), each = 10) + d$x * rep(rnorm(30, 0, 0.3), each = 10)))
    d$yb <- rbinom(300, 1, plogis(d$x))
    d$yg <- rgamma(300, shape = 2, rate = 2 / exp(0.2 + 0.3 * d$x))
    d
  })
  expect_gradient_matches(quiet(y ~ x + (x | g), data = d, family = poisson), "poisson, correlated slopes")
  expect_gradient_matches(quiet(y ~ x + (x || g) + (1 | h), data = d, family = poisson), "poisson, ||, crossed")
  expect_gradient_matches(quiet(yb ~ x + (x | g), data = d, family = binomial(link = "probit")), "probit slopes")
  expect_gradient_matches(quiet(yg ~ x + (1 | g), data = d, family = Gamma(link = "log")), "Gamma(log)")
  expect_gradient_matches(quiet(yg ~ x + (1 | g), data = d, family = gaussian(link = "log")), "gaussian(log)")
  expect_gradient_matches(quiet(y ~ x + (1 | g), data = d, family = "nbinom2"), "nbinom2")
  expect_gradient_matches(quiet(y ~ x + (1 | g), data = d, family = "nbinom1"), "nbinom1")
})

test_that("L-BFGS with the analytic gradient and BOBYQA reach the same optimum", {
  d <- withr::with_seed(7, {
    d <- data.frame(g = factor(rep(1:20, each = 8)), x = rnorm(160))
    d$y <- rnbinom(160, mu = exp(1 + 0.4 * d$x + rep(rnorm(20, 0, 0.6), each = 8)), size = 3)
    d
  })
  fast <- glmm(y ~ x + (1 | g), data = d, family = "nbinom2")
  slow <- glmm(y ~ x + (1 | g), data = d, family = "nbinom2", control = glmm_control(optimizer = "bobyqa"))
  expect_identical(fast$optinfo$optimizer, "lbfgs")
  expect_identical(slow$optinfo$optimizer, "bobyqa")
  expect_equal(fast$loglik, slow$loglik, tolerance = 1e-10)
  expect_equal(fixef(fast)$cond, fixef(slow)$cond, tolerance = 1e-6)
  expect_equal(sigma(fast), sigma(slow), tolerance = 1e-5)
  expect_equal(sqrt(diag(vcov(fast)$cond)), sqrt(diag(vcov(slow)$cond)), tolerance = 1e-5)
})

test_that("a factor element that L-BFGS drives to its bound 0 (a saddle) is escaped", {
  # slope_counts_data(): L-BFGS's first step puts the slope's
  # diagonal element at 0, where the deviance is even in it and its gradient vanishes
  d <- slope_counts_data()
  # glmmTMB 1.1.5: logLik(glmmTMB(cnt ~ x + (x | g), d, family = poisson)) = -186.9755
  m <- glmm(cnt ~ x + (x | g), d, family = poisson)
  expect_equal(m$loglik, -186.9755, tolerance = 1e-4)
  expect_false(m$optinfo$singular)
  expect_identical(m$optinfo$optimizer, "lbfgs")
})

test_that("the selected inverse gives the leverages of the exact inverse (crossed terms, fill-in)", {
  # with crossed terms, H's Cholesky factor has fill-in; the gradient's leverages come from the
  # Takahashi recurrences on that factor. A wrong entry would show in the theta gradient.
  g <- reference_data("lme4::grouseticks")
  m <- suppressMessages(glmm(TICKS ~ YEAR + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), data = g, family = poisson))
  expect_gradient_matches(m, "grouseticks crossed")
})

test_that("a crossed Poisson GLMM with fill-in (5,000 rows, 200 x 40 levels) matches glmmTMB", {
  d <- withr::with_seed(42, {
    n <- 5000
    d <- data.frame(a = factor(sample(200, n, TRUE)), b = factor(sample(40, n, TRUE)), x = rnorm(n))
    d$y <- rpois(n, exp(0.2 + 0.3 * d$x + rnorm(200, 0, 0.5)[d$a] + rnorm(40, 0, 0.3)[d$b]))
    d
  })
  m <- glmm(y ~ x + (1 | a) + (1 | b), family = poisson, data = d)
  # glmmTMB 1.1.5: m <- glmmTMB(y ~ x + (1 | a) + (1 | b), family = poisson, data = d)
  #   logLik -7586.63863389; fixef 0.2732463170 0.3124385171; SDs a 0.4493255587, b 0.3520811498;
  #   SEs 0.06554677566 0.01164606850
  expect_equal(m$loglik, -7586.63863389, tolerance = 1e-4 / 7586)
  expect_equal(unname(fixef(m)$cond), c(0.2732463170, 0.3124385171), tolerance = 1e-4)
  expect_equal(unname(sapply(VarCorr(m)$cond, function(v) attr(v, "stddev"))), c(0.4493255587, 0.3520811498), tolerance = 1e-4)
  expect_equal(unname(sqrt(diag(vcov(m)$cond))), c(0.06554677566, 0.01164606850), tolerance = 1e-4)
  expect_identical(m$optinfo$optimizer, "lbfgs")
  skip_if_not_installed("glmmTMB")
  live <- glmmTMB::glmmTMB(y ~ x + (1 | a) + (1 | b), family = poisson, data = d)
  expect_equal(m$loglik, as.numeric(logLik(live)), tolerance = 1e-4 / 7586)
})

test_that("a fit stopped early is reported as not converged, from the gradient at its end point", {
  sleepstudy <- fixture_data("sleepstudy")
  loose <- glmm_control(ftol_abs = 10, ftol_rel = 0.1, xtol_abs = 1)
  expect_warning(m <- glmm(Reaction ~ Days + (Days | Subject), sleepstudy, control = loose),
                 "did not converge \\(the gradient at the end point is not zero")
  expect_identical(m$optinfo$status, -10L)
  expect_false(summary(m)$converged)
  ok <- glmm(Reaction ~ Days + (Days | Subject), sleepstudy)
  expect_true(summary(ok)$converged)
  # GLMM: a converged fit passes the check; L-BFGS capped at 3 evaluations is reported
  cbpp <- reference_data("lme4::cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  expect_true(summary(g)$converged)
  expect_warning(g3 <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial,
                            control = glmm_control(maxeval = 3)), "did not converge")
  expect_false(summary(g3)$converged)
})

test_that("optimizer = \"lbfgs\" has no fallback: it stops with a clear error where L-BFGS fails", {
  # Poisson with an identity link, zero counts where the mean reaches 0: the optimum is on the
  # edge of the support, where L-BFGS's line search fails; "auto" falls back to BOBYQA
  d <- withr::with_seed(1, {
    d <- data.frame(g = factor(rep(1:6, each = 8)), x = runif(48, -1, 1))
    d$y <- rpois(48, 5 * pmax(d$x + 0.5, 0))
    d
  })
  fit <- function(opt) suppressWarnings(suppressMessages(glmm(y ~ x + (1 | g), d, family = poisson(link = "identity"),
                                                                control = glmm_control(optimizer = opt))))
  auto <- fit("auto")
  expect_true(is.finite(auto$loglik))
  expect_identical(auto$optinfo$optimizer, "bobyqa")
  expect_error(fit("lbfgs"), "L-BFGS failed on this model; use glmm_control\\(optimizer = \"auto\"\\)")
  # nbinom2 on 0/1 responses (underdispersed): the size drifts to infinity. This used to end
  # L-BFGS (the gradient lost finiteness there); with the negative binomial's terms formed without
  # cancellation it reaches the Poisson limit, above where BOBYQA stops.
  b <- bad_input_data()
  nb <- function(opt) suppressWarnings(suppressMessages(glmm(bin ~ x + (1 | g), b, family = "nbinom2",
                                                               control = glmm_control(optimizer = opt))))
  lb <- nb("lbfgs")
  expect_identical(lb$optinfo$optimizer, "lbfgs")
  expect_lt(abs(lb$loglik - suppressMessages(glmm(bin ~ x + (1 | g), b, family = poisson))$loglik), 1e-6)
  expect_gte(lb$loglik, nb("bobyqa")$loglik)
})
