# test-methods_basic.R: the accessors of a glmm fit (logLik, AIC/BIC through stats, nobs,
# df.residual, deviance, vcov, fixef, sigma, formula, family, frame, design, terms, ngrps),
# update() and drop1() through stats' defaults, and the re-exported nlme generics.

test_that("logLik() carries df and nobs; values match glmmTMB 1.1.5 to 1e-6", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  ll <- logLik(m)
  expect_s3_class(ll, "logLik")
  ref <- stored_references("core")$chapter_x1_tmb
  expect_lt(abs(as.numeric(ll) - ref$logLik), 1e-6)
  expect_identical(attr(ll, "df"), as.integer(ref$df))
  expect_identical(attr(ll, "nobs"), 200L)
  # chapter: logLik -444.2, -2*log(L) 888.5
  expect_identical(round(as.numeric(ll), 1), -444.2)
  expect_identical(round(deviance(m), 1), 888.5)
  expect_equal(deviance(m), -2 * as.numeric(ll))
})

test_that("AIC() and BIC() compare an lm() fit and a glmm fit in one table", {
  data <- chapter_sim_data()
  fit_lm <- lm(y ~ x1, data = data)
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  aics <- AIC(fit_lm, m)
  expect_s3_class(aics, "data.frame")
  expect_identical(rownames(aics), c("fit_lm", "m"))
  expect_equal(aics$df, c(3, 4))
  # chapter: AIC 896.5, BIC 909.7 for the mixed model
  expect_identical(round(aics$AIC[2], 1), 896.5)
  expect_equal(aics$AIC[1], AIC(fit_lm))
  bics <- BIC(fit_lm, m)
  expect_identical(round(bics$BIC[2], 1), 909.7)
  expect_equal(AIC(m), -2 * stored_references("core")$chapter_x1_tmb$logLik + 2 * 4, tolerance = 1e-8)
})

test_that("nobs(), df.residual(), extractAIC() as glmmTMB counts them", {
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  expect_identical(nobs(m), 200L)
  # chapter: df.resid 197 (200 observations, 3 parameters)
  expect_equal(df.residual(m), 197)
  expect_equal(extractAIC(m), c(edf = 3, AIC = AIC(m)))
  expect_identical(round(extractAIC(m)[["AIC"]], 1), 1096.4)
})

test_that("fixef() returns glmmTMB's list with $cond and prints as glmmTMB", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  fe <- fixef(m)
  expect_s3_class(fe, "fixef.glmmlab")
  expect_named(fe, c("cond", "zi", "disp"))   # as glmmTMB 1.1.5
  expect_named(fe$cond, c("(Intercept)", "x1"))
  # chapter: 23.8343 and 1.4528
  expect_identical(round(unname(fe$cond), 4), c(23.8343, 1.4528))
  expect_equal(fe$cond, stored_references("core")$chapter_x1_tmb$beta, tolerance = 1e-6)
  # glmmTMB 1.1.5 prints fixef(m) as "\nConditional model:\n(Intercept)           x1  \n     23.834        1.453  "
  expect_identical(capture.output(print(fe)), c("", "Conditional model:", "(Intercept)           x1  ",
                                                "     23.834        1.453  "))
})

test_that("vcov() returns glmmTMB's list with the p x p matrix $cond", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  V <- vcov(m)
  expect_s3_class(V, "vcov.glmmlab")
  expect_named(V, "cond")
  expect_identical(dimnames(V$cond), list(c("(Intercept)", "x1"), c("(Intercept)", "x1")))
  expect_equal(sqrt(diag(V$cond)), stored_references("core")$chapter_x1_tmb$se, tolerance = 1e-5)
  expect_output(print(V), "Conditional model:\n            (Intercept)", fixed = TRUE)
  expect_identical(rownames(vcov(m, full = TRUE)), c(cond1 = "(Intercept)", cond2 = "x1", disp = "d~(Intercept)", theta = "theta_1|groupID.1"))   # test-infer_confint.R
})

