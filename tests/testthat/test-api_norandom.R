# Models without random effects (issue 13, item 1): the same cores (q = 0) and methods, with the
# log-likelihood of lm() (ML: sigma^2 = RSS/n), glm() and MASS::glm.nb(), compared with glmmTMB.

refs <- stored_references("api")

# logLik (absolute), fixed effects and their SEs (relative), sigma, against a stored glmmTMB fit.
expect_matches_tmb <- function(m, ref, tol_ll = 1e-6, rel = 1e-5) {
  expect_lt(abs(as.numeric(logLik(m)) - ref$logLik), tol_ll)
  expect_equal(attr(logLik(m), "df"), ref$df)
  expect_equal(fixef(m)$cond, ref$beta, tolerance = rel)
  expect_equal(sqrt(diag(vcov(m)$cond)), ref$se, tolerance = rel)
  expect_equal(sigma(m), ref$sigma, tolerance = rel)
}

test_that("gaussian: ML with sigma^2 = RSS/n (lm's logLik), REML as lm's REML", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days, ss)
  expect_matches_tmb(m, refs$lm_ml_tmb)
  expect_lt(abs(m$loglik - refs$lm_ml_logLik_lm), 1e-6)
  expect_equal(sigma(m)^2, sum(residuals(m)^2) / nobs(m), tolerance = 1e-10)
  r <- glmm(Reaction ~ Days, ss, REML = TRUE)
  expect_matches_tmb(r, refs$lm_reml_tmb)
  expect_lt(abs(r$loglik - refs$lm_reml_logLik_lm), 1e-6)
  expect_equal(m$theta, numeric(0))
  expect_length(m$re, 0L)
  expect_false(isTRUE(m$optinfo$singular))
  if (requireNamespace("glmmTMB", quietly = TRUE)) {
    live <- glmmTMB::glmmTMB(Reaction ~ Days, ss)
    expect_lt(abs(m$loglik - as.numeric(logLik(live))), 1e-6)
    expect_equal(sqrt(diag(vcov(m)$cond)), sqrt(diag(vcov(live)$cond)), tolerance = 1e-5)
  }
})

test_that("poisson, nbinom2, binomial and Gamma GLMs match glmmTMB, glm() and MASS::glm.nb()", {
  grouse <- fixture_data("grouseticks")
  cbpp <- fixture_data("cbpp")
  ss <- fixture_data("sleepstudy")
  p <- glmm(TICKS ~ YEAR + HEIGHT, grouse, family = poisson)
  expect_matches_tmb(p, refs$pois_tmb, tol_ll = 1e-4)
  expect_lt(abs(p$loglik - refs$pois_logLik_glm), 1e-4)
  nb <- glmm(TICKS ~ YEAR + HEIGHT, grouse, family = nbinom2)
  expect_matches_tmb(nb, refs$nb2_tmb, tol_ll = 1e-4, rel = 1e-4)
  expect_lt(abs(nb$loglik - refs$nb2_glm.nb$logLik), 1e-4)
  expect_equal(sigma(nb), refs$nb2_glm.nb$theta, tolerance = 1e-4)
  expect_equal(fixef(nb)$cond, refs$nb2_glm.nb$beta, tolerance = 1e-4)
  b <- glmm(cbind(incidence, size - incidence) ~ period, cbpp, family = binomial)
  expect_matches_tmb(b, refs$binom_tmb, tol_ll = 1e-4)
  expect_lt(abs(b$loglik - refs$binom_logLik_glm), 1e-4)
  g <- glmm(Reaction ~ Days, ss, family = Gamma(link = "log"))
  expect_matches_tmb(g, refs$gamma_tmb, tol_ll = 1e-4)
  if (requireNamespace("glmmTMB", quietly = TRUE)) {
    live <- glmmTMB::glmmTMB(TICKS ~ YEAR + HEIGHT, grouse, family = glmmTMB::nbinom2)
    expect_lt(abs(nb$loglik - as.numeric(logLik(live))), 1e-4)
  }
  if (requireNamespace("MASS", quietly = TRUE)) {
    expect_lt(abs(nb$loglik - as.numeric(logLik(MASS::glm.nb(TICKS ~ YEAR + HEIGHT, grouse)))), 1e-4)
  }
})

