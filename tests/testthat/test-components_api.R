# Where main's API (issue 13: models without random effects, (x || g) as one diagonal term,
# REML GLMMs, glmmTMB's arguments) meets the model components of issue 16 (ziformula,
# dispformula): stored glmmTMB references (tests/references/refs_fammerge.R) for the fits that
# work, clear errors for the combinations that do not; then live glmmTMB fits when installed.

api_refs <- stored_references("fammerge")

api_models <- list(
  zip_nore = list(formula = count ~ mined + spp, data = "Salamanders", family = poisson(), zi = ~ mined, disp = ~1),
  nb2_disp_nore = list(formula = count ~ mined, data = "Salamanders", family = nbinom2(), zi = ~0, disp = ~ mined),
  gauss_disp_nore = list(formula = Reaction ~ Days, data = "sleepstudy", family = gaussian(), zi = ~0, disp = ~ Days),
  zip_diag = list(formula = count ~ mined + diag(cover | site), data = "Salamanders", family = poisson(), zi = ~ mined, disp = ~1)
)

api_fit <- function(spec) {
  suppressMessages(glmm(spec$formula, data = fixture_data(spec$data), family = spec$family, ziformula = spec$zi,
                        dispformula = spec$disp))
}

expect_matches_api_ref <- function(m, ref, label) {
  expect_gt(m$loglik, ref$logLik - 1e-4, label = paste(label, "logLik"))
  expect_lt(m$loglik - ref$logLik, 1e-3, label = paste(label, "logLik (the same model)"))
  expect_identical(as.integer(attr(logLik(m), "df")), as.integer(ref$df), label = paste(label, "df"))
  fe <- fixef(m)
  expect_equal(fe$cond[names(ref$cond)], ref$cond, tolerance = 2e-3, label = paste(label, "cond"))
  if (length(ref$zi)) expect_equal(fe$zi[names(ref$zi)], ref$zi, tolerance = 2e-3, label = paste(label, "zi"))
  if (length(ref$disp)) expect_equal(fe$disp[names(ref$disp)], ref$disp, tolerance = 2e-3, label = paste(label, "disp"))
  expect_equal(predict(m, type = "response")[ref$rows], ref$response, tolerance = 2e-3, label = paste(label, "response"))
  expect_equal(predict(m, type = "zprob")[ref$rows], ref$zprob, tolerance = 2e-3, label = paste(label, "zprob"))
}

test_that("components without random effects and with a diagonal term match glmmTMB (stored references)", {
  for (nm in names(api_models)) expect_matches_api_ref(api_fit(api_models[[nm]]), api_refs[[nm]], nm)
})

test_that("a diagonal term in the conditional model keeps its VarCorr() block with components", {
  m <- api_fit(api_models$zip_diag)
  vc <- VarCorr(m)$cond
  expect_length(vc, 1L)
  expect_identical(colnames(vc[[1L]]), c("(Intercept)", "cover"))
  expect_equal(vc[[1L]][1L, 2L], 0)   # no covariance in a diagonal term
  expect_equal(attr(vc[[1L]], "correlation")[1L, 2L], 0)   # nor a correlation, even with an SD at 0 (glmmTMB prints 0.000)
})

test_that("a model without random effects prints the components' tables and no random-effects block", {
  out <- capture.output(summary(api_fit(api_models$zip_nore)))
  expect_false(any(grepl("^Random effects", out)))
  expect_true(any(grepl("^Zero-inflation model:", out)))
  expect_true(any(grepl("^Conditional model:", out)))
})

test_that("ziformula and dispformula are glmm()'s arguments; what they cannot be combined with is a clear error", {
  sal <- fixture_data("Salamanders")
  expect_error(glmm(count ~ mined + (1 | site), sal, family = poisson, ziformula = ~ mined, REML = TRUE),
               "REML = TRUE is not available with `ziformula` or `dispformula`")
  expect_error(glmm(count ~ mined + (1 | site), sal, family = poisson, ziformula = ~ mined, nAGQ = 5),
               "`nAGQ` other than 1 \\(quadrature, or nAGQ = 0\\) is not available with `ziformula` or `dispformula`")
  expect_error(glmm(count ~ mined + (1 | site), sal, family = poisson, ziformula = ~ mined, nAGQ = 0),
               "`nAGQ` other than 1")
  # nAGQ = 0 is lme4's, for its binomial and poisson families: not for the new families without a dispersion
  expect_error(glmm(count ~ mined + (1 | site), subset(sal, count > 0), family = truncated_poisson(), nAGQ = 0),
               "not for truncated_poisson")
  expect_error(glmm(count ~ mined + (1 | site), sal, family = nbinom2, dispformula = ~ mined + (1 | site)),
               "random effects in `dispformula`")
  m <- api_fit(api_models$zip_nore)
  expect_error(refit(m), "not available yet for models with `ziformula`")
  expect_error(bootMer(m, function(x) fixef(x)$cond, nsim = 2), "bootMer\\(\\) is not available yet for models with `ziformula`")
  expect_error(getME(m, "devfun"), "not available yet for models with `ziformula`")
  expect_error(predict(m, random.only = TRUE), "`random.only` and `newparams` are not available")
})

test_that("the start of glmmTMB's form is used by a fit with components", {
  sal <- fixture_data("Salamanders")
  ref <- api_refs$nb2_disp_nore
  m <- glmm(count ~ mined, sal, family = nbinom2, dispformula = ~ mined, start = list(beta = unname(ref$cond)))
  expect_gt(m$loglik, ref$logLik - 1e-4)
  expect_error(glmm(count ~ mined, sal, family = nbinom2, dispformula = ~ mined, start = list(beta = 1)),
               "start\\$beta has length 1")
})

test_that("live glmmTMB agrees where the two branches meet", {
  skip_if_not_installed("glmmTMB")
  sal <- fixture_data("Salamanders")
  m <- suppressMessages(glmm(count ~ mined + (cover || site), sal, family = poisson, ziformula = ~ mined))
  t <- glmmTMB::glmmTMB(count ~ mined + diag(cover | site), sal, family = poisson, ziformula = ~ mined)
  expect_gt(m$loglik, as.numeric(logLik(t)) - 1e-4)
  expect_equal(fixef(m)$zi, glmmTMB::fixef(t)$zi, tolerance = 2e-3)
  m0 <- glmm(count ~ mined + spp, sal, family = poisson, ziformula = ~ mined)
  t0 <- glmmTMB::glmmTMB(count ~ mined + spp, sal, family = poisson, ziformula = ~ mined)
  expect_lt(abs(m0$loglik - as.numeric(logLik(t0))), 1e-4)
})
