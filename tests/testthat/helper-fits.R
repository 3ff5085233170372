# helper-fits.R: the data sets the stored reference entries name, and a comparison of a glmm fit
# with a stored reference entry (logLik absolute, estimates relative).

# The data set a reference entry names: "chapter_sim", "blossoms", "Eulaema", "gamma_sim",
# "sleepstudy_w", or "<package>::<name>" for a data set borrowed from lme4 or glmmTMB, read from
# its stored fixture (so the tests need neither package).
reference_data <- function(name) {
  switch(name,
    chapter_sim = chapter_sim_data(),
    blossoms = blossoms_data(),
    Eulaema = eulaema_data(),
    gamma_sim = gamma_sim_data(),
    sleepstudy_w = { d <- fixture_data("sleepstudy"); d$w <- rep(c(1, 2, 0.5, 1.5), length.out = 180); d },
    fixture_data(sub("^[[:alnum:].]+::", "", name)))
}

# A data set borrowed from `pkg`, read from its stored fixture (kept for tests written before the
# fixtures: it needs neither lme4 nor glmmTMB). New tests call fixture_data() directly.
package_data <- function(pkg, name) fixture_data(name)

# The Gamma simulation of the stored entry gamma_log_tmb (tests/references/refs_core.R) (set.seed(1), 30 groups x 10).
gamma_sim_data <- function() {
  withr::with_seed(1, {
    ng <- 30; nper <- 10; g <- factor(rep(1:ng, each = nper))
    b <- rnorm(ng, 0, 0.5); x <- runif(ng * nper)
    y <- rgamma(ng * nper, shape = 2, rate = 2 / exp(1 + 0.5 * x + b[g]))
    data.frame(y, x, g)
  })
}

# Compare a fit with a reference entry: logLik within tol_ll, beta/se/variances within rel_tol.
expect_matches_reference <- function(m, ref, tol_ll, rel_tol = 1e-3, se = TRUE) {
  expect_lt(abs(m$loglik - ref$logLik), tol_ll)
  expect_equal(m$df, ref$df)
  expect_equal(m$beta[names(ref$beta)], ref$beta, tolerance = rel_tol)
  if (se) expect_equal(sqrt(diag(m$vcov))[names(ref$se)], ref$se, tolerance = rel_tol)
  for (g in names(ref$vc)) {
    expect_lt(max(abs(m$cov_re[[g]] - ref$vc[[g]])) / max(abs(ref$vc[[g]]), 1e-2), rel_tol, label = paste("covariance of", g))
  }
}
