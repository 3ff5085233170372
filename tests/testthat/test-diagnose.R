# diagnose(): glmmTMB's checks of a fit (large coefficients, predictor scales, Wald z statistics,
# gradient, Hessian) against glmmTMB 1.1.5's verdicts and z statistics; Cook's distances of a GLMM
# (stored numbers: tests/references/refs_compat_prof.R).

refs <- stored_references("compat_prof")

# The z statistics diagnose() checks (REML fits: the variance parameters only, as glmmTMB).
diagnose_z <- function(fit) {
  p <- glmmlab:::diagnose_parameters(fit)
  keep <- !(p$is_beta & isTRUE(p$reml))
  (p$est / p$se)[keep]
}

test_that("diagnose() flags the large z statistics glmmTMB's diagnose() flags (sleepstudy, cbpp)", {
  ss <- fixture_data("sleepstudy")
  cbpp <- fixture_data("cbpp")
  fits <- list(
    reml_int = glmm(Reaction ~ Days + (1 | Subject), ss, REML = TRUE),
    ml_slope = glmm(Reaction ~ Days + (Days | Subject), ss),
    cbpp = glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  )
  for (nm in names(fits)) {
    z <- diagnose_z(fits[[nm]])
    expect_identical(names(z), names(refs[[paste0(nm, "_z")]]))
    expect_equal(z, refs[[paste0(nm, "_z")]], tolerance = 1e-4)
    out <- capture.output(ok <- diagnose(fits[[nm]], explain = FALSE))
    expect_identical(ok, refs[[paste0(nm, "_ok")]])
    expect_true(any(grepl("Unusually large Z-statistics", out)))
  }
  expect_output(diagnose(fits$cbpp), "failure of the Wald approximation")
  expect_false(any(grepl("failure of the Wald", capture.output(diagnose(fits$cbpp, explain = FALSE)))))
  # a model with nothing to flag
  expect_output(ok <- diagnose(fits$cbpp, big_zstat = 10), "model looks OK!")
  expect_true(ok)
  skip_if_not_installed("glmmTMB")
  t1 <- glmmTMB::glmmTMB(Reaction ~ Days + (1 | Subject), ss, REML = TRUE)
  zt <- summary(t1$sdr)[c("betad", "theta"), ]
  expect_equal(unname(diagnose_z(fits$reml_int)), unname(zt[, 1] / zt[, 2]), tolerance = 1e-4)
})

test_that("diagnose() flags a badly scaled predictor, as glmmTMB", {
  ss <- fixture_data("sleepstudy")
  ss$Days_big <- ss$Days * 1e5
  m <- glmm(Reaction ~ Days_big + (1 | Subject), ss)
  out <- capture.output(ok <- diagnose(m, explain = FALSE, check_zstats = FALSE))
  expect_identical(ok, refs$big_scale_ok)
  expect_true(any(grepl("unusually large or small standard deviations", out)))
  expect_true(any(grepl(format(refs$big_scale_sd, digits = 6), out)))
  expect_false(any(grepl("Non-positive definite", out)))   # badly scaled, but positive definite (glmmTMB's pdHess)
})

test_that("diagnose() flags large coefficients and a singular fit", {
  set.seed(3)
  d <- data.frame(g = factor(rep(1:8, each = 10)), x = rnorm(80))
  d$y <- 2 + d$x + rnorm(80)   # no group variance: a singular fit
  m <- suppressMessages(glmm(y ~ x + (1 | g), d))
  out <- capture.output(ok <- diagnose(m, explain = FALSE))
  expect_false(ok)
  expect_true(any(grepl("edge of their range|Unusually large coefficients", out)))
  expect_true(any(grepl("Non-positive definite", out)))
  # complete separation in a logistic GLMM: a huge slope
  d$s <- as.numeric(d$x > 0)
  sep <- suppressWarnings(glmm(s ~ x + (1 | g), d, family = binomial))
  out <- capture.output(ok <- diagnose(sep, explain = FALSE, check_hessian = FALSE))
  expect_false(ok)
  expect_true(any(grepl("Unusually large coefficients", out)))
})

test_that("diagnose() rejects bad arguments by name", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (1 | Subject), ss)
  expect_error(diagnose(m, explain = "no"), "`explain` must be TRUE or FALSE")
  expect_error(diagnose(m, big_zstat = -1), "`big_zstat` must be a positive number")
  expect_error(diagnose(lm(Reaction ~ Days, ss)), "needs a model fitted by glmm")
  cbpp <- fixture_data("cbpp")
  gr <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, REML = TRUE)
  expect_error(diagnose(gr), "not available yet for REML fits of GLMMs")
  gz <- glmm(incidence ~ period + (1 | herd), cbpp, family = poisson, ziformula = ~1)
  expect_error(diagnose(gz), "not available yet for models with `ziformula`")
})

test_that("cooks.distance(influence()) of a GLMM: lme4's formula with glmmTMB's deletion refits and vcov", {
  cbpp <- fixture_data("cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  cook <- cooks.distance(influence(g))
  expect_equal(unname(head(cook, 3)), refs$cbpp_cook_tmb, tolerance = 1e-4)
  # lme4 1.1-31's stored values are about 2% higher (its vcov() is 1% off the Laplace Hessian's)
  expect_true(all(abs(head(cook, 3) / refs$cbpp_cook_lme4_stored - 1) < 0.03))
  skip_if_not_installed("glmmTMB")
  full <- glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  del <- glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp[-1, ], family = binomial)
  db <- glmmTMB::fixef(del)$cond - glmmTMB::fixef(full)$cond
  live <- (nrow(cbpp) - 4) / (nrow(cbpp) * 4) * drop(crossprod(db, solve(vcov(full)$cond, db)))
  expect_equal(unname(cook[1]), live, tolerance = 1e-4)
})
