# test-infer_confint.R: vcov(full = TRUE) and confint() as glmmTMB gives them (R/inference_core.R,
# R/confint_tmb.R), compared with glmmTMB (tests/references/refs_infer.R, topic "infer").

refs <- stored_references("infer")

# Same intervals: limits within `tol` relative to the interval's width (or the limit), estimates exactly.
expect_same_limits <- function(ours, ref, tol = 1e-4) {
  expect_identical(dimnames(ours), dimnames(ref))
  scale <- pmax(abs(ref[, 1:2]), ref[, 2] - ref[, 1])
  expect_true(all(abs(ours[, 1:2] - ref[, 1:2]) <= tol * scale), info = paste(capture.output(print(ours - ref)), collapse = "\n"))
  if (ncol(ref) == 3L) expect_equal(ours[, 3], ref[, 3], tolerance = 1e-5)
}

# Same covariance matrix and names (glmmTMB's names carry names of their own: "cond1", "theta1", ...).
expect_same_vcov <- function(ours, ref, tol = 1e-4) {
  expect_identical(lapply(dimnames(ours), unname), lapply(dimnames(ref), unname))
  expect_equal(ours, ref, tolerance = tol, ignore_attr = TRUE)
}

test_that("vcov(full = TRUE) is glmmTMB's: names, order, internal scale (ML, REML, GLMMs)", {
  sleep <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  V <- vcov(m, full = TRUE)
  expect_identical(rownames(V), c(cond1 = "(Intercept)", cond2 = "Days", disp = "d~(Intercept)",
                                  stats::setNames(paste0("theta_Days|Subject.", 1:3), paste0("theta", 1:3))))
  expect_same_vcov(V, refs$sleep_ml$vcov_full)
  expect_equal(V[1:2, 1:2], vcov(m)$cond, tolerance = 1e-5)
  r <- glmm(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE)
  expect_same_vcov(vcov(r, full = TRUE), refs$sleep_reml$vcov_full)
  cbpp <- fixture_data("cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  expect_same_vcov(vcov(g, full = TRUE), refs$cbpp$vcov_full)
  expect_equal(unname(vcov(g, full = TRUE)[1:4, 1:4]), unname(vcov(g)$cond), tolerance = 1e-6)
  expect_same_vcov(vcov(glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data()), full = TRUE), refs$chapter_x1$vcov_full)
  expect_same_vcov(vcov(glmm(UBW ~ LBW + (1 | pop/patch), data = blossoms_data()), full = TRUE),
                   refs$blossoms_nested$vcov_full)
  nb <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = eulaema_data())
  expect_same_vcov(vcov(nb, full = TRUE), refs$eulaema_nb2$vcov_full)
  expect_error(vcov(m, full = NA), "`full` must be TRUE or FALSE")
})

test_that("confint() defaults, parm, full and level are glmmTMB's", {
  sleep <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_same_limits(confint(m), refs$sleep_ml$confint)
  expect_identical(rownames(confint(m)), c("(Intercept)", "Days", "Std.Dev.(Intercept)|Subject", "Std.Dev.Days|Subject",
                                           "Cor.Days.(Intercept)|Subject"))
  expect_same_limits(confint(m, method = "Wald"), refs$sleep_ml$confint)
  expect_same_limits(confint(m, full = TRUE), refs$sleep_ml$confint_full)
  expect_same_limits(confint(m, parm = "theta_"), refs$sleep_ml$confint_theta)
  expect_same_limits(confint(m, parm = 1:3), refs$sleep_ml$confint_123)
  expect_same_limits(confint(m, level = 0.9), refs$sleep_ml$confint_90)
  # names: vcov(full = TRUE)'s, the rows', "sigma"
  expect_identical(confint(m, parm = "theta_Days|Subject.2"), confint(m, parm = "Std.Dev.Days|Subject"))
  expect_identical(rownames(confint(m, parm = c("Days", "sigma"))), c("cond.Days", "sigma"))
  expect_identical(colnames(confint(m, estimate = FALSE)), c("2.5 %", "97.5 %"))
  expect_identical(nrow(confint(m, component = "other")), 0L)
  expect_identical(rownames(confint(m, component = "other", full = TRUE)), "sigma")
  r <- glmm(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE)
  expect_same_limits(confint(r), refs$sleep_reml$confint)
  cbpp <- fixture_data("cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  expect_same_limits(confint(g), refs$cbpp$confint)
  chapter <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  expect_same_limits(confint(chapter), refs$chapter_x1$confint)
  expect_same_limits(confint(chapter, full = TRUE), refs$chapter_x1$confint_full)
  expect_same_limits(confint(glmm(UBW ~ LBW + (1 | pop/patch), data = blossoms_data())), refs$blossoms_nested$confint)
  nb <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = eulaema_data())
  expect_same_limits(confint(nb), refs$eulaema_nb2$confint)
  expect_same_limits(confint(nb, full = TRUE), refs$eulaema_nb2$confint_full)
})

