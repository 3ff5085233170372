# test-anova.R: likelihood-ratio tables against lme4 1.1-31 and glmmTMB 1.1.5, the REML-to-ML
# refit, model names and ordering, data checks, single-model Wald tests, and AIC()/BIC() tables.

# Reference: lme4 1.1-31, sleepstudy
#   m0 = lmer(Reaction ~ 1 + (Days|Subject), sleepstudy, REML = FALSE)
#   m1 = lmer(Reaction ~ Days + (Days|Subject), sleepstudy, REML = FALSE); as.data.frame(anova(m0, m1))
sleep_lrt_ref <- list(npar = c(5, 6), logLik = c(-887.737940981060, -875.969672244495),
                      AIC = c(1785.47588196212, 1763.93934448899), BIC = c(1801.44066621657, 1783.09708559433),
                      Chisq = 23.5365374731296, p = 1.2256399729542e-06)

test_that("anova(m0, m1) matches lme4's likelihood-ratio table on sleepstudy", {
  sleep <- reference_data("lme4::sleepstudy")
  m1 <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  m0 <- glmm(Reaction ~ 1 + (Days | Subject), data = sleep)
  a <- anova(m1, m0)
  expect_s3_class(a, c("anova", "data.frame"))
  expect_identical(names(a), c("npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)"))
  expect_identical(rownames(a), c("m0", "m1")) # sorted by number of parameters
  expect_equal(a$npar, sleep_lrt_ref$npar)
  expect_equal(a$logLik, sleep_lrt_ref$logLik, tolerance = 1e-8)
  expect_equal(a$AIC, sleep_lrt_ref$AIC, tolerance = 1e-8)
  expect_equal(a$BIC, sleep_lrt_ref$BIC, tolerance = 1e-8)
  expect_equal(a$deviance, -2 * a$logLik)
  expect_lt(abs(a$Chisq[2] - sleep_lrt_ref$Chisq), 1e-6)
  expect_identical(a$Df, c(NA, 1))
  expect_equal(a[["Pr(>Chisq)"]][2], sleep_lrt_ref$p, tolerance = 1e-5)
  expect_identical(attr(a, "heading"), c("Data: sleep", "Models:", "m0: Reaction ~ 1 + (Days | Subject)",
                                         "m1: Reaction ~ Days + (Days | Subject)"))
  expect_output(print(a), "m1 +6 1763.9 1783.1 -875.97 +1751.9 23.537  1  1.226e-06")
  skip_if_not_installed("lme4")
  l0 <- lme4::lmer(Reaction ~ 1 + (Days | Subject), data = sleep, REML = FALSE)
  l1 <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = sleep, REML = FALSE)
  ref <- suppressMessages(anova(l0, l1))
  expect_lt(abs(a$Chisq[2] - ref$Chisq[2]), 1e-6)
  expect_equal(a$logLik, ref$logLik, tolerance = 1e-8)
})

test_that("REML fits with different fixed effects: an error as in glmmTMB, or refitted by ML with refit = TRUE", {
  sleep <- reference_data("lme4::sleepstudy")
  r0 <- glmm(Reaction ~ 1 + (Days | Subject), data = sleep, REML = TRUE)
  r1 <- glmm(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE)
  # glmmTMB 1.1.5: "Can't compare REML fits with different fixed-effect components"
  expect_error(anova(r0, r1), "Can't compare REML fits with different fixed effects")
  m1 <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  expect_error(anova(r1, m1), "Can't compare REML and ML fits")
  expect_error(anova(r0, r1, refit = "yes"), "`refit` must be TRUE or FALSE")
  expect_message(a <- anova(r0, r1, refit = TRUE), "refitting model(s) with ML (instead of REML)", fixed = TRUE)
  expect_equal(a$logLik, sleep_lrt_ref$logLik, tolerance = 1e-8)
  expect_lt(abs(a$Chisq[2] - sleep_lrt_ref$Chisq), 1e-6)
  # the refit also works when the data live only inside a function
  in_function <- function() {
    d <- reference_data("lme4::sleepstudy")
    a0 <- glmm(Reaction ~ 1 + (Days | Subject), data = d, REML = TRUE)
    a1 <- glmm(Reaction ~ Days + (Days | Subject), data = d, REML = TRUE)
    suppressMessages(anova(a0, a1, refit = TRUE))
  }
  expect_lt(abs(in_function()$Chisq[2] - sleep_lrt_ref$Chisq), 1e-6)
  # refit = FALSE keeps the REML criteria (and says nothing)
  expect_silent(a_reml <- anova(r0, r1, refit = FALSE))
  expect_equal(a_reml$logLik, c(r0$loglik, r1$loglik))
})

