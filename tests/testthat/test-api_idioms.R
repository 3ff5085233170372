# lme4 idioms and fixes found by running lme4's and glmmTMB's own test suites against glmm()
# (tests/compat/run_peer_suites.R): ranef(m)$g / coef(m)$g, weighted cbind() binomial
# log-likelihoods, profile() arguments and confint() of a profile, the gaussian sqrt link.
# Stored numbers: tests/references/refs_api_idioms.R.

refs <- stored_references("api_idioms")

test_that("ranef(m)$g and coef(m)$g give lme4's tables and conditional variances (glmmTMB's $cond kept)", {
  m <- glmm(Yield ~ 1 | Batch, fixture_data("Dyestuff"), REML = TRUE)
  re <- ranef(m, condVar = TRUE)
  expect_identical(re$Batch, re$cond$Batch)
  expect_identical(re[["Batch"]], re$cond$Batch)
  expect_identical(names(re), "cond")
  expect_identical(re[[1]], re$cond)   # positions keep glmmTMB's meaning
  expect_null(re$zi)
  expect_equal(re$Batch[[1]], refs$dye_ranef, tolerance = 1e-5)
  expect_equal(drop(attr(re$Batch, "postVar")), refs$dye_postvar, tolerance = 1e-5)
  ms <- glmm(Reaction ~ Days + (Days | Subject), fixture_data("sleepstudy"), REML = TRUE)
  expect_equal(attr(ranef(ms, condVar = TRUE)$Subject, "postVar")[, , 1], refs$ss_postvar_1, tolerance = 1e-4, ignore_attr = TRUE)
  cf <- coef(ms)
  expect_identical(cf$Subject, cf$cond$Subject)
  expect_identical(cf[["Subject"]], cf$cond$Subject)
  expect_equal(as.matrix(cf$Subject), refs$ss_coef, tolerance = 1e-5, ignore_attr = TRUE)
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), fixture_data("cbpp"), family = binomial)
  expect_equal(as.numeric(attr(ranef(g, condVar = TRUE)$herd, "postVar")), refs$cbpp_postvar, tolerance = 1e-3)
  skip_if_not_installed("lme4")
  l <- lme4::lmer(Yield ~ 1 | Batch, fixture_data("Dyestuff"))
  expect_equal(drop(attr(re$Batch, "postVar")), drop(attr(lme4::ranef(l, condVar = TRUE)$Batch, "postVar")), tolerance = 1e-5)
})

test_that("prior weights on a cbind() binomial response count replicates in the log-likelihood, as glm() and glmmTMB", {
  dd <- data.frame(success = 1:10, failure = 11:20)
  dd$size <- dd$success + dd$failure
  dd$prop <- dd$success / dd$size
  dd$w <- 2
  m <- glmm(cbind(success, failure) ~ 1, dd, family = binomial, weights = w)
  expect_equal(as.numeric(logLik(m)), refs$binom_w_logLik_glm, tolerance = 1e-8)
  expect_equal(as.numeric(logLik(m)), refs$binom_w_logLik_tmb, tolerance = 1e-6)
  # proportions with weights = trials x w: one binomial of size * w trials, as glm()
  mp <- glmm(prop ~ 1, dd, family = binomial, weights = size * w)
  expect_equal(as.numeric(logLik(mp)), refs$binom_w_prop_logLik_glm, tolerance = 1e-8)
  expect_equal(unname(fixef(m)$cond), unname(fixef(mp)$cond), tolerance = 1e-8)
  cbpp <- fixture_data("cbpp")
  cbpp$w <- rep(1:3, length.out = nrow(cbpp))
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, weights = w)
  expect_equal(as.numeric(logLik(g)), refs$cbpp_w_tmb$logLik, tolerance = 1e-4)
  expect_equal(AIC(g), refs$cbpp_w_tmb$AIC, tolerance = 1e-4)
  expect_equal(deviance(g), -2 * as.numeric(logLik(g)), tolerance = 1e-10)
  expect_equal(unname(fixef(g)$cond), unname(refs$cbpp_w_tmb$beta), tolerance = 1e-4)
  # profiles and the sandwich read the core's scale: unaffected by the constant
  expect_silent(sw <- sandwich::estfun(g))
  ci <- confint(g, parm = "period2", method = "profile")
  expect_true(ci[1] < fixef(g)$cond[["period2"]] && fixef(g)$cond[["period2"]] < ci[2])
  skip_if_not_installed("glmmTMB")
  t <- glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, weights = w)
  expect_equal(as.numeric(logLik(g)), as.numeric(logLik(t)), tolerance = 1e-4)
})

