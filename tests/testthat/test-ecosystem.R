# test-ecosystem.R: glmmlab fits in broom-style tidiers, emmeans, DHARMa, insight and performance.
# Each block runs when the package it exercises is installed and skips cleanly otherwise.

# The chapter's LMM y ~ x1 + (1|groupID) and the cbpp binomial GLMM, fitted once.
ecosystem_lmm <- function() glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
ecosystem_cbpp <- function() {
  cbpp <- fixture_data("cbpp")
  glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
}

test_that("tidy() gives broom.mixed's columns and rows for an LMM with a correlated slope", {
  sleepstudy <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleepstudy)
  td <- as.data.frame(tidy.glmmlab(m))
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
  td <- as.data.frame(tidy.glmmlab(m))
  coefs <- summary(m)$coefficients$cond
  expect_equal(td$estimate[1:2], unname(coefs[, "Estimate"]))
  expect_equal(td$p.value[1:2], unname(coefs[, "Pr(>|z|)"]))
  expect_equal(td$term[3:4], c("sd__(Intercept)", "sd__Observation"))
  expect_equal(td$estimate[3], unname(attr(VarCorr(m)$cond$groupID, "stddev")))
  expect_equal(td$estimate[4], sigma(m))
  fixed_ci <- as.data.frame(tidy.glmmlab(m, effects = "fixed", conf.int = TRUE, conf.level = 0.9))
  expect_equal(fixed_ci$conf.low, fixed_ci$estimate - qnorm(0.95) * fixed_ci$std.error)
  expect_equal(fixed_ci$conf.high, fixed_ci$estimate + qnorm(0.95) * fixed_ci$std.error)
  expect_equal(nrow(as.data.frame(tidy.glmmlab(m, effects = "ran_pars"))), 2L)
  expect_error(tidy.glmmlab(m, conf.level = 2), "conf.level")
  expect_error(tidy.glmmlab(m, effects = "random"), "effects")
})

test_that("tidy(), glance() and augment() of the cbpp GLMM agree with glmmTMB's", {
  g <- ecosystem_cbpp()
  td <- as.data.frame(tidy.glmmlab(g))
  expect_equal(td$term, c("(Intercept)", "period2", "period3", "period4", "sd__(Intercept)"))
  # glmmTMB 1.1.5 + broom.mixed 0.2.9.4: tidy(glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial))
  expect_equal(td$estimate, c(-1.3985325, -0.9923323, -1.1286713, -1.5803137, 0.6422617), tolerance = 1e-4)
  expect_equal(td$std.error[1:4], c(0.2324721, 0.3066425, 0.3266378, 0.4274366), tolerance = 1e-3)
  gl <- as.data.frame(glance.glmmlab(g))
  expect_named(gl, c("nobs", "sigma", "logLik", "AIC", "BIC", "df.residual"))
  # same glmmTMB fit: glance() gives nobs 56, sigma 1, logLik -92.02628, AIC 194.0526, BIC 204.1793, df.residual 51
  expect_equal(unlist(gl), c(nobs = 56, sigma = 1, logLik = -92.02628, AIC = 194.0526, BIC = 204.1793, df.residual = 51),
               tolerance = 1e-5)
  au <- augment.glmmlab(g)
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
  au <- augment.glmmlab(m, data = d)
  expect_equal(nrow(au), 200L)
  expect_true(all(is.na(au$.fitted[c(3, 50)])))
  expect_equal(au$.resid[-c(3, 50)], unname(residuals(m)))
  expect_error(augment.glmmlab(m, data = d[1:10, ]), "10 rows")
  expect_error(augment.glmmlab(m, data = 1:3), "data frame")
})

test_that("generics::tidy/glance/augment dispatch to glmmlab's methods when generics is installed", {
  skip_if_not_installed("generics")
  m <- ecosystem_lmm()
  expect_equal(as.data.frame(generics::tidy(m)), as.data.frame(tidy.glmmlab(m)))
  expect_equal(as.data.frame(generics::glance(m)), as.data.frame(glance.glmmlab(m)))
  expect_equal(as.data.frame(generics::augment(m)), as.data.frame(augment.glmmlab(m)))
})

