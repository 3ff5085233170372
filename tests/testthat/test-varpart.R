# test-varpart.R: the chapter's variance-partitioning table (its printed numbers), several terms,
# random slopes, the optional fixed-effects row, GLMMs on the latent scale, and bad input.

test_that("varpart() reproduces the chapter's table for y ~ 1 + (1 | groupID)", {
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  vp <- varpart(m)
  expect_s3_class(vp, c("varpart_glmmlab", "data.frame"))
  expect_identical(vp$component, c("groupID", "Residual", "Total"))
  # chapter: Mean SD Among Within CV2_Among CV2_Within CV2_Total
  #          38.768 4.602 43.680 56.320 0.006 0.008 0.014
  expect_identical(round(attr(vp, "mean"), 3), 38.768)
  expect_identical(round(attr(vp, "sd"), 3), 4.602)
  expect_identical(round(vp$percent, 3), c(43.680, 56.320, 100))
  expect_identical(round(vp$CV2, 3), c(0.006, 0.008, 0.014))
  # glmmTMB 1.1.5: glmmTMB(y ~ 1 + (1|groupID), data) variance 9.20491166044665, sigma 3.44507752337698
  ref <- stored_references("core")$chapter_intercept_tmb
  expect_equal(vp$variance[1:2], c(ref$vc$groupID[1, 1], ref$sigma^2), tolerance = 1e-5)
  expect_equal(vp$SD, sqrt(vp$variance))
  expect_equal(vp$variance[3], sum(vp$variance[1:2]))
  out <- capture.output(print(vp))
  expect_true(any(grepl("mean 38.768, SD 4.602", out, fixed = TRUE)))
  expect_true(any(grepl("groupID +9.205 +3.034 +43.680 +0.006", out)))
  expect_true(any(grepl("Residual +11.869 +3.445 +56.320 +0.008", out)))
  expect_false(any(grepl("latent", out)))
})

test_that("varpart() has one row per random-intercept term (blossoms: patch within pop)", {
  dat <- blossoms_data()
  m <- glmm(UBW ~ 1 + (1 | pop / patch), data = dat)
  vp <- varpart(m)
  expect_identical(vp$component, c("patch:pop", "pop", "Residual", "Total"))
  expect_equal(vp$variance[1:3], c(m$cov_re[["patch:pop"]][1, 1], m$cov_re$pop[1, 1], m$sigma^2))
  ref <- stored_references("core")$blossoms_intercept_tmb
  expect_equal(vp$variance[1:3], c(ref$vc[["patch:pop"]][1, 1], ref$vc$pop[1, 1], ref$sigma^2), tolerance = 1e-4)
  expect_equal(sum(vp$percent[1:3]), 100)
  expect_equal(vp$CV2[1:3], vp$variance[1:3] / mean(m$y)^2)
})

test_that("with random slopes only the intercept variance is partitioned, and the print says so", {
  m <- glmm(Reaction ~ Days + (Days | Subject), data = reference_data("lme4::sleepstudy"))
  vp <- varpart(m)
  expect_identical(vp$component, c("Subject", "Residual", "Total"))
  expect_equal(vp$variance[1], m$cov_re$Subject["(Intercept)", "(Intercept)"])
  expect_identical(attr(vp, "slope_terms"), "Subject")
  expect_output(print(vp), "slope variances depend on the covariate's scale")
  # an uncorrelated slope-only term gets no row but is named in the note
  m2 <- glmm(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), data = reference_data("lme4::sleepstudy"))
  vp2 <- varpart(m2)
  expect_identical(vp2$component, c("Subject", "Residual", "Total"))
  expect_identical(attr(vp2, "slope_terms"), "Subject.1")
})

test_that("fixed = TRUE adds the variance of the fixed predictions (percentages as in r2())", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  vp <- varpart(m, fixed = TRUE)
  expect_identical(vp$component, c("Fixed effects", "groupID", "Residual", "Total"))
  expect_equal(vp$variance[1], var(drop(m$X %*% m$beta)))
  r <- r2(m)
  expect_equal(vp$percent[1] / 100, r$R2_marginal)
  expect_equal(sum(vp$percent[1:2]) / 100, r$R2_conditional)
  expect_error(varpart(m, fixed = NA), "`fixed` must be TRUE or FALSE")
})

