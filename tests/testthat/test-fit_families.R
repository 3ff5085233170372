# glmmTMB's further families (beta, betabinomial, genpois, tweedie, t, lognormal, ziGamma and the
# zero-truncated counts) against the stored references of tests/references/refs_fam.R: the
# log-likelihood at glmmTMB's optimum or better (within 1e-4), fixed effects, dispersion, shape and
# response-scale predictions within 2e-3 relative; then live glmmTMB fits when it is installed.

fam_refs <- stored_references("fam")

# The data set a reference entry names: the fixtures, or the simulated data stored with the references.
fam_data <- function(name) {
  switch(name,
    cbpp = fixture_data("cbpp"),
    Salamanders = fixture_data("Salamanders"),
    Salamanders_positive = subset(fixture_data("Salamanders"), count > 0),
    {
      sim <- fam_refs$sim_data[[name]]
      data.frame(y = sim$y, x = sim$x, g = factor(rep(1:15, each = 20)))
    })
}

# glmmlab's family for a reference entry.
fam_family <- function(ref) {
  switch(ref$family, Gamma = ziGamma(link = ref$link), beta = beta_family(), t = t_family(), get(ref$family, mode = "function")())
}

# Fit an entry's model with glmmlab (quietly: cbpp's herd variance is at its boundary).
fam_fit <- function(ref) {
  suppressMessages(glmm(stats::as.formula(ref$formula), data = fam_data(ref$data), family = fam_family(ref)))
}

# The comparison the issue asks for, against stored or live numbers.
expect_matches_family_ref <- function(m, ref, label) {
  expect_gt(m$loglik, ref$logLik - 1e-4, label = paste(label, "logLik"))
  expect_lt(m$loglik - ref$logLik, 1e-3, label = paste(label, "logLik (not far above: the same model)"))
  expect_identical(as.integer(m$df), as.integer(ref$df), label = paste(label, "df"))
  expect_equal(m$beta[names(ref$beta)], ref$beta, tolerance = 2e-3, label = paste(label, "fixed effects"))
  expect_equal(sigma(m), ref$sigma, tolerance = 2e-3, label = paste(label, "sigma"))
  expect_equal(family_params(m), ref$family_params, tolerance = 2e-3, label = paste(label, "family_params"))
  if (!is.null(ref$rows)) {
    expect_equal(unname(fitted(m))[ref$rows], ref$response, tolerance = 2e-3, label = paste(label, "fitted"))
    expect_equal(unname(predict(m, type = "response"))[ref$rows], ref$response, tolerance = 2e-3, label = paste(label, "predict"))
    expect_equal(unname(residuals(m, type = "pearson"))[ref$rows], ref$pearson, tolerance = 2e-3, label = paste(label, "pearson"))
  }
}

fitted_models <- list()
for (name in setdiff(names(fam_refs), c("sim_data", "laplace_check"))) {
  test_that(paste("the", name, "fit matches its stored reference"), {
    ref <- fam_refs[[name]]
    m <- fam_fit(ref)
    fitted_models[[name]] <<- m
    expect_true(fit_converged(m), label = paste(name, "converged"))
    expect_identical(m$family$family, ref$family)
    expect_matches_family_ref(m, ref, name)
    if (is.null(ref$rows)) expect_equal(sqrt(m$cov_re[[1]][1, 1]), ref$sd_re, tolerance = 2e-3)
  })
}

test_that("the lognormal reference's Laplace code agrees with glmmTMB on the Gamma data", {
  chk <- fam_refs$laplace_check
  expect_lt(abs(chk$loglik_independent - chk$loglik_glmmTMB), 1e-6)
  expect_equal(chk$beta_independent, chk$beta_glmmTMB, tolerance = 1e-5)
})

test_that("families given by name, by glmmlab's constructors and by glmmTMB's objects fit alike", {
  ref <- fam_refs$beta
  d <- fam_data("beta")
  a <- glmm(y ~ x + (1 | g), data = d, family = "beta_family")
  b <- glmm(y ~ x + (1 | g), data = d, family = "beta")
  expect_identical(a$loglik, b$loglik)
  expect_identical(glmm(y ~ x + (1 | g), data = fam_data("gamma"), family = "ziGamma")$family$family, "Gamma")
  skip_if_not_installed("glmmTMB")
  tmb <- glmm(y ~ x + (1 | g), data = d, family = glmmTMB::beta_family())
  expect_identical(tmb$loglik, a$loglik)
  expect_equal(residuals(tmb, type = "pearson"), residuals(a, type = "pearson"))
  m <- glmm(y ~ x + (1 | g), data = fam_data("tweedie"), family = glmmTMB::tweedie)
  expect_equal(m$loglik, fam_refs$tweedie$logLik, tolerance = 1e-6)
})

test_that("each family's fit matches a live glmmTMB fit", {
  skip_if_not_installed("glmmTMB")
  for (name in setdiff(names(fam_refs), c("sim_data", "laplace_check", "lognormal"))) {
    ref <- fam_refs[[name]]
    tmb_family <- switch(ref$family, Gamma = glmmTMB::ziGamma(link = ref$link), beta = glmmTMB::beta_family(),
                         t = glmmTMB::t_family(), get(ref$family, envir = asNamespace("glmmTMB"))())
    d <- fam_data(ref$data)
    live <- glmmTMB::glmmTMB(stats::as.formula(ref$formula), data = d, family = tmb_family)
    live_ref <- list(logLik = as.numeric(stats::logLik(live)), df = attr(stats::logLik(live), "df"),
                     beta = glmmTMB::fixef(live)$cond, sigma = stats::sigma(live), family_params = glmmTMB::family_params(live),
                     rows = ref$rows, response = unname(stats::predict(live, type = "response"))[ref$rows], pearson = ref$pearson)
    m <- if (!is.null(fitted_models[[name]])) fitted_models[[name]] else fam_fit(ref)
    expect_matches_family_ref(m, live_ref, paste(name, "(live)"))
  }
})