test_that("broom.mixed's tidy() of glmmTMB and glmmlab's agree on the same models", {
  d <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = d)
  # broom.mixed 0.2.9.4 on glmmTMB 1.1.5 (stored)
  ref <- stored_references("core_methods")$chapter_x1_tmb_tidy
  ours <- as.data.frame(tidy.glmmlab(m))
  expect_equal(as.list(ours[c("effect", "component", "group", "term")]), ref[c("effect", "component", "group", "term")])
  expect_equal(ours$estimate, ref$estimate, tolerance = 1e-4)
  expect_equal(ours$std.error, ref$std.error, tolerance = 1e-3)
  skip_if_not_installed("broom.mixed")
  skip_if_not_installed("glmmTMB")
  ref <- as.data.frame(broom.mixed::tidy(glmmTMB::glmmTMB(y ~ x1 + (1 | groupID), data = d)))
  ours <- as.data.frame(tidy.glmmlab(m))
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
  cbpp <- fixture_data("cbpp")
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
  cake <- fixture_data("cake")
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
    mixed <- if (requireNamespace("insight", quietly = TRUE)) insight::model_info(m)$is_mixed else TRUE  # and insight
    c(class(generics::tidy(m))[1L], class(em)[1L], mixed)
  }, args = list(libs = .libPaths()))
  expect_true(classes[1] %in% c("tbl_df", "data.frame"))
  expect_equal(classes[2], "emmGrid")
  expect_equal(classes[3], "TRUE")
})

test_that("tidy() and glance() of the chapter's nbinom2 GLMM match glmmTMB's (no residual row)", {
  m <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = eulaema_data())
  td <- as.data.frame(tidy.glmmlab(m))
  # glmmTMB 1.1.5 + broom.mixed 0.2.9.4: tidy()/glance() of glmmTMB(Eulaema_nigrita ~ MAP + (1|SA), family = "nbinom2", data = dat)
  expect_equal(td$term, c("(Intercept)", "MAP", "sd__(Intercept)"))
  expect_equal(td$estimate[2:3], c(-0.002056789, 1.175616415), tolerance = 1e-4)
  gl <- as.data.frame(glance.glmmlab(m))
  expect_equal(unlist(gl), c(nobs = 178, sigma = 1.867928, logLik = -891.3991, AIC = 1790.798, BIC = 1803.525,
                             df.residual = 174), tolerance = 1e-5)
})

test_that("tidy(effects = \"ran_vals\") gives broom.mixed's rows for glmmTMB, with lme4's standard errors", {
  sleepstudy <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleepstudy)
  rv <- as.data.frame(tidy.glmmlab(m, effects = "ran_vals"))
  expect_named(rv, c("effect", "component", "group", "level", "term", "estimate", "std.error"))
  expect_equal(nrow(rv), 36L)
  expect_equal(rv$term, rep(c("(Intercept)", "Days"), each = 18))
  re <- ranef(m)$cond$Subject
  expect_equal(rv$estimate, c(re[["(Intercept)"]], re$Days))
  expect_equal(rv$std.error, as.data.frame(ranef(m))$condsd)
  # glmmTMB 1.1.5 + broom.mixed 0.2.9.4: tidy(glmmTMB(Reaction ~ Days + (Days | Subject), data = sleepstudy), effects = "ran_vals")
  expect_equal(rv$estimate[c(1, 2, 19)], c(2.815760406, -40.048538850, 9.07552733), tolerance = 1e-4)
  # lme4::lmer(<same>, REML = FALSE): condsd of the intercepts 11.87286, of the slopes 2.271
  expect_equal(rv$std.error[c(1, 19)], c(11.87286, 2.271074), tolerance = 1e-4)
  ci <- as.data.frame(tidy.glmmlab(m, effects = "ran_vals", conf.int = TRUE, conf.level = 0.9))
  expect_equal(ci$conf.low, ci$estimate - qnorm(0.95) * ci$std.error)
  rc <- as.data.frame(tidy.glmmlab(m, effects = "ran_coefs"))
  expect_named(rc, c("effect", "component", "group", "level", "term", "estimate"))
  expect_equal(rc$estimate, unlist(coef(m)$cond$Subject, use.names = FALSE))
  # lme4::lmer(<same>, REML = FALSE) + broom.mixed: tidy(effects = "ran_coefs") rows 1 and 19
  expect_equal(rc$estimate[c(1, 19)], c(254.2209, 19.542793), tolerance = 1e-4)
  all_rows <- as.data.frame(tidy.glmmlab(m, effects = c("fixed", "ran_pars", "ran_vals", "ran_coefs"), conf.int = TRUE))
  expect_named(all_rows, c("effect", "component", "group", "level", "term", "estimate", "std.error", "statistic",
                           "p.value", "conf.low", "conf.high"))
  expect_equal(as.vector(table(all_rows$effect)[c("fixed", "ran_pars", "ran_vals", "ran_coefs")]), c(2, 4, 36, 36))
  expect_true(all(is.na(all_rows$level[all_rows$effect %in% c("fixed", "ran_pars")])))
  expect_error(tidy.glmmlab(m, effects = "ran_val"), "ran_vals")
})

