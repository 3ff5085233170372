# helper-fits.R: data sets named in helper-references.R, and a comparison of a glmm fit with a
# stored reference entry (logLik absolute, estimates relative).

# The data set a reference entry names ("lme4::sleepstudy", "chapter_sim", "gamma_sim", ...).
reference_data <- function(name) {
  switch(name,
    chapter_sim = chapter_sim_data(),
    blossoms = blossoms_data(),
    Eulaema = eulaema_data(),
    gamma_sim = gamma_sim_data(),
    sleepstudy_w = { d <- package_data("lme4", "sleepstudy"); d$w <- rep(c(1, 2, 0.5, 1.5), length.out = 180); d },
    { parts <- strsplit(name, "::", fixed = TRUE)[[1L]]; package_data(parts[1L], parts[2L]) })
}

# A data set from an installed package, or skip().
package_data <- function(pkg, name) {
  testthat::skip_if_not_installed(pkg)
  env <- new.env()
  utils::data(list = name, package = pkg, envir = env)
  get(name, envir = env)
}

# The Gamma simulation of helper-references.R (set.seed(1), 30 groups x 10).
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