test_that("glmmTMB (live) refuses the same REML/ML comparisons that anova() refuses", {
  skip_if_not_installed("glmmTMB")
  sleep <- reference_data("lme4::sleepstudy")
  t0 <- glmmTMB::glmmTMB(Reaction ~ 1 + (1 | Subject), data = sleep, REML = TRUE)
  t1 <- glmmTMB::glmmTMB(Reaction ~ Days + (1 | Subject), data = sleep, REML = TRUE)
  t1_ml <- glmmTMB::glmmTMB(Reaction ~ Days + (1 | Subject), data = sleep)
  expect_error(anova(t0, t1), "Can't compare REML fits with different")
  expect_error(anova(t1, t1_ml), "Can't compare REML and ML")
  g0 <- glmm(Reaction ~ 1 + (1 | Subject), data = sleep, REML = TRUE)
  g1 <- glmm(Reaction ~ Days + (1 | Subject), data = sleep, REML = TRUE)
  g1_ml <- glmm(Reaction ~ Days + (1 | Subject), data = sleep)
  expect_error(anova(g0, g1), "Can't compare REML fits with different")
  expect_error(anova(g1, g1_ml), "Can't compare REML and ML")
  # the same fixed effects written in another order are the same (glmmTMB compares them too)
  set.seed(4)
  dd <- data.frame(y = rnorm(60), a = rnorm(60), b = rnorm(60), g = factor(rep(1:6, 10)))
  ab <- glmm(y ~ a * b + (1 | g), dd, REML = TRUE)
  ba <- glmm(y ~ b * a + (1 | g), dd, REML = TRUE)
  expect_s3_class(anova(ab, ba), "anova")
  tab <- glmmTMB::glmmTMB(y ~ a * b + (1 | g), dd, REML = TRUE)
  tba <- glmmTMB::glmmTMB(y ~ b * a + (1 | g), dd, REML = TRUE)
  expect_equal(anova(ab, ba)$logLik, anova(tab, tba)$logLik, tolerance = 1e-6)
})

test_that("REML fits with the same fixed effects are compared as they are (random effects tested)", {
  sleep <- reference_data("lme4::sleepstudy")
  r_int <- glmm(Reaction ~ Days + (1 | Subject), data = sleep, REML = TRUE)
  r_slope <- glmm(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE)
  expect_silent(a <- anova(r_int, r_slope))
  expect_equal(a$logLik, c(r_int$loglik, r_slope$loglik))
  expect_equal(a$Df, c(NA, 2))
  skip_if_not_installed("lme4")
  l_int <- lme4::lmer(Reaction ~ Days + (1 | Subject), data = sleep)
  l_slope <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = sleep)
  ref <- anova(l_int, l_slope, refit = FALSE)
  expect_lt(abs(a$Chisq[2] - ref$Chisq[2]), 1e-5)
})

test_that("binomial GLMM: cbpp with and without period matches glmmTMB's anova", {
  cbpp <- reference_data("lme4::cbpp")
  g0 <- glmm(cbind(incidence, size - incidence) ~ 1 + (1 | herd), data = cbpp, family = binomial)
  g1 <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  a <- anova(g0, g1)
  # glmmTMB 1.1.5: anova(glmmTMB(cbind(incidence, size - incidence) ~ 1 + (1 | herd), cbpp, binomial),
  #                      glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial))
  expect_equal(a$npar, c(2, 5))
  expect_equal(a$logLik, c(-104.8313135897117, -92.0262818647616), tolerance = 1e-6)
  expect_lt(abs(a$Chisq[2] - 25.6100634499001), 1e-4)
  expect_equal(a[["Pr(>Chisq)"]][2], 1.15093669143443e-05, tolerance = 1e-3)
  skip_if_not_installed("glmmTMB")
  t0 <- glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ 1 + (1 | herd), data = cbpp, family = binomial)
  t1 <- glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  ref <- anova(t0, t1)
  expect_lt(abs(a$Chisq[2] - ref$Chisq[2]), 1e-4)
  expect_equal(a$AIC, ref$AIC, tolerance = 1e-6)
})

