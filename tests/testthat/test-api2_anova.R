# anova(m, type = "III") of one fit: marginal Wald chi-square tests (car::Anova()'s type III);
# without `type`, the sequential tests as before. Stored numbers: tests/references/refs_api2_anova.R.

refs <- stored_references("api2_anova")

test_that("anova(m, type = \"III\") gives car::Anova()'s type III Wald chi-square tests of the glmmTMB fit", {
  cake <- fixture_data("cake")
  m <- glmm(angle ~ recipe * temp + (1 | recipe:replicate), cake)
  a3 <- anova(m, type = "III")
  expect_identical(rownames(a3), refs$cake_III_terms)
  expect_equal(a3$Df, refs$cake_III_df)
  expect_equal(a3$Chisq, refs$cake_III_chisq, tolerance = 1e-4)
  expect_match(attr(a3, "heading")[1], "type III")
  # without type: sequential (type I), the last term's test is the marginal one
  a1 <- anova(m)
  expect_match(attr(a1, "heading")[1], "type I,")
  expect_equal(a1["recipe:temp", "Chisq"], a3["recipe:temp", "Chisq"], tolerance = 1e-10)
  expect_false(isTRUE(all.equal(a1["recipe", "Chisq"], a3["recipe", "Chisq"])))
  expect_identical(anova(m, type = "I"), a1)
  expect_error(anova(m, type = "II"), "type II")
  g <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), fixture_data("cbpp"), family = binomial)
  expect_equal(anova(g, type = 3)$Chisq, refs$cbpp_III_chisq, tolerance = 1e-4)
  skip_if_not_installed("glmmTMB")
  skip_if_not_installed("car")
  t <- glmmTMB::glmmTMB(angle ~ recipe * temp + (1 | recipe:replicate), cake)
  expect_equal(a3$Chisq, car::Anova(t, type = "III")$Chisq, tolerance = 1e-4)
})

test_that("profile() of a model without random effects gives the exact profile-likelihood intervals (glmmTMB's within its interpolation)", {
  ss <- fixture_data("sleepstudy")
  m <- glmm(Reaction ~ Days, ss)
  p <- profile(m, form = "lme4")
  ci <- confint(p)[c("(Intercept)", "Days"), ]
  # exact: n log(RSS(x) / RSS) = qchisq(0.95, 1), RSS(x) = RSS + (x - b)^2 / [(X'X)^-1]_jj
  l <- lm(Reaction ~ Days, ss)
  rss <- sum(residuals(l)^2)
  half <- sqrt(rss * (exp(qchisq(0.95, 1) / nrow(ss)) - 1) * diag(solve(crossprod(model.matrix(l)))))
  expect_equal(unname(ci), unname(cbind(coef(l) - half, coef(l) + half)), tolerance = 1e-6)
  expect_equal(unname(ci), refs$ss_noRE_profile_ci, tolerance = 1e-3)
})