test_that("vcov(), fixef() and sigma() agree with glmmTMB (stored, then a live fit)", {
  dat <- blossoms_data()
  m <- glmm(UBW ~ LBW + (1 | pop / patch), data = dat)
  ref <- stored_references("core_methods")
  core <- stored_references("core")$blossoms_lbw_tmb
  expect_equal(vcov(m)$cond, ref$blossoms_lbw_tmb_vcov, tolerance = 1e-4)
  expect_equal(fixef(m)$cond, core$beta, tolerance = 1e-6)
  expect_equal(sigma(m), core$sigma, tolerance = 1e-6)
  expect_identical(capture.output(print(vcov(m)))[1:2], ref$blossoms_lbw_tmb_print_vcov)
  expect_identical(capture.output(print(fixef(m))), ref$blossoms_lbw_tmb_print_fixef)
  skip_if_not_installed("glmmTMB")
  tmb <- glmmTMB::glmmTMB(UBW ~ LBW + (1 | pop / patch), data = dat)
  expect_equal(vcov(m)$cond, unclass(vcov(tmb))$cond, tolerance = 1e-4)
  expect_equal(fixef(m)$cond, glmmTMB::fixef(tmb)$cond, tolerance = 1e-6)
  expect_equal(sigma(m), sigma(tmb), tolerance = 1e-6)
  expect_identical(capture.output(print(vcov(m)))[1:2], capture.output(print(vcov(tmb)))[1:2])
  expect_identical(capture.output(print(fixef(m))), capture.output(print(glmmTMB::fixef(tmb))))
})

test_that("sigma() is the residual SD (gaussian); 1 for families without a dispersion", {
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  expect_equal(sigma(m), stored_references("core")$chapter_intercept_tmb$sigma, tolerance = 1e-6)
  m$family <- list(family = "poisson", link = "log")
  m$sigma <- NA_real_
  expect_identical(sigma(m), 1)
  m$sigma <- NULL
  expect_identical(sigma(m), 1)
})

test_that("formula(), family(), model.frame(), model.matrix(), terms() return the model's pieces", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  expect_identical(formula(m), y ~ x1 + (1 | groupID), ignore_formula_env = TRUE)
  expect_identical(family(m)$family, "gaussian")
  expect_identical(family(m)$link, "identity")
  expect_identical(dim(model.frame(m)), c(200L, 3L))
  expect_equal(unname(model.matrix(m)), unname(model.matrix(y ~ x1, data = data)), ignore_attr = TRUE)
  expect_identical(colnames(model.matrix(m)), c("(Intercept)", "x1"))
  expect_identical(attr(terms(m), "term.labels"), "x1")
})

test_that("ngrps() counts each distinct grouping factor once", {
  dat <- blossoms_data()
  expect_identical(ngrps(glmm(UBW ~ 1 + (1 | pop / patch), data = dat)), c("patch:pop" = 96L, pop = 9L))
  expect_identical(ngrps(glmm(UBW ~ LBW + (1 | pop / patch), data = dat)), c("patch:pop" = 95L, pop = 9L))
  m <- glmm(Reaction ~ Days + (Days || Subject), data = fixture_data("sleepstudy"))
  expect_identical(ngrps(m), c(Subject = 18L))
  expect_error(ngrps(1:3), "number of groups|glmm")
})

test_that("ngrps() works with lme4 loaded: lme4's generic reaches ours and ours hands over to lme4", {
  skip_if_not_installed("lme4")
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  expect_identical(lme4::ngrps(m), c(groupID = 10L))
  fit_lme4 <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = fixture_data("sleepstudy"))
  expect_equal(ngrps(fit_lme4), lme4::ngrps(fit_lme4))
  expect_equal(ngrps(factor(c("a", "b", "a"))), 2)
})

test_that("update() refits through stats' default: changed formula, REML, data", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  expect_identical(getCall(m), m$call)
  m0 <- update(m, . ~ . - x1)
  expect_identical(deparse(formula(m0)), "y ~ (1 | groupID)")
  expect_lt(abs(as.numeric(logLik(m0)) - stored_references("core")$chapter_intercept_tmb$logLik), 1e-6)
  mr <- update(m, REML = TRUE)
  expect_true(mr$REML)
  expect_identical(round(deviance(mr), 1), 889.8)
  half <- update(m, data = data[1:100, ])
  expect_identical(nobs(half), 100L)
})

test_that("drop1() works through extractAIC() and update()", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  d1 <- drop1(m, test = "Chisq")
  expect_identical(rownames(d1), c("<none>", "x1"))
  expect_equal(d1$AIC, c(AIC(m), AIC(glmm(y ~ 1 + (1 | groupID), data = data))))
  expect_equal(d1$LRT[2], 2 * (as.numeric(logLik(m)) - stored_references("core")$chapter_intercept_tmb$logLik), tolerance = 1e-6)
})

test_that("fixef and ranef are nlme's generics, shared with lme4 and glmmTMB", {
  expect_identical(glmmlab::fixef, nlme::fixef)
  expect_identical(glmmlab::ranef, nlme::ranef)
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  skip_if_not_installed("lme4")
  skip_if_not_installed("glmmTMB")
  expect_identical(lme4::fixef, glmmlab::fixef)
  expect_identical(glmmTMB::fixef, glmmlab::fixef)
  expect_s3_class(lme4::fixef(m), "fixef.glmmlab")
  expect_s3_class(glmmTMB::fixef(m), "fixef.glmmlab")
})