test_that("binomial GLMM: latent-scale partition with residual pi^2/3, CV2 left out", {
  cbpp <- reference_data("lme4::cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  vp <- varpart(m)
  expect_identical(attr(vp, "scale"), "latent")
  expect_identical(vp$component, c("herd", "Residual", "Total"))
  expect_equal(vp$variance[2], pi^2 / 3)
  # glmmTMB 1.1.5: glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial)
  #   VarCorr herd variance 0.412497 (SD 0.642259); latent ICC = 0.412497 / (0.412497 + pi^2/3)
  expect_equal(vp$variance[1], 0.412497, tolerance = 1e-4)
  expect_equal(vp$percent[1], 100 * 0.412497 / (0.412497 + pi^2 / 3), tolerance = 1e-4)
  expect_true(all(is.na(vp$CV2)))
  out <- capture.output(print(vp))
  expect_true(any(grepl("latent (logit link) scale", out, fixed = TRUE)))
  expect_false(any(grepl("CV2", out)))
})

test_that("Poisson GLMM: residual log(1 + 1/lambda) from the refitted null model", {
  grouse <- reference_data("lme4::grouseticks")
  m <- glmm(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | LOCATION), data = grouse, family = poisson)
  vp <- varpart(m)
  expect_identical(vp$component, c("BROOD", "LOCATION", "Residual", "Total"))
  # lambda from glmmTMB 1.1.5: m0 = glmmTMB(TICKS ~ 1 + (1|BROOD) + (1|LOCATION), grouseticks, poisson);
  #   exp(fixef(m0)$cond + sum of the two variances / 2) = 6.006060309915526
  expect_equal(vp$variance[3], log1p(1 / 6.006060309915526), tolerance = 1e-5)
  expect_equal(vp$variance[1:2], unname(c(m$cov_re$BROOD[1, 1], m$cov_re$LOCATION[1, 1])))
})

test_that("varpart() rejects what it cannot partition", {
  if (!isNamespaceLoaded("vegan")) {
    expect_error(varpart(lm(y ~ x1, data = chapter_sim_data())), "needs a model fitted by glmm()")
  }
  d <- chapter_sim_data()
  d$pos <- exp(d$y / 20)
  m <- glmm(pos ~ 1 + (1 | groupID), data = d, family = Gamma(link = "inverse"))
  expect_error(varpart(m), "not defined here for the Gamma family with the inverse link")
})

test_that("boot = n adds bootstrap intervals on the percentages (chapter model)", {
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  vp <- varpart(m, boot = 200, seed = 1)
  expect_identical(vp$percent, varpart(m)$percent)
  expect_true(all(vp$lower[1:2] < vp$percent[1:2] & vp$percent[1:2] < vp$upper[1:2]))
  expect_identical(c(vp$lower[3], vp$upper[3]), c(NA_real_, NA_real_))
  # the two shares are complementary in every replicate, so are their intervals
  b <- attr(vp, "boot")
  expect_s3_class(b, "glmmlab_boot")
  expect_equal(unname(rowSums(b$t)), rep(100, 200))
  expect_equal(vp$lower[1] + vp$upper[2], 100)
  # with 10 groups the among-group share is poorly known: an interval tens of percent wide
  expect_gt(vp$upper[1] - vp$lower[1], 20)
  expect_identical(varpart(m, boot = 20, seed = 3)$lower, varpart(m, boot = 20, seed = 3)$lower)
  out <- capture.output(print(vp))
  expect_true(any(grepl("95% CI of percent", out, fixed = TRUE)))
  expect_true(any(grepl("parametric bootstrap, 200 replicates", out, fixed = TRUE)))
  expect_error(varpart(m, boot = -1), "`boot` must be 0 or a whole number")
  expect_error(varpart(m, boot = 5, level = 2), "`level` must be")
})

test_that("bootstrap intervals of the ICC agree with a percentile interval from lme4 refits", {
  # lme4 1.1-31 (reference procedure): fm = lmer(y ~ 1 + (1 | groupID), chapter_sim_data(), REML = FALSE);
  #   icc = function(f) { v = as.data.frame(VarCorr(f))$vcov; 100 * v[1] / sum(v) };
  #   quantile(bootMer(fm, icc, nsim = 2000, seed = 1)$t, c(0.025, 0.975))  ->  14.9496  60.6420
  m <- glmm(y ~ 1 + (1 | groupID), data = chapter_sim_data())
  vp <- varpart(m, boot = 300, seed = 2)
  expect_equal(c(vp$lower[1], vp$upper[1]), c(14.9496, 60.6420), tolerance = 0.05)
})

test_that("count GLMMs refit the null model for every replicate; the partition then matches varpart()", {
  set.seed(9)
  g <- factor(rep(1:15, each = 8))
  x <- rnorm(120)
  d <- data.frame(g, x, y = rpois(120, exp(0.5 + 0.4 * x + rnorm(15, sd = 0.6)[g])))
  m <- glmm(y ~ x + (1 | g), data = d, family = poisson)
  null <- glmm(y ~ 1 + (1 | g), data = d, family = poisson)
  refit <- glmmlab:::null_model_refit(m)
  expect_equal(fixef(refit)$cond, fixef(null)$cond, tolerance = 1e-5)
  expect_equal(refit$cov_re$g, null$cov_re$g, tolerance = 1e-4)
  vp <- varpart(m, boot = 30, seed = 1)
  expect_equal(attr(vp, "boot")$t0, setNames(varpart(m)$percent[1:2], c("g", "Residual")), tolerance = 1e-5)
  expect_true(all(vp$lower[1:2] <= vp$percent[1:2] & vp$percent[1:2] <= vp$upper[1:2]))
})