test_that("tidy() ran_vals and ran_coefs agree with broom.mixed on glmmTMB and lme4 fits (stored)", {
  sleepstudy <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleepstudy)
  refs <- stored_references("core_methods")   # broom.mixed 0.2.9.4 on glmmTMB 1.1.5 and lme4 1.1-31 fits
  ref <- refs$sleep_slope_ml_tmb_tidy
  ours <- as.data.frame(tidy.glmmlab(m, effects = c("fixed", "ran_pars", "ran_vals")))
  expect_named(ours, ref$names)
  expect_equal(as.list(ours[c("effect", "component", "group", "level", "term")]), ref[c("effect", "component", "group", "level", "term")])
  expect_equal(ours$estimate, ref$estimate, tolerance = 1e-4)
  vals <- ours$effect == "ran_vals"
  expect_equal(ours$std.error[vals], refs$sleep_slope_ml_lme4_tidy_ran_vals_se, tolerance = 1e-4)
  rc <- as.data.frame(tidy.glmmlab(m, effects = "ran_coefs"))
  expect_equal(as.list(rc[c("group", "level", "term")]), refs$sleep_slope_ml_lme4_tidy_ran_coefs[c("group", "level", "term")])
  expect_equal(rc$estimate, refs$sleep_slope_ml_lme4_tidy_ran_coefs$estimate, tolerance = 1e-4)
  ours2 <- as.data.frame(tidy.glmmlab(ecosystem_cbpp(), effects = "ran_vals"))
  expect_equal(as.list(ours2[c("group", "level", "term")]), refs$cbpp_binom_tmb_tidy_ran_vals[c("group", "level", "term")])
  expect_equal(ours2$estimate, refs$cbpp_binom_tmb_tidy_ran_vals$estimate, tolerance = 1e-4)
})

