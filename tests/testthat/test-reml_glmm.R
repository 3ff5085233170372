# REML for GLMMs as glmmTMB defines it (src/glmm_core.h): the fixed effects integrated out with
# the random effects in the Laplace approximation. Compared with stored glmmTMB 1.1.5 fits
# (tests/references/refs_engine.R): the REML log-likelihood, the fixed effects (the joint mode),
# their covariance (sdreport()'s, with the variance parameters' uncertainty), the random-effect
# SDs and the dispersion; then with live glmmTMB fits where it is installed.

refs <- stored_references("engine")

# Compare a glmmlab REML fit with one stored (or live) glmmTMB summary.
expect_reml_matches <- function(m, ref, label, tol_ll = 1e-6, tol = 1e-5) {
  expect_true(m$REML, label = label)
  expect_lt(abs(m$loglik - ref$logLik), tol_ll)
  expect_equal(unname(m$beta), unname(ref$beta), tolerance = tol, label = paste(label, "beta"))
  expect_equal(unname(m$vcov), unname(ref$vcov), tolerance = 1e-4, label = paste(label, "vcov"))
  sds <- unname(vapply(m$cov_re, function(S) sqrt(S[1, 1]), numeric(1)))
  expect_equal(sds, ref$sd, tolerance = 1e-4, label = paste(label, "SD"))
  expect_equal(sigma(m), ref$sigma, tolerance = 1e-4, label = paste(label, "sigma"))
  expect_equal(attr(logLik(m), "df"), ref$df, label = paste(label, "df"))
}

test_that("binomial REML (cbpp) matches glmmTMB's", {
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = fixture_data("cbpp"), family = binomial, REML = TRUE)
  expect_reml_matches(m, refs$cbpp_reml, "cbpp")
  expect_output(print(summary(m)), "REML")
})

test_that("the chapter's Poisson bee model and its negative binomial version by REML match glmmTMB's", {
  d <- eulaema_data()
  skip_if(is.null(refs$eulaema_poisson_reml), "the stored references were written without Eulaema.csv")
  m <- glmm(Eulaema_nigrita ~ forest. + (1 | SA), family = "poisson", data = d, REML = TRUE)
  expect_reml_matches(m, refs$eulaema_poisson_reml, "Eulaema poisson", tol_ll = 1e-5)
  nb <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = d, REML = TRUE)
  expect_reml_matches(nb, refs$eulaema_nbinom2_reml, "Eulaema nbinom2", tol_ll = 1e-5)
})

test_that("Gamma REML matches glmmTMB's, and differs from ML as it should", {
  d <- refs$gamma_data
  m <- glmm(y ~ x + (1 | g), family = Gamma(link = "log"), data = d, REML = TRUE)
  expect_reml_matches(m, refs$gamma_reml, "Gamma")
  ml <- glmm(y ~ x + (1 | g), family = Gamma(link = "log"), data = d)
  expect_lt(abs(ml$loglik - refs$gamma_ml$logLik), 1e-6)
  expect_gt(sqrt(m$cov_re$g[1, 1]), sqrt(ml$cov_re$g[1, 1]))   # REML's variance is not shrunk by beta's estimation
})

test_that("the GLMM core's REML criterion for a gaussian identity model is the LMM's", {
  ss <- fixture_data("sleepstudy")
  lmm <- glmm(Reaction ~ Days + (Days | Subject), data = ss, REML = TRUE)
  expect_lt(abs(lmm$loglik - refs$sleep_reml$logLik), 1e-6)
  # the same model through the GLMM core (its REML criterion at the LMM's optimum)
  map <- glmmlab:::glmm_parameter_map(lmm$re, lmm$X, gaussian())
  core <- glmmlab:::new_core(map, lmm$re, lmm$X, lmm$y, lmm$prior_weights, lmm$offset, family = gaussian(), reml = TRUE)
  par <- glmmlab:::map_internal(map, lmm$theta * lmm$sigma, phi = lmm$sigma, reml = TRUE)
  expect_equal(-glmmlab:::core_objective(core, par) / 2, lmm$loglik, tolerance = 1e-9)
  st <- glmmlab:::core_state(core, par)
  expect_equal(drop(map$A %*% st$beta), unname(lmm$beta), tolerance = 1e-7)
})

test_that("REML GLMM fits: bootstrap refits by REML, profiles stop with a clear error", {
  cbpp <- fixture_data("cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial, REML = TRUE)
  b <- bootstrap(m, function(f) c(reml = f$REML, fixef(f)$cond[1]), nsim = 2, seed = 1, progress = FALSE)
  expect_identical(unname(b$t[, "reml"]), c(1, 1))
  expect_error(confint(m, method = "profile"), "not available for GLMMs fitted by REML")
  expect_error(glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial, REML = TRUE, nAGQ = 5),
               "REML = TRUE needs the Laplace approximation")
})

test_that("REML fits agree with live glmmTMB fits", {
  skip_if_not_installed("glmmTMB")
  cbpp <- fixture_data("cbpp")
  f <- glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial, REML = TRUE)
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial, REML = TRUE)
  expect_lt(abs(m$loglik - as.numeric(logLik(f))), 1e-6)
  expect_equal(unname(m$beta), unname(glmmTMB::fixef(f)$cond), tolerance = 1e-5)
  expect_equal(unname(m$vcov), unname(vcov(f)$cond), tolerance = 1e-4)
  d <- refs$gamma_data
  fg <- glmmTMB::glmmTMB(y ~ x + (1 | g), family = Gamma(link = "log"), data = d, REML = TRUE)
  mg <- glmm(y ~ x + (1 | g), family = Gamma(link = "log"), data = d, REML = TRUE)
  expect_lt(abs(mg$loglik - as.numeric(logLik(fg))), 1e-6)
  expect_equal(sigma(mg), sigma(fg), tolerance = 1e-4)
})
