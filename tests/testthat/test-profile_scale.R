# profile(prof.scale = , signames = ): lme4's variance scale and long parameter names, against
# lme4 1.1-31 (stored numbers: tests/references/refs_compat_prof.R).

refs <- stored_references("compat_prof")

test_that("profile(prof.scale = \"varcov\") gives lme4's intervals for the variances", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (1 | Subject), ss)
  p1 <- profile(m, which = "theta_")
  p2 <- profile(m, which = "theta_", prof.scale = "varcov")
  expect_equal(confint(p1), refs$lme4_sdcor_confint, tolerance = 1e-4)
  expect_equal(confint(p2), refs$lme4_varcov_confint, tolerance = 1e-4)
  expect_equal(confint(p1)^2, confint(p2), tolerance = 1e-10)   # the same spline, squared
  expect_identical(profile(m, which = "theta_", prof.scale = "sdcor"), p1)
  expect_identical(unique(profile(m, which = "theta_", prof.scale = "varcov", signames = FALSE)$.par),
                   refs$lme4_signames_varcov_l1)
  expect_error(profile(m, prof.scale = "var"), "`prof.scale` must be \"sdcor\" or \"varcov\"")
  expect_error(profile(m, signames = NA), "`signames` must be TRUE or FALSE")
  skip_if_not_installed("lme4")
  l <- lme4::lmer(Reaction ~ Days + (1 | Subject), ss, REML = FALSE)
  expect_equal(confint(p2), confint(profile(l, which = "theta_", prof.scale = "varcov")), tolerance = 1e-4)
})

test_that("profile(signames = FALSE) gives lme4's long names; covariance profiles are refused by name", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss)
  p <- profile(m, which = "theta_", signames = FALSE, npoints = 4)
  expect_identical(unique(p$.par), refs$lme4_signames_sdcor)
  ci <- confint(p)
  expect_identical(rownames(ci), refs$lme4_signames_sdcor)
  expect_true(ci["cor_Days.(Intercept)|Subject", 1] > -1 && ci["cor_Days.(Intercept)|Subject", 2] < 1)
  expect_error(profile(m, which = "theta_", prof.scale = "varcov"), "profiles of covariances .* .sig02")
  # the variances alone are fine on the variance scale
  pv <- profile(m, which = c(".sig01", ".sig03"), prof.scale = "varcov", npoints = 4)
  ps <- profile(m, which = c(".sig01", ".sig03"), npoints = 4)
  expect_equal(pv$.value, ps$.value^2)
  expect_equal(pv$.zeta, ps$.zeta)
})