test_that("tidy() ran_vals and ran_coefs agree with broom.mixed on glmmTMB and lme4 fits (live)", {
  skip_if_not_installed("broom.mixed")
  skip_if_not_installed("glmmTMB")
  sleepstudy <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleepstudy)
  g <- glmmTMB::glmmTMB(Reaction ~ Days + (Days | Subject), data = sleepstudy)
  ours <- as.data.frame(tidy.glmmlab(m, effects = c("fixed", "ran_pars", "ran_vals")))
  ref <- as.data.frame(broom.mixed::tidy(g, effects = c("fixed", "ran_pars", "ran_vals")))
  expect_named(ours, names(ref))
  expect_equal(ours[c("effect", "component", "group", "level", "term")], ref[c("effect", "component", "group", "level", "term")])
  expect_equal(ours$estimate, ref$estimate, tolerance = 1e-4)
  # glmmTMB's standard errors of the random effects include the uncertainty of the fixed effects
  # (TMB's sdreport); glmmlab's are the conditional SDs given them, as lme4's, so somewhat smaller.
  vals <- ours$effect == "ran_vals"
  expect_true(all(ours$std.error[vals] < ref$std.error[vals]))
  l <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy, REML = FALSE)
  ref_l <- as.data.frame(broom.mixed::tidy(l, effects = "ran_vals"))
  expect_equal(ours$std.error[vals], ref_l$std.error, tolerance = 1e-4)
  rc <- as.data.frame(tidy.glmmlab(m, effects = "ran_coefs"))
  ref_rc <- as.data.frame(broom.mixed::tidy(l, effects = "ran_coefs"))
  expect_equal(rc[c("group", "level", "term")], ref_rc[c("group", "level", "term")])
  expect_equal(rc$estimate, ref_rc$estimate, tolerance = 1e-4)
  g2 <- glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), data = fixture_data("cbpp"),
                         family = binomial)
  ours2 <- as.data.frame(tidy.glmmlab(ecosystem_cbpp(), effects = "ran_vals"))
  ref2 <- as.data.frame(broom.mixed::tidy(g2, effects = "ran_vals"))
  expect_equal(ours2[c("group", "level", "term")], ref2[c("group", "level", "term")])
  expect_equal(ours2$estimate, ref2$estimate, tolerance = 1e-4)
})

test_that("a glmmlab fit is not of class \"glmm\", the class of the glmm package that insight special-cases", {
  m <- ecosystem_lmm()
  expect_s3_class(m, "glmmlab")
  expect_false(inherits(m, "glmm"))
})

test_that("insight reads the sleepstudy LMM and the cbpp GLMM as it reads the same glmmTMB fits", {
  skip_if_not_installed("insight")
  skip_if_not_installed("glmmTMB")
  sleepstudy <- fixture_data("sleepstudy")
  cbpp <- fixture_data("cbpp")
  pairs <- list(
    list(glmm(Reaction ~ Days + (Days | Subject), data = sleepstudy),
         glmmTMB::glmmTMB(Reaction ~ Days + (Days | Subject), data = sleepstudy)),
    list(glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial),
         glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)))
  flags <- c("is_mixed", "is_linear", "is_binomial", "is_bernoulli", "is_count", "is_trial", "family", "link_function",
             "n_obs", "n_grouplevels")
  for (pair in pairs) {
    m <- pair[[1]]
    g <- pair[[2]]
    expect_equal(insight::model_info(m)[flags], insight::model_info(g)[flags])
    expect_true(insight::is_mixed_model(m))
    expect_equal(lapply(insight::find_formula(m), format), lapply(insight::find_formula(g), format))
    expect_equal(insight::find_random(m), insight::find_random(g))
    expect_equal(insight::get_random(m), insight::get_random(g), ignore_attr = TRUE)
    expect_equal(insight::find_parameters(m), insight::find_parameters(g))   # with glmmTMB's dispersion where it has one
    expect_equal(insight::find_response(m), insight::find_response(g))
    expect_equal(insight::get_response(m), insight::get_response(g), ignore_attr = TRUE)
    expect_equal(insight::get_data(m), insight::get_data(g), ignore_attr = TRUE)
    expect_equal(insight::n_obs(m), insight::n_obs(g))
    expect_equal(insight::link_inverse(m)(0.3), insight::link_inverse(g)(0.3))
    expect_equal(insight::link_function(m)(0.3), insight::link_function(g)(0.3))
    expect_equal(insight::get_parameters(m), insight::get_parameters(g), tolerance = 1e-4, ignore_attr = TRUE)
    expect_equal(insight::get_statistic(m)$Statistic, insight::get_statistic(g)$Statistic, tolerance = 1e-4)
    expect_equal(insight::get_varcov(m), insight::get_varcov(g), tolerance = 1e-3)
    expect_equal(as.numeric(insight::get_loglikelihood(m)), as.numeric(insight::get_loglikelihood(g)), tolerance = 1e-6)
    expect_equal(insight::get_df(m), insight::get_df(g))
    expect_equal(as.numeric(insight::get_predicted(m)), as.numeric(insight::get_predicted(g)), tolerance = 1e-4)
    expect_equal(insight::get_residuals(m), insight::get_residuals(g), tolerance = 1e-4, ignore_attr = TRUE)
    expect_equal(insight::get_sigma(m), insight::get_sigma(g), tolerance = 1e-4, ignore_attr = TRUE)
    ours <- insight::get_variance(m)
    ref <- insight::get_variance(g)
    expect_named(ours, names(ref))
    expect_equal(ours, ref, tolerance = 1e-4)
    expect_equal(insight::get_variance_random(m), insight::get_variance_random(g), tolerance = 1e-4)
  }
  expect_equal(insight::get_variance(pairs[[1]][[1]], component = "slope"), list(var.slope = c(Subject.Days = 5.716822^2)),
               tolerance = 1e-4)
})