test_that("models fitted to different data are refused; names and non-models checked", {
  sleep <- reference_data("lme4::sleepstudy")
  m1 <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  m_short <- glmm(Reaction ~ Days + (1 | Subject), data = sleep[-1, ])
  expect_error(anova(m1, m_short), "not all fitted to the same size of dataset")   # lme4's words
  sleep2 <- sleep
  sleep2$Reaction <- rev(sleep2$Reaction)
  m_other <- glmm(Reaction ~ Days + (1 | Subject), data = sleep2)
  expect_error(anova(m1, m_other), "different response")
  expect_error(anova(m1, "m0"), "not models fitted by glmm")
  m0 <- glmm(Reaction ~ 1 + (Days | Subject), data = sleep)
  a <- anova(m0, m1, model.names = c("null", "days"))
  expect_identical(rownames(a), c("null", "days"))
  expect_error(anova(m0, m1, model.names = "x"), "different lengths")
  expect_error(anova(m0, m1, model.names = c("x", "x")), "2 distinct names")
})

test_that("a glmm fit and an lm() fit are compared in one table (glmm first)", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  fit_lm <- lm(y ~ x1, data = data)
  a <- anova(m, fit_lm)
  expect_identical(rownames(a), c("fit_lm", "m"))
  expect_equal(a$logLik, c(as.numeric(logLik(fit_lm)), m$loglik))
  expect_equal(a$Chisq[2], 2 * (m$loglik - as.numeric(logLik(fit_lm))))
})

test_that("AIC() and BIC() tables across glmm and lm fits", {
  sleep <- reference_data("lme4::sleepstudy")
  m0 <- glmm(Reaction ~ 1 + (Days | Subject), data = sleep)
  m1 <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  aics <- AIC(m0, m1)
  expect_identical(rownames(aics), c("m0", "m1"))
  expect_equal(aics$df, c(5, 6))
  expect_equal(aics$AIC, sleep_lrt_ref$AIC, tolerance = 1e-8)
  expect_equal(BIC(m0, m1)$BIC, sleep_lrt_ref$BIC, tolerance = 1e-8)
  fit_lm <- lm(Reaction ~ Days, data = sleep)
  mixed <- AIC(fit_lm, m1)
  expect_equal(mixed$AIC, c(AIC(fit_lm), sleep_lrt_ref$AIC[2]), tolerance = 1e-8)
})

test_that("one model: sequential Wald chi-square tests with glmmTMB's covariance of the fixed effects", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  a <- anova(m)
  expect_identical(rownames(a), "x1")
  expect_equal(a$Df, 1)
  # glmmTMB 1.1.5: summary(glmmTMB(y ~ x1 + (1|groupID), data))$coefficients$cond["x1", "z value"]^2
  #   = 361.605868932846 (lme4's anova() F, 361.7016, uses a covariance conditional on the variances)
  expect_equal(a$Chisq, 361.605868932846, tolerance = 1e-5)
  # the last term's sequential test is the marginal Wald test b' V^-1 b
  expect_equal(a$Chisq, unname(m$beta["x1"]^2 / m$vcov["x1", "x1"]))
  cbpp <- reference_data("lme4::cbpp")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  ag <- anova(g)
  expect_equal(ag$Df, 3)
  # glmmTMB 1.1.5: g = glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial);
  #   b = fixef(g)$cond[-1]; V = vcov(g)$cond[-1, -1]; t(b) %*% solve(V) %*% b = 24.9485464731083
  expect_equal(ag$Chisq, 24.9485464731083, tolerance = 1e-4)
  expect_output(print(a), "Sequential Wald chi-square tests")
  m_int <- glmm(y ~ 1 + (1 | groupID), data = data)
  expect_equal(nrow(anova(m_int)), 0L)   # nothing to test: an empty table, as lme4's
  # several terms: sequential sums over the blocks reproduce the joint Wald test of all slopes
  blossoms <- blossoms_data()
  mb <- glmm(UBW ~ LBW + pop + (1 | patch), data = blossoms)
  ab <- anova(mb)
  expect_identical(rownames(ab), c("LBW", "pop"))
  slopes <- names(mb$beta)[-1L]
  joint <- drop(t(mb$beta[slopes]) %*% solve(mb$vcov[slopes, slopes]) %*% mb$beta[slopes])
  expect_equal(sum(ab$Chisq), joint)
})