test_that("confint() of a profile matches lme4's; profile(form = \"lme4\") takes glmmTMB's and lme4's argument names", {
  m <- glmm(Reaction ~ Days + (1 | Subject), fixture_data("sleepstudy"))
  pr <- profile(m, form = "lme4")
  expect_s3_class(pr, "profile.glmmlab")
  ci <- confint(pr)
  expect_equal(ci, refs$profile_confint_lme4, tolerance = 1e-4)
  expect_equal(confint(pr, level = 0.9), refs$profile_confint_lme4_90, tolerance = 1e-4)
  expect_equal(confint(pr, parm = "Days"), refs$profile_confint_lme4["Days", , drop = FALSE], tolerance = 1e-4)
  expect_equal(ci, confint(m, method = "profile"), tolerance = 1e-4)
  # glmmTMB's names: parm, npts
  p2 <- profile(m, parm = "beta_", npts = 5, form = "lme4")
  expect_setequal(unique(p2$.par), c("(Intercept)", "Days"))
  expect_equal(as.vector(table(p2$.par)), c(6L, 6L))   # 5 points and the estimate
  expect_true(all(is.na(confint(profile(m, which = "Days", level_max = 0.8), level = 0.95))))   # not reached
  expect_error(profile(m, junk = FALSE), "does not take argument\\(s\\) 'junk'")
  expect_error(profile(m, form = "lme4", junk = FALSE), "does not take argument\\(s\\) 'junk' in lme4's form")
  expect_error(profile(m, which = "Days", parm = ".sigma"), "either `which` or `parm`")
  skip_if_not_installed("lme4")
  l <- lme4::lmer(Reaction ~ Days + (1 | Subject), fixture_data("sleepstudy"), REML = FALSE)
  expect_equal(ci, confint(profile(l)), tolerance = 1e-4)
})

test_that("the gaussian sqrt link starts away from eta = 0 (a stationary point) and finds glmmTMB's fit", {
  sq <- data.frame(x = refs$sqrt_data$x, f = factor(refs$sqrt_data$f), y = refs$sqrt_data$y)
  m <- glmm(y ~ x + (1 | f), sq, family = gaussian(link = "sqrt"))
  expect_equal(as.numeric(logLik(m)), refs$sqrt_mixed_tmb$logLik, tolerance = 1e-6)
  expect_equal(fixef(m)$cond, refs$sqrt_mixed_tmb$beta, tolerance = 1e-4)
  expect_equal(sigma(m), refs$sqrt_mixed_tmb$sigma, tolerance = 1e-4)
  m0 <- glmm(y ~ x, sq, family = gaussian(link = "sqrt"))
  expect_equal(as.numeric(logLik(m0)), refs$sqrt_fixed_tmb$logLik, tolerance = 1e-6)
  expect_equal(fixef(m0)$cond, refs$sqrt_fixed_tmb$beta, tolerance = 1e-4)
  skip_if_not_installed("glmmTMB")
  t <- glmmTMB::glmmTMB(y ~ x + (1 | f), sq, gaussian(link = "sqrt"))
  expect_equal(as.numeric(logLik(m)), as.numeric(logLik(t)), tolerance = 1e-6)
})

test_that("vcov(full = TRUE) labels its parameters with glmmTMB's components (cond1, disp, theta1)", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), ss)
  expect_identical(dimnames(vcov(m, full = TRUE)), refs$vcov_full_dimnames_tmb)
  expect_identical(names(rownames(vcov(m, full = TRUE))), c("cond1", "cond2", "disp", "theta1", "theta2", "theta3"))
  p <- glmm(round(Reaction) ~ 1 + (1 | Subject), ss, family = poisson)
  expect_identical(dimnames(vcov(p, full = TRUE)), refs$vcov_full_dimnames_pois_tmb)
  skip_if_not_installed("glmmTMB")
  expect_identical(dimnames(vcov(m, full = TRUE)), dimnames(vcov(glmmTMB::glmmTMB(Reaction ~ Days + (Days | Subject), ss), full = TRUE)))
})