# The value of `expr`, with what performance prints (e.g. "Can't calculate log-loss.") kept quiet.
quietly <- function(expr) {
  value <- NULL
  utils::capture.output(value <- suppressMessages(expr))
  value
}

# Intraclass correlations and Nakagawa R² of performance for the chapter-like models: live against
# the same functions on glmmTMB's fits, and against the numbers they gave (glmmTMB 1.1.5,
# performance 0.10.2, insight 0.19.0):
#   g <- glmmTMB(<model>); c(unlist(performance::icc(g)), unlist(performance::r2_nakagawa(g)))
performance_models <- function() {
  list(sleepstudy = list(formula = Reaction ~ Days + (Days | Subject), data = fixture_data("sleepstudy"),
                         family = gaussian(), icc = c(0.7090960845, 0.5051524973), r2 = c(0.7927631493, 0.2876106520)),
       chapter = list(formula = y ~ x1 + (1 | groupID), data = chapter_sim_data(),
                      family = gaussian(), icc = c(0.7215795977, 0.4692152296), r2 = c(0.8189540095, 0.3497387798)),
       cbpp = list(formula = cbind(incidence, size - incidence) ~ period + (1 | herd), data = fixture_data("cbpp"),
                   family = binomial(), icc = c(0.11141519010, 0.10189854853), r2 = c(0.18731456368, 0.08541601514)))
}

test_that("performance::icc() and r2_nakagawa() of glmmlab fits agree with those of glmmTMB fits", {
  skip_if_not_installed("performance")
  for (name in names(performance_models())) {
    spec <- performance_models()[[name]]
    m <- glmm(spec$formula, data = spec$data, family = spec$family)
    icc <- performance::icc(m)
    r2n <- performance::r2_nakagawa(m)
    expect_s3_class(icc, "icc")
    expect_equal(c(icc$ICC_adjusted, icc$ICC_unadjusted), spec$icc, tolerance = 1e-4, label = paste("ICC of", name))
    expect_equal(unname(c(r2n$R2_conditional, r2n$R2_marginal)), spec$r2, tolerance = 1e-4, label = paste("R2 of", name))
    ours <- r2(m)
    expect_equal(unname(c(r2n$R2_conditional, r2n$R2_marginal)), c(ours$R2_conditional, ours$R2_marginal))
    if (!requireNamespace("glmmTMB", quietly = TRUE)) next
    g <- glmmTMB::glmmTMB(spec$formula, data = spec$data, family = spec$family)
    expect_equal(unlist(icc), unlist(performance::icc(g)), tolerance = 1e-4, label = paste("live ICC of", name))
    expect_equal(unlist(r2n), unlist(performance::r2_nakagawa(g)), tolerance = 1e-4, label = paste("live R2 of", name))
  }
})

