# test-ecosystem.R: glmmlab fits in broom-style tidiers, emmeans, DHARMa and performance. Each
# block runs when the package it exercises is installed and skips cleanly otherwise.

# The chapter's LMM y ~ x1 + (1|groupID) and the cbpp binomial GLMM, fitted once.
ecosystem_lmm <- function() glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
ecosystem_cbpp <- function() {
  cbpp <- package_data("lme4", "cbpp")
  glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
}

test_that("tidy() gives broom.mixed's columns and rows for an LMM with a correlated slope", {
  sleepstudy <- package_data("lme4", "sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleepstudy)
  td <- as.data.frame(tidy.glmm(m))
  expect_named(td, c("effect", "component", "group", "term", "estimate", "std.error", "statistic", "p.value"))
  expect_equal(td$term, c("(Intercept)", "Days", "sd__(Intercept)", "sd__Days", "cor__(Intercept).Days", "sd__Observation"))
  expect_equal(td$group, c(NA, NA, "Subject", "Subject", "Subject", "Residual"))
  expect_equal(td$effect, rep(c("fixed", "ran_pars"), c(2, 4)))
  # glmmTMB 1.1.5 + broom.mixed 0.2.9.4: tidy(glmmTMB(Reaction ~ Days + (Days | Subject), data = sleepstudy))
  expect_equal(td$estimate, c(251.40513521, 10.46727258, 23.78057206, 5.71682193, 0.08132594, 25.59182479), tolerance = 1e-4)
  expect_equal(td$std.error[1:2], c(6.632278494, 1.502234221), tolerance = 1e-4)
  expect_equal(td$statistic[1:2], c(37.906299535, 6.967803312), tolerance = 1e-4)
  expect_true(all(is.na(td$std.error[3:6])))
})

test_that("tidy() of the chapter's LMM: fixed rows match summary(), variance rows match VarCorr()", {
  m <- ecosystem_lmm()
  td <- as.data.frame(tidy.glmm(m))
  coefs <- summary(m)$coefficients$cond
  expect_equal(td$estimate[1:2], unname(coefs[, "Estimate"]))
  expect_equal(td$p.value[1:2], unname(coefs[, "Pr(>|z|)"]))
  expect_equal(td$term[3:4], c("sd__(Intercept)", "sd__Observation"))
  expect_equal(td$estimate[3], unname(attr(VarCorr(m)$cond$groupID, "stddev")))
  expect_equal(td$estimate[4], sigma(m))
  fixed_ci <- as.data.frame(tidy.glmm(m, effects = "fixed", conf.int = TRUE, conf.level = 0.9))
  expect_equal(fixed_ci$conf.low, fixed_ci$estimate - qnorm(0.95) * fixed_ci$std.error)
  expect_equal(fixed_ci$conf.high, fixed_ci$estimate + qnorm(0.95) * fixed_ci$std.error)
  expect_equal(nrow(as.data.frame(tidy.glmm(m, effects = "ran_pars"))), 2L)
  expect_error(tidy.glmm(m, conf.level = 2), "conf.level")
  expect_error(tidy.glmm(m, effects = "random"), "effects")
})

test_that("tidy(), glance() and augment() of the cbpp GLMM agree with glmmTMB's", {
  g <- ecosystem_cbpp()
  td <- as.data.frame(tidy.glmm(g))
  expect_equal(td$term, c("(Intercept)", "period2", "period3", "period4", "sd__(Intercept)"))
  # glmmTMB 1.1.5 + broom.mixed 0.2.9.4: tidy(glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial))
  expect_equal(td$estimate, c(-1.3985325, -0.9923323, -1.1286713, -1.5803137, 0.6422617), tolerance = 1e-4)
  expect_equal(td$std.error[1:4], c(0.2324721, 0.3066425, 0.3266378, 0.4274366), tolerance = 1e-3)
  gl <- as.data.frame(glance.glmm(g))
  expect_named(gl, c("nobs", "sigma", "logLik", "AIC", "BIC", "df.residual"))
  # same glmmTMB fit: glance() gives nobs 56, sigma 1, logLik -92.02628, AIC 194.0526, BIC 204.1793, df.residual 51
  expect_equal(unlist(gl), c(nobs = 56, sigma = 1, logLik = -92.02628, AIC = 194.0526, BIC = 204.1793, df.residual = 51),
               tolerance = 1e-5)
  au <- augment.glmm(g)
  expect_equal(nrow(au), 56L)
  expect_equal(au$.fitted, unname(predict(g)))
  expect_equal(au$.mu, unname(fitted(g)))
  expect_equal(au$.resid, unname(residuals(g)))
  # glmmTMB's augment(): .fitted -0.8085123, .resid -0.1653505 for the first observation
  expect_equal(au$.fitted[1], -0.8085123, tolerance = 1e-4)
  expect_equal(au$.resid[1], -0.1653505, tolerance = 1e-4)
})

test_that("augment() aligns the original data when rows with missing values were dropped", {
  d <- chapter_sim_data()
  d$x1[c(3, 50)] <- NA
  m <- glmm(y ~ x1 + (1 | groupID), data = d)
  au <- augment.glmm(m, data = d)
  expect_equal(nrow(au), 200L)
  expect_true(all(is.na(au$.fitted[c(3, 50)])))
  expect_equal(au$.resid[-c(3, 50)], unname(residuals(m)))
  expect_error(augment.glmm(m, data = d[1:10, ]), "10 rows")
  expect_error(augment.glmm(m, data = 1:3), "data frame")
})

test_that("generics::tidy/glance/augment dispatch to glmmlab's methods when generics is installed", {
  skip_if_not_installed("generics")
  m <- ecosystem_lmm()
  expect_equal(as.data.frame(generics::tidy(m)), as.data.frame(tidy.glmm(m)))
  expect_equal(as.data.frame(generics::glance(m)), as.data.frame(glance.glmm(m)))
  expect_equal(as.data.frame(generics::augment(m)), as.data.frame(augment.glmm(m)))
})

test_that("broom.mixed's tidy() of glmmTMB and glmmlab's agree on the same models", {
  skip_if_not_installed("broom.mixed")
  skip_if_not_installed("glmmTMB")
  d <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = d)
  ref <- as.data.frame(broom.mixed::tidy(glmmTMB::glmmTMB(y ~ x1 + (1 | groupID), data = d)))
  ours <- as.data.frame(tidy.glmm(m))
  expect_equal(ours[c("effect", "component", "group", "term")], ref[c("effect", "component", "group", "term")])
  expect_equal(ours$estimate, ref$estimate, tolerance = 1e-4)
  expect_equal(ours$std.error, ref$std.error, tolerance = 1e-3)
})

