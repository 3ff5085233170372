# test-compat_form.R: lme4 arguments and numbers that lme4's own test suite checks (R/devfun.R,
# peer_eta_start() and rank_deficiency_action() in R/glmm.R), against stored lme4 1.1-31 numbers
# (tests/references/refs_compat_form.R) and, when lme4 is installed, live fits.

test_that("devFunOnly = TRUE gives lme4's deviance function of theta for LMMs (ML and REML), without fitting", {
  ref <- stored_references("compat_form")
  ss <- fixture_data("sleepstudy")
  dev_ml <- glmm(Reaction ~ Days + (Days | Subject), ss, REML = FALSE, devFunOnly = TRUE)
  dev_reml <- glmm(Reaction ~ Days + (Days | Subject), ss, REML = TRUE, devFunOnly = TRUE)
  expect_true(is.function(dev_ml))
  expect_equal(vapply(ref$lmm_points, dev_ml, numeric(1)), ref$lmm_dev_ml, tolerance = 1e-10)
  expect_equal(vapply(ref$lmm_points, dev_reml, numeric(1)), ref$lmm_dev_reml, tolerance = 1e-10)
  ss_w <- ss
  ss_w$w <- 1 + (seq_len(nrow(ss)) %% 3) / 2
  dev_weighted <- glmm(Reaction ~ Days + (Days | Subject), ss_w, weights = w, devFunOnly = TRUE)
  expect_equal(vapply(ref$lmm_points, dev_weighted, numeric(1)), ref$lmm_dev_weighted, tolerance = 1e-10)
  # two terms of one grouping factor, theta in lme4's order
  dev_two <- glmm(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), ss, devFunOnly = TRUE)
  expect_equal(dev_two(ref$lmm_two_point), ref$lmm_two_dev, tolerance = 1e-10)
  # the same function as getME(fit, "devfun"); its minimum is the fit's deviance
  fit <- glmm(Reaction ~ Days + (Days | Subject), ss)
  expect_equal(dev_ml(ref$lmm_points[[2]]), getME(fit, "devfun")(ref$lmm_points[[2]]), tolerance = 1e-12)
  expect_equal(dev_ml(unname(getME(fit, "theta"))), -2 * as.numeric(logLik(fit)), tolerance = 1e-10)
  expect_error(dev_ml(c(1, 0)), "takes 3 values of theta")
  skip_if_not_installed("lme4")
  live <- lme4::lmer(Reaction ~ Days + (Days | Subject), ss, REML = TRUE, devFunOnly = TRUE)
  expect_equal(dev_reml(c(0.5, 0.1, 0.3)), live(c(0.5, 0.1, 0.3)), tolerance = 1e-10)
})

test_that("devFunOnly = TRUE for GLMMs: lme4's function of c(theta, beta), the exact Laplace approximation", {
  ref <- stored_references("compat_form")
  cbpp <- fixture_data("cbpp")
  cbpp$obs <- factor(seq_len(nrow(cbpp)))
  dev <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, devFunOnly = TRUE)
  # the Laplace approximation computed herd by herd in R (the reference script) to 1e-8;
  # lme4's own deviance function is 9e-4 higher here (how glmer computes the approximation)
  expect_equal(dev(ref$glmm_point), ref$glmm_dev_exact, tolerance = 1e-9)
  expect_equal(dev(ref$glmm_fit_point), ref$glmm_fit_dev_exact, tolerance = 1e-9)
  expect_lt(abs(dev(ref$glmm_point) - ref$glmm_dev_lme4), 2e-3)
  dev_two <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd) + (1 | obs), cbpp, family = binomial,
                  devFunOnly = TRUE)
  expect_equal(dev_two(ref$glmm_two_point), ref$glmm_two_dev_lme4, tolerance = 1e-7)
  fit <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
  expect_equal(dev(ref$glmm_point), getME(fit, "devfun")(ref$glmm_point), tolerance = 1e-12)
  expect_error(dev(ref$glmm_point[-1]), "takes 5 values: theta, then beta")
  expect_error(glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, nAGQ = 0,
                    devFunOnly = TRUE), "nAGQ = 0")
  expect_error(glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, devFunOnly = NA),
               "`devFunOnly` must be TRUE or FALSE")
  expect_error(glmm(incidence ~ period, cbpp, family = poisson, devFunOnly = TRUE), "needs random effects")
  expect_error(glmm(size ~ period + (1 | herd), cbpp, family = Gamma(link = "log"), devFunOnly = TRUE),
               "not available for the Gamma family")
  expect_error(glmm(incidence ~ period + (1 | herd), cbpp, family = poisson, devFunOnly = TRUE, ziformula = ~1),
               "not available with `ziformula`")
  skip_if_not_installed("lme4")
  live <- lme4::glmer(cbind(incidence, size - incidence) ~ period + (1 | herd) + (1 | obs), cbpp, family = binomial,
                      devFunOnly = TRUE)
  expect_equal(dev_two(ref$glmm_two_point), live(ref$glmm_two_point), tolerance = 1e-7)
})

