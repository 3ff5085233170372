# profile() in glmmTMB's form (R/profile_tmb.R) and confint() of it, against glmmTMB 1.1.5's
# profile.glmmTMB() (stored numbers: tests/references/refs_profile_tmb.R; live when installed).

refs <- stored_references("profile_tmb")

# A profile against the stored one under `key`: the same parameters, points and row names, the
# grid and the log-likelihood's rise within `tol_focal` and `tol_value`. confint() of it: the
# upper limits glmmTMB's within 1e-5; the lower limits closer than glmmTMB's to the exact crossing
# of the profile (method = "uniroot", root finding on the same profile), within 1e-3 of it
# (glmmTMB 1.1.5 inverts the decreasing half's spline wrongly: R/profile_tmb.R).
expect_profile_matches <- function(p, m, key, tol_focal = 1e-6, tol_value = 1e-5) {
  expect_s3_class(p, c("profile.glmmlab_tmb", "profile.glmmTMB", "data.frame"), exact = TRUE)
  expect_named(p, c(".par", ".focal", "value"))
  expect_true(is.factor(p$.par))
  expect_identical(as.character(p$.par), refs[[paste0(key, "_par")]])
  expect_identical(rownames(p), refs[[paste0(key, "_rownames")]])
  expect_equal(p$.focal, refs[[paste0(key, "_focal")]], tolerance = tol_focal)
  expect_equal(p$value, refs[[paste0(key, "_value")]], tolerance = tol_value)
  ci <- confint(p)
  tmb <- refs[[paste0(key, "_ci")]]
  expect_identical(dimnames(ci), dimnames(tmb))
  expect_equal(ci[, 2], tmb[, 2], tolerance = 1e-5)
  exact <- confint(m, parm = rownames(ci), method = "uniroot", estimate = FALSE)
  expect_equal(ci[, 1], exact[, 1], tolerance = 1e-3)
  expect_true(all(abs(ci[, 1] - exact[, 1]) <= abs(tmb[, 1] - exact[, 1])))
}

test_that("profile() without random effects is glmmTMB's: 43 rows with npts = 4, its grid and intervals", {
  m <- glmm(Reaction ~ Days, fixture_data("sleepstudy"))
  p <- profile(m, npts = 4)
  expect_equal(dim(p), c(43L, 3L))   # glmmTMB's test-methods.R
  expect_identical(levels(p$.par), c("(Intercept)", "Days", "d~(Intercept)"))
  expect_profile_matches(p, m, "noRE_npts4")
  expect_equal(min(p$value), 0)
  expect_equal(sum(p$value == 0), 6L)   # the estimate twice for each parameter (walking up, then down), as glmmTMB
  skip_if_not_installed("glmmTMB")
  t <- glmmTMB::glmmTMB(Reaction ~ Days, fixture_data("sleepstudy"))
  pt <- profile(t, npts = 4)
  expect_equal(dim(p), dim(pt))
  expect_equal(p$.focal, pt$.focal, tolerance = 1e-6)
  expect_equal(confint(p)[, 2], confint(pt)[, 2], tolerance = 1e-5)
  # the exact limits of the linear model (n log(RSS(x) / RSS) = qchisq(0.95, 1)): glmmlab's lower limits are closer
  l <- lm(Reaction ~ Days, fixture_data("sleepstudy"))
  half <- sqrt(sum(residuals(l)^2) * (exp(qchisq(0.95, 1) / 180) - 1) * diag(solve(crossprod(model.matrix(l)))))
  expect_true(all(abs(confint(p)[1:2, 1] - (coef(l) - half)) < abs(confint(pt)[1:2, 1] - (coef(l) - half)) / 10))
})