test_that("performance::model_performance() gives glmmTMB's columns and numbers", {
  skip_if_not_installed("performance")
  # glmmTMB 1.1.5 + performance 0.10.2: as.data.frame(model_performance(glmmTMB(<model>)))
  stored <- list(sleepstudy = c(AIC = 1763.939344, AICc = 1764.424894, BIC = 1783.097086, R2_conditional = 0.7927631493,
                                R2_marginal = 0.287610652, ICC = 0.7090960845, RMSE = 23.5035651, Sigma = 25.59182479),
                 chapter = c(AIC = 896.4990546, AICc = 896.7041828, BIC = 909.692324, R2_conditional = 0.8189540095,
                             R2_marginal = 0.3497387798, ICC = 0.7215795977, RMSE = 1.969897476, Sigma = 2.020066226),
                 cbpp = c(AIC = 194.0525637, AICc = 195.2525637, BIC = 204.1793222, R2_conditional = 0.1873145637,
                          R2_marginal = 0.08541601514, ICC = 0.1114151901, RMSE = 0.09939614579, Sigma = 1))
  for (name in names(stored)) {
    spec <- performance_models()[[name]]
    m <- glmm(spec$formula, data = spec$data, family = spec$family)
    mp <- quietly(performance::model_performance(m))
    expect_s3_class(mp, "performance_model")
    expect_equal(unlist(as.data.frame(mp)[names(stored[[name]])]), stored[[name]], tolerance = 1e-5, label = name)
    if (!requireNamespace("glmmTMB", quietly = TRUE)) next
    g <- glmmTMB::glmmTMB(spec$formula, data = spec$data, family = spec$family)
    ref <- quietly(performance::model_performance(g))
    expect_named(mp, names(ref))
    expect_equal(unlist(as.data.frame(mp)), unlist(as.data.frame(ref)), tolerance = 1e-4, label = paste("live", name))
  }
})

test_that("performance::check_model() computes its diagnostics for an LMM, a binomial and a Poisson GLMM", {
  skip_if_not_installed("performance")
  # plotting the result needs the 'see' package; the diagnostics themselves are computed here.
  # Cook's distances, the random effects' QQ data and the homogeneity panel are what performance
  # only extracts from lme4/glmmTMB objects, so they are absent.
  cm <- quietly(performance::check_model(ecosystem_lmm()))
  expect_s3_class(cm, "check_model")
  expect_true(all(c("QQ", "NORM", "NCV", "PP_CHECK") %in% names(cm)))
  expect_equal(nrow(cm$NCV), 200L)
  expect_true(attr(cm, "model_info")$is_mixed)
  cb <- quietly(performance::check_model(ecosystem_cbpp()))
  expect_true("BINNED_RESID" %in% names(cb))
  salamanders <- fixture_data("Salamanders")
  mp <- glmm(count ~ mined + (1 | site), data = salamanders, family = poisson)
  cp <- quietly(performance::check_model(mp))
  expect_true("OVERDISPERSION" %in% names(cp))
  expect_equal(cp$OVERDISPERSION$Predicted, unname(fitted(mp)), ignore_attr = TRUE)
})

test_that("for count models performance's icc() and r2_nakagawa() give glmmlab's r2() and glmmTMB's numbers", {
  skip_if_not_installed("performance")
  salamanders <- fixture_data("Salamanders")
  m <- glmm(count ~ mined + (1 | site), data = salamanders, family = poisson)
  # r2() takes the null model's mean count exp(beta0), as insight 0.19.0 does for glmmTMB fits
  # (see ?r2; test-eco_tools.R compares with the stored glmmTMB numbers).
  ours <- r2(m)
  vars <- insight::get_variance(m)
  expect_equal(vars$var.distribution, ours$var_distribution)
  expect_equal(vars$var.residual, ours$var_residual)
  r2n <- performance::r2_nakagawa(m)
  expect_equal(unname(c(r2n$R2_conditional, r2n$R2_marginal)), c(ours$R2_conditional, ours$R2_marginal))
  expect_equal(performance::icc(m)$ICC_adjusted, ours$var_random / (ours$var_random + ours$var_residual))
  expect_true(insight::model_info(m)$is_count)
})