test_that("etastart and mustart start the GLM that gives the fixed effects' start (lme4's test-glmer)", {
  ref <- stored_references("compat_form")
  cbpp <- fixture_data("cbpp")
  m1 <- glmm(incidence / size ~ period + (1 | herd), weights = size, family = binomial, data = cbpp)
  m1E <- glmm(incidence / size ~ period + (1 | herd), weights = size, family = binomial, data = cbpp,
              etastart = rep(1, nrow(cbpp)))
  m1M <- glmm(incidence / size ~ period + (1 | herd), weights = size, family = binomial, data = cbpp,
              mustart = rep(0.3, nrow(cbpp)))
  # another path to the same optimum: glmmTMB's; lme4's (with etastart) is 3e-4 lower in log-likelihood
  expect_equal(fixef(m1E)$cond, ref$cbpp_prop_tmb_fixef, tolerance = 1e-5)
  expect_equal(as.numeric(logLik(m1E)), ref$cbpp_prop_tmb_loglik, tolerance = 1e-6)
  expect_gt(as.numeric(logLik(m1E)), ref$etastart_loglik)
  expect_equal(fixef(m1E)$cond, ref$etastart_fixef, tolerance = 1e-3)
  expect_equal(fixef(m1E)$cond, fixef(m1)$cond, tolerance = 1e-6)
  expect_equal(fixef(m1M)$cond, fixef(m1)$cond, tolerance = 1e-6)
  expect_false(identical(fixef(m1)$cond, fixef(m1E)$cond))   # the start was used (lme4's check)
  expect_error(glmm(incidence / size ~ period + (1 | herd), weights = size, family = binomial, data = cbpp, etastart = 1),
               "`etastart` must have one finite value per observation used in the fit \\(56\\)")
  expect_error(glmm(incidence / size ~ period + (1 | herd), weights = size, family = binomial, data = cbpp,
                    mustart = rep(2, 56)), "`mustart` gives means outside the range of the binomial family")
  expect_error(glmm(incidence / size ~ period + (1 | herd), weights = size, family = binomial, data = cbpp,
                    mustart = rep(0.3, 56), etastart = rep(0, 56)), "not both")
  skip_if_not_installed("lme4")
  live <- lme4::glmer(incidence / size ~ period + (1 | herd), weights = size, family = binomial, data = cbpp,
                      etastart = rep(1, nrow(cbpp)))
  expect_equal(fixef(m1E)$cond, lme4::fixef(live), tolerance = 1e-3)
  expect_gte(as.numeric(logLik(m1E)), as.numeric(stats::logLik(live)))
})