test_that("emmeans on the cbpp binomial GLMM agrees with emmeans on glmmTMB's fit", {
  skip_if_not_installed("emmeans")
  g <- ecosystem_cbpp()
  ours <- as.data.frame(emmeans::emmeans(g, ~ period, type = "response"))
  # glmmTMB 1.1.5 + emmeans 1.8.4: emmeans(glmmTMB(<cbpp model>), ~ period, type = "response")
  expect_equal(ours$prob, c(0.19804909, 0.08387196, 0.07397296, 0.04839073), tolerance = 1e-3)
  expect_equal(ours$SE, c(0.03692252, 0.02383605, 0.02262417, 0.01980441), tolerance = 1e-3)
  expect_equal(ours$df, rep(51, 4))
  skip_if_not_installed("glmmTMB")
  cbpp <- package_data("lme4", "cbpp")
  ref_fit <- glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  ref <- as.data.frame(emmeans::emmeans(ref_fit, ~ period, type = "response"))
  for (column in c("prob", "SE", "df", "lower.CL", "upper.CL")) {
    expect_equal(ours[[column]], ref[[column]], tolerance = 1e-3, label = column)
  }
  expect_equal(as.data.frame(pairs(emmeans::emmeans(g, ~ period)))$estimate,
               as.data.frame(pairs(emmeans::emmeans(ref_fit, ~ period)))$estimate, tolerance = 1e-3)
})