test_that("profile() of a random-intercept LMM gives glmmTMB's parameters, grid and intervals; theta_ is the log SD", {
  m <- glmm(Reaction ~ Days + (1 | Subject), fixture_data("sleepstudy"))
  p <- profile(m)
  expect_identical(levels(p$.par), c("(Intercept)", "Days", "d~(Intercept)", "theta_1|Subject.1"))
  expect_profile_matches(p, m, "int")
  expect_equal(confint(p, level = 0.9)[, 2], refs$int_ci_90[, 2], tolerance = 1e-5)
  expect_equal(confint(p, level = 0.9)[, 1], confint(m, method = "uniroot", level = 0.9, full = TRUE)[, 1], tolerance = 1e-4)
  expect_identical(confint(p, parm = "Days"), confint(p)["Days", , drop = FALSE])
  expect_identical(confint(p, parm = 4), confint(p)[4, , drop = FALSE])
  # the same profile as lme4's form and as method = "uniroot": on the SD scale, up to the interpolation
  sd_ci <- exp(confint(p, parm = "theta_1|Subject.1"))
  expect_equal(unname(sd_ci), unname(confint(m, parm = ".sig01", method = "profile")), tolerance = 1e-3)
  expect_equal(unname(confint(p)[3:4, ]), unname(confint(m, parm = c("disp_", "theta_"), method = "uniroot", estimate = FALSE)),
               tolerance = 1e-3)
  th <- profile(m, parm = "theta_", npts = 4)
  expect_true(all(th$.par == "theta_1|Subject.1"))   # glmmTMB's test-methods.R
  expect_identical(unique(as.character(profile(m, parm = "beta_", npts = 4)$.par)), c("(Intercept)", "Days"))
  expect_identical(unique(as.character(profile(m, parm = "sigma", npts = 4)$.par)), "d~(Intercept)")
  skip_if_not_installed("glmmTMB")
  t <- glmmTMB::glmmTMB(Reaction ~ Days + (1 | Subject), fixture_data("sleepstudy"))
  pt <- profile(t)
  expect_identical(as.character(p$.par), as.character(pt$.par))
  expect_equal(p$.focal, pt$.focal, tolerance = 1e-6)
  expect_equal(confint(p)[, 2], confint(pt)[, 2], tolerance = 1e-5)
})