test_that("lme4's check.rankX and glmmTMB's rank_check: stop, warn, drop silently; unavailable settings are errors", {
  ref <- stored_references("compat_form")
  d <- ref$rank_data
  stop_ctrl <- structure(list(checkControl = list(check.rankX = "stop.deficient")), class = c("glmerControl", "merControl"))
  # lme4's message: "... column rank deficient (rank(X) = 2 < 3 = p); ..."; its test matches "rank deficient.*rank.X."
  expect_match(ref$rank_error_lme4, "rank deficient.*rank.X.")
  expect_error(glmm(z ~ x + y + (1 | r), data = d, family = binomial, control = stop_ctrl),
               "rank deficient \\(rank\\(X\\) = 2 < 3 = p\\)")
  expect_error(glmm(z ~ x + y + (1 | r), data = d, family = binomial, control = list(rank_check = "stop", profile = FALSE)),
               "rank deficient.*rank.X.")
  warn_ctrl <- stop_ctrl
  warn_ctrl$checkControl$check.rankX <- "warn+drop.cols"
  expect_warning(m <- suppressMessages(glmm(z ~ x + y + (1 | r), data = d, family = binomial, control = warn_ctrl)),
                 "rank deficient so dropping 1 column: y")
  expect_named(fixef(m)$cond, c("(Intercept)", "x"))
  silent_ctrl <- stop_ctrl
  silent_ctrl$checkControl$check.rankX <- "silent.drop.cols"
  notes <- character()
  withCallingHandlers(glmm(z ~ x + y + (1 | r), data = d, family = binomial, control = silent_ctrl),
                      message = function(m) { notes <<- c(notes, conditionMessage(m)); invokeRestart("muffleMessage") })
  expect_false(any(grepl("rank deficient", notes)))
  ignore_ctrl <- stop_ctrl
  ignore_ctrl$checkControl$check.rankX <- "ignore"
  expect_error(glmm(z ~ x + y + (1 | r), data = d, family = binomial, control = ignore_ctrl),
               "keeps the redundant column y: X'X is not positive definite")
  expect_no_error(suppressMessages(glmm(z ~ x + (1 | r), data = d, family = binomial, control = ignore_ctrl)))
  expect_error(glmm(z ~ x + (1 | r), data = d, family = binomial, control = list(rank_check = "often", profile = FALSE)),
               "unknown rank check setting \"often\"")
  expect_message(glmm(z ~ x + y + (1 | r), data = d, family = binomial, control = list(rank_check = "adjust", profile = FALSE)),
                 "rank deficient so dropping 1 column: y")
  # a full-rank design is unaffected by "stop"
  expect_no_error(suppressMessages(glmm(z ~ x + (1 | r), data = d, family = binomial, control = stop_ctrl)))
  skip_if_not_installed("lme4")
  expect_error(glmm(z ~ x + y + (1 | r), data = d, family = binomial, control = lme4::glmerControl(check.rankX = "stop")),
               "rank deficient.*rank.X.")
})

test_that("REML sleepstudy residuals: lme4's converged numbers (its test's are from a looser optimum)", {
  ref <- stored_references("compat_form")
  m <- glmm(Reaction ~ Days + (Days | Subject), fixture_data("sleepstudy"), REML = TRUE)
  expect_equal(range(resid(m)), ref$resid_range_tight, tolerance = 1e-7)
  # lme4's test-resids numbers differ by 1e-3: lme4 stopped at xtol_abs = 1e-6 with a higher REML criterion
  expect_equal(range(resid(m)), ref$resid_range_loose, tolerance = 1e-4)
  expect_gt(ref$reml_loose, ref$reml_tight)
  expect_equal(-2 * as.numeric(logLik(m)), ref$reml_tight, tolerance = 1e-10)
})

test_that("predict(newparams =) of a Poisson fit: lme4's converged numbers (lme4's test-utils differ by 2e-5 relative)", {
  ref <- stored_references("compat_form")
  ss <- fixture_data("sleepstudy")
  m <- glmm(round(Reaction) ~ 1 + (1 | Subject), data = ss, family = poisson)
  p <- predict(m, newparams = list(beta = 5, theta = 1), type = "response", re.form = ~ 1 | Subject)
  # the spherical modes u of the fit carried to the new theta: they depend on the optimum, where
  # lme4 at its default tolerances stops 2e-12 short in log-likelihood
  expect_equal(unname(head(p, 2)), ref$newparams_pred_tight, tolerance = 1e-7)
  expect_equal(unname(head(p, 2)), ref$newparams_pred_default, tolerance = 1e-4)
  expect_equal(as.numeric(logLik(m)), ref$pois_loglik_tight, tolerance = 1e-10)
})