test_that("emmeans on lme4's cake LMM (ML) agrees with emmeans on glmmTMB's fit", {
  skip_if_not_installed("emmeans")
  cake <- package_data("lme4", "cake")
  m <- glmm(angle ~ recipe * temperature + (1 | recipe:replicate), data = cake)
  ours <- as.data.frame(suppressMessages(emmeans::emmeans(m, ~ recipe)))
  # glmmTMB 1.1.5 + emmeans 1.8.4: emmeans(glmmTMB(angle ~ recipe * temperature + (1 | recipe:replicate), data = cake), ~ recipe)
  expect_equal(ours$emmean, c(33.12223, 31.64451, 31.59994), tolerance = 1e-4)
  expect_equal(ours$SE, rep(1.6779407, 3), tolerance = 1e-3)
  skip_if_not_installed("glmmTMB")
  ref_fit <- glmmTMB::glmmTMB(angle ~ recipe * temperature + (1 | recipe:replicate), data = cake)
  ref <- as.data.frame(suppressMessages(emmeans::emmeans(ref_fit, ~ recipe)))
  for (column in c("emmean", "SE", "df", "lower.CL", "upper.CL")) {
    expect_equal(ours[[column]], ref[[column]], tolerance = 1e-3, label = column)
  }
})

test_that("DHARMa's simulateResiduals() accepts the chapter's LMM and the cbpp GLMM", {
  skip_if_not_installed("DHARMa")
  for (m in list(ecosystem_lmm(), ecosystem_cbpp())) {
    res <- suppressWarnings(DHARMa::simulateResiduals(m, n = 50, seed = 1, plot = FALSE))
    expect_s3_class(res, "DHARMa")
    expect_length(res$scaledResiduals, nobs(m))
    expect_true(all(res$scaledResiduals >= 0 & res$scaledResiduals <= 1))
  }
})

test_that("emmeans marks cells of a rank-deficient design non-estimable, as for lm()", {
  skip_if_not_installed("emmeans")
  set.seed(1)
  d <- expand.grid(A = factor(1:3), B = factor(1:2), rep = 1:6)
  d$g <- factor(rep(1:12, length.out = nrow(d)))
  d <- d[!(d$A == 3 & d$B == 2), ]
  d$y <- rnorm(nrow(d)) + as.numeric(d$A) + rnorm(12)[d$g]
  m <- suppressMessages(glmm(y ~ A * B + (1 | g), data = d))
  ours <- as.data.frame(emmeans::emmeans(m, ~ A * B))
  expect_equal(is.na(ours$emmean), c(FALSE, FALSE, FALSE, FALSE, FALSE, TRUE))
  beta <- fixef(m)$cond
  expect_equal(ours$emmean[5], unname(beta["(Intercept)"] + beta["A2"] + beta["B2"] + beta["A2:B2"]))
})

test_that("the methods are registered whether generics/emmeans load before or after glmmlab", {
  skip_if_not_installed("callr")
  skip_if_not_installed("generics")
  skip_if_not_installed("emmeans")
  classes <- callr::r(function(libs) {
    .libPaths(libs)
    loadNamespace("generics")          # before glmmlab
    library(glmmlab)
    d <- data.frame(g = factor(rep(1:6, each = 5)), x = rep(1:5, 6))
    d$y <- d$x + rep(c(-1, 0.5, 1, -0.3, 0.2, 0.8), each = 5) + sin(1:30)
    m <- glmm(y ~ x + (1 | g), data = d)
    em <- emmeans::emmeans(m, ~ x)     # emmeans loads after glmmlab
    c(class(generics::tidy(m))[1L], class(em)[1L])
  }, args = list(libs = .libPaths()))
  expect_true(classes[1] %in% c("tbl_df", "data.frame"))
  expect_equal(classes[2], "emmGrid")
})

test_that("tidy() and glance() of the chapter's nbinom2 GLMM match glmmTMB's (no residual row)", {
  m <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = eulaema_data())
  td <- as.data.frame(tidy.glmm(m))
  # glmmTMB 1.1.5 + broom.mixed 0.2.9.4: tidy()/glance() of glmmTMB(Eulaema_nigrita ~ MAP + (1|SA), family = "nbinom2", data = dat)
  expect_equal(td$term, c("(Intercept)", "MAP", "sd__(Intercept)"))
  expect_equal(td$estimate[2:3], c(-0.002056789, 1.175616415), tolerance = 1e-4)
  gl <- as.data.frame(glance.glmm(m))
  expect_equal(unlist(gl), c(nobs = 178, sigma = 1.867928, logLik = -891.3991, AIC = 1790.798, BIC = 1803.525,
                             df.residual = 174), tolerance = 1e-5)
})