test_that("method = \"uniroot\" gives glmmTMB's profile limits on its internal scale", {
  sleep <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  # glmmTMB's root finder stops at uniroot()'s default tolerance (~1e-4 in the parameter)
  expect_same_limits(confint(m, method = "uniroot"), refs$sleep_ml$uniroot, tol = 5e-4)
  cbpp <- fixture_data("cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  expect_same_limits(confint(g, method = "uniroot"), refs$cbpp$uniroot, tol = 5e-4)
  # the same profile as method = "profile", on the log-SD scale
  expect_equal(unname(exp(confint(m, method = "uniroot", parm = "theta_Days|Subject.1")[1, 1:2])),
               unname(confint(m, method = "profile", parm = ".sig01")[1, ]), tolerance = 1e-6)
  r <- glmm(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE)
  expect_error(confint(r, method = "uniroot"), "needs an ML fit")
})

test_that("bad arguments get clear errors", {
  sleep <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_error(confint(m, parm = 7), "`parm` positions must be whole numbers between 1 and 6")
  expect_error(confint(m, parm = "Day"), "unknown parameter in `parm`: Day")
  expect_error(confint(m, parm = TRUE), "`parm` must be parameter names")
  expect_error(confint(m, estimate = "yes"), "`estimate` must be TRUE or FALSE")
  expect_error(confint(m, component = "zi"), "should be one of")
  expect_warning(confint(m, foo = 10), "arguments ignored: 'foo'")
})

test_that("vcov(full = TRUE) and confint() agree with a live glmmTMB fit", {
  skip_if_not_installed("glmmTMB")
  sleep <- fixture_data("sleepstudy")
  ref <- glmmTMB::glmmTMB(Reaction ~ Days + (Days | Subject), sleep)
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_same_vcov(vcov(m, full = TRUE), vcov(ref, full = TRUE))
  expect_same_limits(confint(m, full = TRUE), confint(ref, full = TRUE))
  cbpp <- fixture_data("cbpp")
  form <- cbind(incidence, size - incidence) ~ period + (1 | herd)
  ref <- glmmTMB::glmmTMB(form, cbpp, family = binomial)
  g <- glmm(form, data = cbpp, family = binomial)
  expect_same_vcov(vcov(g, full = TRUE), vcov(ref, full = TRUE))
})

test_that("a singular fit: the variance at 0 has NaN rows, with a warning; predictions hold it fixed", {
  d <- withr::with_seed(1, {
    d <- data.frame(g = factor(rep(1:10, each = 10)), x = rnorm(100))
    d$y <- 1 + d$x + rnorm(100)
    d$c <- rpois(100, exp(0.5 + 0.2 * d$x))
    d
  })
  m <- suppressMessages(glmm(c ~ x + (1 | g), data = d, family = poisson))
  expect_equal(unname(m$theta), 0)
  expect_warning(V <- vcov(m, full = TRUE), "theta_1\\|g.1 has no finite value")
  expect_true(all(is.nan(V[3, ])))
  expect_equal(unname(V[1:2, 1:2]), unname(vcov(m)$cond), tolerance = 1e-6)
  ci <- suppressWarnings(confint(m))
  expect_true(all(is.finite(ci[1:2, ])))
  expect_true(all(is.nan(ci[3, 1:2])))
  se <- predict(m, se.fit = TRUE)$se.fit
  expect_equal(unname(se), unname(predict(m, se.fit = TRUE, re.form = NA)$se.fit), tolerance = 1e-6)
})