test_that("AIC tables and anova() mix fits with and without random effects", {
  ss <- fixture_data("sleepstudy")
  m0 <- glmm(Reaction ~ Days, ss)
  m1 <- glmm(Reaction ~ Days + (1 | Subject), ss)
  expect_equal(AIC(m0, m1)$AIC, refs$aic_table_tmb, tolerance = 1e-8)
  a <- anova(m0, m1)
  expect_equal(a$Chisq[2], refs$anova_tmb$Chisq, tolerance = 1e-6)
  expect_equal(a$Df[2], refs$anova_tmb$Df)
  expect_equal(a[["Pr(>Chisq)"]][2], refs$anova_tmb$p, tolerance = 1e-6)
  expect_equal(AIC(m0), AIC(lm(Reaction ~ Days, ss)), tolerance = 1e-10)
})

test_that("print and summary as glmmTMB prints a model without random effects; empty VarCorr, ranef, coef", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days, ss)
  out <- capture.output(print(m))
  expect_false(any(grepl("Random-effects", out)))
  expect_true(any(grepl("^Number of obs: 180$", out)))
  s <- capture.output(summary(m))
  expect_false(any(grepl("Random effects|groups:", s)))
  expect_true(any(grepl("Dispersion estimate for gaussian family", s)))
  expect_true(any(grepl("^Days", s)))
  expect_null(VarCorr(m)$cond)
  expect_true(attr(VarCorr(m), "sc"))
  expect_equal(capture.output(print(VarCorr(m))), character(0))
  expect_equal(ranef(m)$cond, list(), ignore_attr = TRUE)
  expect_equal(coef(m)$cond, list(), ignore_attr = TRUE)
  expect_equal(nrow(as.data.frame(ranef(m))), 0L)
  expect_equal(as.data.frame(VarCorr(m))$grp, "Residual")
  expect_length(ngrps(m), 0L)
})

test_that("predict, simulate, residuals and confint of a model without random effects", {
  ss <- fixture_data("sleepstudy")
  cbpp <- fixture_data("cbpp")
  m <- glmm(Reaction ~ Days, ss)
  p <- predict(m, newdata = data.frame(Days = c(0, 4.5, 9)), se.fit = TRUE)
  expect_equal(unname(p$fit), refs$predict_noRE_tmb$fit, tolerance = 1e-6)
  expect_equal(unname(p$se.fit), refs$predict_noRE_tmb$se, tolerance = 1e-5)
  expect_equal(predict(m), predict(m, re.form = NA))
  b <- glmm(cbind(incidence, size - incidence) ~ period, cbpp, family = binomial)
  pb <- predict(b, newdata = data.frame(period = factor(1:4)), type = "response", se.fit = TRUE)
  expect_equal(unname(pb$fit), refs$predict_noRE_binom_tmb$fit, tolerance = 1e-6)
  expect_equal(unname(pb$se.fit), refs$predict_noRE_binom_tmb$se, tolerance = 1e-4)
  sims <- simulate(m, nsim = 3, seed = 1)
  expect_equal(dim(sims), c(180L, 3L))
  expect_equal(mean(unlist(sims)), mean(fitted(m)), tolerance = 0.05)
  expect_equal(residuals(m), ss$Reaction - fitted(m), ignore_attr = TRUE)
  ci <- confint(m)
  expect_true(all(ci[, 1] < fixef(m)$cond & fixef(m)$cond < ci[, 2]))
})

test_that("a model without random effects is refused nowhere it makes sense, and nAGQ > 1 is an error", {
  ss <- fixture_data("sleepstudy")
  expect_error(glmm(round(Reaction) ~ Days, ss, family = poisson, nAGQ = 5), "`nAGQ` > 1 needs a single scalar random-effect term")
  m <- glmm(round(Reaction) ~ Days, ss, family = poisson)
  expect_equal(unname(fixef(update(m, . ~ . + (1 | Subject)))$cond), unname(fixef(glmm(round(Reaction) ~ Days + (1 | Subject), ss, family = poisson))$cond),
               tolerance = 1e-6)
})