test_that("profile() of correlated random slopes and of a binomial GLMM follows glmmTMB's", {
  m <- glmm(Reaction ~ Days + (Days | Subject), fixture_data("sleepstudy"))
  # glmmTMB stops about 6e-6 short of the correlation parameter's optimum: its grid sits that far off ours
  expect_profile_matches(profile(m, parm = "theta_", npts = 4), m, "slope_theta", tol_focal = 1e-4, tol_value = 1e-4)
  cbpp <- fixture_data("cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  pg <- profile(g, npts = 4)
  expect_identical(levels(pg$.par), c("(Intercept)", "period2", "period3", "period4", "theta_1|herd.1"))
  expect_profile_matches(pg, g, "cbpp", tol_value = 1e-4)
  skip_if_not_installed("glmmTMB")
  t <- glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  expect_equal(confint(pg)[, 2], confint(profile(t, npts = 4))[, 2], tolerance = 1e-5)
})

test_that("confint() of a steeply curved profile finds the lower limit where glmmTMB 1.1.5's spline inversion gives -24.8", {
  set.seed(1)
  g <- factor(rep(letters[1:8], each = 10))
  x <- rep(0:9, 8)
  y <- 20 + (2 + rnorm(8, sd = 0.5)[g]) * x + rnorm(8, sd = 3)[g] + rnorm(80)
  m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
  ci <- confint(profile(m, parm = "theta_", npts = 4))   # glmmTMB 1.1.5: -24.81, 1.9688
  expect_equal(unname(ci[1, ]), unname(confint(m, parm = "theta_", method = "uniroot", estimate = FALSE)[1, ]), tolerance = 1e-3)
  expect_equal(ci[1, 2], 1.968804, tolerance = 1e-5)
})

test_that("a flat profile (nbinom2 dispersion, singular herd variance) falls back to linear interpolation, with a warning", {
  cbpp <- fixture_data("cbpp")
  m <- suppressMessages(glmm(incidence ~ period + (1 | herd), cbpp, family = nbinom2))
  p <- profile(m, parm = "disp_", npts = 4)
  expect_identical(levels(p$.par), "d~(Intercept)")
  expect_warning(ci <- confint(p), "not monotone: falling back to linear interpolation")
  # the same profile as lme4's form (log of the dispersion's interval), up to the interpolation
  expect_equal(unname(ci), unname(log(confint(m, parm = ".sigma", method = "profile"))), tolerance = 2e-3)
  expect_error(profile(m, parm = "theta_"), "no standard error for theta_1\\|herd.1")   # its log SD is -Inf
})

test_that("profile()'s glmmTMB arguments: stderr, parallel, trace; an unreached level gives NA with a warning", {
  m <- glmm(Reaction ~ Days + (1 | Subject), fixture_data("sleepstudy"))
  p <- profile(m, parm = "Days", npts = 4)
  p_se <- profile(m, parm = "Days", npts = 4, stderr = 0.5)
  expect_false(isTRUE(all.equal(p$.focal, p_se$.focal)))   # another first step, another grid
  expect_equal(confint(p_se), confint(p), tolerance = 1e-3)   # the same profile, up to the interpolation
  two <- profile(m, parm = c("Days", "theta_"), npts = 4, stderr = c(NA, 0.1))
  expect_identical(two[two$.par == "Days", c(".focal", "value")], p[c(".focal", "value")])
  # parallel and ncpus choose the processes of run_parallel() (forking, tested with bootstrap() and
  # confint(cores = 2) in test-bootstrap.R)
  expect_identical(glmmlab:::profile_tmb_cores("multicore", 2, NULL), 2L)
  expect_identical(glmmlab:::profile_tmb_cores("snow", 3, NULL), 3L)
  expect_identical(glmmlab:::profile_tmb_cores(c("no", "multicore", "snow"), 2, NULL), 1L)
  expect_output(profile(m, parm = "Days", npts = 4, trace = TRUE), "parameter Days")
  short <- profile(m, parm = "Days", npts = 4, level_max = 0.5)
  expect_warning(ci <- confint(short, level = 0.95), "does not reach .* larger level_max")
  expect_true(all(is.na(ci)))
  expect_false(anyNA(confint(short, level = 0.4)))
})

test_that("profile()'s form: glmmTMB's by default, lme4's by form = \"lme4\" or by lme4's arguments; bad arguments are errors", {
  m <- glmm(Reaction ~ Days + (1 | Subject), fixture_data("sleepstudy"))
  expect_s3_class(profile(m, which = "Days", npoints = 4), "profile.glmmlab")
  expect_s3_class(profile(m, parm = "Days", form = "lme4", npts = 4), "profile.glmmlab")
  expect_s3_class(profile(m, parm = "Days", form = "glmmTMB", npts = 4), "profile.glmmlab_tmb")
  expect_error(profile(m, form = "TMB"), "`form` must be \"glmmTMB\" or \"lme4\"")
  expect_error(profile(m, form = "glmmTMB", which = "Days"), "'which' belong to lme4's form")
  expect_error(profile(m, form = "lme4", stepfac = 1), "'stepfac' belong to glmmTMB's form")
  expect_error(profile(m, which = "Days", ncpus = 2), "'ncpus' belong to glmmTMB's form")
  expect_error(profile(m, junk = 1), "does not take argument\\(s\\) 'junk' in glmmTMB's form")
  expect_error(profile(m, npts = 0), "`npts` must be a positive number")
  expect_error(profile(m, stepfac = "a"), "`stepfac` must be a positive number")
  expect_error(profile(m, level_max = 1.5), "`level` must be")
  expect_error(profile(m, stderr = -1), "`stderr` must be positive")
  expect_error(profile(m, stderr = c(1, 2)), "`stderr` must have length 1 or the number of profiled parameters \\(4\\)")
  expect_error(profile(m, parallel = "fork"), "`parallel` must be")
  expect_error(profile(m, parallel = "multicore", ncpus = 0), "`ncpus` must be")
  expect_error(profile(m, cl = 1), "`cl` \\(a cluster\\) is not supported")
  expect_error(profile(m, trace = "yes"), "`trace` must be")
  expect_error(profile(m, parm = "nope"), "unknown parameter in `parm`: nope")
  expect_error(profile(glmm(Reaction ~ Days + (1 | Subject), fixture_data("sleepstudy"), REML = TRUE)),
               "needs an ML fit .* form = \"lme4\"")
  expect_error(profile(glmm(Reaction ~ Days + (Days + I(Days^2) | Subject), fixture_data("sleepstudy")), parm = 8),
               "more than 2 columns only for their first one")
  p <- profile(m, parm = "Days", npts = 4)
  expect_error(confint(p, parm = "nope"), "`parm` must be names or positions of the profiled parameters: Days")
  expect_error(confint(p, level = 2), "`level` must be")
})
