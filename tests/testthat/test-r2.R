# test-r2.R: marginal and conditional R² against stored numbers from performance 0.10.2 /
# insight 0.19.0 (on lme4 1.1-31 and glmmTMB 1.1.5 fits) and, when installed, live
# performance::r2_nakagawa(); count GLMMs against the Nakagawa et al. (2017) formula computed by
# hand on glmmTMB fits (installed performance < 0.12 uses lambda = exp(beta0) without the
# variance term; newer versions and MuMIn use exp(beta0 + var/2), as glmmlab does).

# performance's R² of a reference fit as c(marginal, conditional).
performance_r2 <- function(fit) {
  r <- suppressMessages(suppressWarnings(performance::r2_nakagawa(fit)))
  c(unname(r$R2_marginal), unname(r$R2_conditional))
}

test_that("LMM with a random intercept: the chapter's y ~ x1 + (1 | groupID)", {
  data <- chapter_sim_data()
  m <- glmm(y ~ x1 + (1 | groupID), data = data)
  r <- r2(m)
  expect_s3_class(r, "r2_glmmlab")
  # performance 0.10.2: r2_nakagawa(glmmTMB(y ~ x1 + (1|groupID), data = data))
  expect_equal(c(r$R2_marginal, r$R2_conditional), c(0.349738779830427, 0.818954009454606), tolerance = 1e-4)
  # by definition: sigma^2 as residual, var(X beta) as fixed
  expect_equal(r$var_residual, m$sigma^2)
  expect_equal(r$var_fixed, var(drop(m$X %*% m$beta)))
  expect_equal(r$var_random, m$cov_re$groupID[1, 1])
  skip_if_not_installed("performance")
  skip_if_not_installed("lme4")
  fit <- lme4::lmer(y ~ x1 + (1 | groupID), data = data, REML = FALSE)
  expect_equal(c(r$R2_marginal, r$R2_conditional), performance_r2(fit), tolerance = 1e-4)
})

test_that("LMM with a random slope: sleepstudy (Days | Subject), ML", {
  sleep <- reference_data("lme4::sleepstudy")
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleep)
  r <- r2(m)
  # performance 0.10.2: r2_nakagawa(lmer(Reaction ~ Days + (Days|Subject), sleepstudy, REML = FALSE))
  expect_equal(c(r$R2_marginal, r$R2_conditional), c(0.287615889402020, 0.792758573300399), tolerance = 1e-4)
  # Johnson (2014): mean over observations of z' Sigma z with z = (1, Days)
  S <- m$cov_re$Subject
  z <- cbind(1, sleep$Days)
  expect_equal(r$var_random, mean(rowSums((z %*% S) * z)))
  skip_if_not_installed("performance")
  fit <- lme4::lmer(Reaction ~ Days + (Days | Subject), data = sleep, REML = FALSE)
  expect_equal(c(r$R2_marginal, r$R2_conditional), performance_r2(fit), tolerance = 1e-4)
})

test_that("binomial GLMM (cbpp): residual pi^2/3 on the logit scale", {
  cbpp <- reference_data("lme4::cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  r <- r2(m)
  expect_equal(r$var_distribution, pi^2 / 3)
  # performance 0.10.2: r2_nakagawa(glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial))
  expect_equal(c(r$R2_marginal, r$R2_conditional), c(0.0854160151445649, 0.1873145636768110), tolerance = 1e-4)
  skip_if_not_installed("performance")
  skip_if_not_installed("glmmTMB")
  fit <- glmmTMB::glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp, family = binomial)
  expect_equal(c(r$R2_marginal, r$R2_conditional), performance_r2(fit), tolerance = 1e-4)
})

test_that("Poisson GLMM (grouseticks): lognormal residual log(1 + 1/lambda), lambda from the null model", {
  grouse <- reference_data("lme4::grouseticks")
  m <- glmm(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | LOCATION), data = grouse, family = poisson)
  # lambda = "lognormal": Nakagawa et al. (2017); the default follows insight 0.19 (test-eco_tools.R)
  r <- r2(m, lambda = "lognormal")
  expect_equal(r2(m)$var_distribution, log1p(1 / exp(fixef(glmm(TICKS ~ 1 + (1 | BROOD) + (1 | LOCATION), data = grouse,
                                                              family = poisson))$cond[[1]])), tolerance = 1e-6)
  # glmmTMB 1.1.5 + insight 0.19.0: fit = glmmTMB(TICKS ~ YEAR + scale(HEIGHT) + (1|BROOD) + (1|LOCATION),
  #   grouseticks, poisson); v = get_variance(fit): var.fixed 1.730021725501672, var.random 0.922006411728408;
  #   null = glmmTMB(TICKS ~ 1 + (1|BROOD) + (1|LOCATION), ...), lambda = exp(fixef(null)$cond + sum(variances)/2)
  #   = 6.006060309915526; R2 = v / (var.fixed + var.random + log1p(1/lambda))
  expect_equal(r$var_fixed, 1.730021725501672, tolerance = 1e-4)
  expect_equal(r$var_random, 0.922006411728408, tolerance = 1e-4)
  expect_equal(r$var_distribution, log1p(1 / 6.006060309915526), tolerance = 1e-5)
  expect_equal(c(r$R2_marginal, r$R2_conditional), c(0.616536121479420, 0.945115958765193), tolerance = 1e-4)
  # a null model given by the user gives the same answer as the refitted one
  m0 <- glmm(TICKS ~ 1 + (1 | BROOD) + (1 | LOCATION), data = grouse, family = poisson)
  expect_equal(r2(m, null_model = m0, lambda = "lognormal")$R2_conditional, r$R2_conditional)
  expect_error(r2(m, null_model = m), "intercept as its only fixed effect")
  skip_if_not_installed("performance")
  skip_if_not_installed("glmmTMB")
  fit <- glmmTMB::glmmTMB(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | LOCATION), data = grouse, family = poisson)
  v <- suppressWarnings(c(insight::get_variance_fixed(fit), insight::get_variance_random(fit)))
  expect_equal(c(r$var_fixed, r$var_random), unname(v), tolerance = 1e-4)
  if (utils::packageVersion("insight") >= "0.20.2") {
    # insight >= 0.20.2 uses lambda = exp(beta0 + var/2) from the null model, as glmmlab
    expect_equal(c(r$R2_marginal, r$R2_conditional), performance_r2(fit), tolerance = 1e-4)
  }
})

test_that("an observation-level random effect counts as residual (overdispersion) variance", {
  grouse <- reference_data("lme4::grouseticks")
  m <- glmm(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), data = grouse, family = poisson)
  r <- r2(m, lambda = "lognormal")
  # glmmTMB 1.1.5 + insight 0.19.0, as above with (1|INDEX) added (INDEX: one level per row):
  #   var.fixed 1.759209210156811, var.random 0.842108740239121 (BROOD + LOCATION),
  #   var.dispersion 0.293227602341329 (INDEX); null-model lambda (INDEX left out of the variance sum)
  #   5.234158980313419; R2 marginal 0.573147494815565, conditional 0.847505150541641
  expect_equal(r$var_random, 0.842108740239121, tolerance = 1e-3)
  expect_equal(r$var_residual - r$var_distribution, 0.293227602341329, tolerance = 1e-3)
  expect_equal(r$var_distribution, log1p(1 / 5.234158980313419), tolerance = 1e-4)
  expect_equal(c(r$R2_marginal, r$R2_conditional), c(0.573147494815565, 0.847505150541641), tolerance = 1e-4)
})

test_that("negative binomial (nbinom2, Salamanders): log(1 + 1/lambda + 1/theta)", {
  sal <- reference_data("glmmTMB::Salamanders")
  m <- glmm(count ~ mined + (1 | site), data = sal, family = nbinom2)
  r <- r2(m, lambda = "lognormal")
  # glmmTMB 1.1.5: fit = glmmTMB(count ~ mined + (1|site), Salamanders, nbinom2), theta = sigma(fit) = 0.639048206223785;
  #   null = glmmTMB(count ~ 1 + (1|site), ...), lambda = exp(fixef(null)$cond + VarCorr(null)$cond$site / 2)
  #   = 1.824959233826786; R2 from insight 0.19.0 get_variance(fit) var.fixed and var.random with
  #   residual log1p(1/lambda + 1/theta): marginal 0.474602218453745, conditional 0.577120908402422
  expect_equal(r$var_distribution, log1p(1 / 1.824959233826786 + 1 / 0.639048206223785), tolerance = 1e-4)
  expect_equal(c(r$R2_marginal, r$R2_conditional), c(0.474602218453745, 0.577120908402422), tolerance = 1e-4)
})

test_that("print shows both R² values; bad input is refused", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  out <- capture.output(print(r2(m)))
  expect_true(any(grepl("Conditional R2: 0.819", out, fixed = TRUE)))
  expect_true(any(grepl("Marginal R2: 0.350", out, fixed = TRUE)))
  fit_lm <- lm(y ~ x1, data = chapter_sim_data())
  if (isNamespaceLoaded("performance")) {
    expect_equal(r2(fit_lm), performance::r2(fit_lm)) # other models are handed over to performance
  } else {
    expect_error(r2(fit_lm), "needs a model fitted by glmm()")
  }
  expect_error(r2(m, null_model = "m0"), NA) # the null model is not used for gaussian fits
})

test_that("the null model cannot be refitted when the data are gone: a clear error", {
  make_fit <- function() {
    d <- reference_data("lme4::grouseticks")
    glmm(TICKS ~ YEAR + (1 | BROOD), data = d, family = poisson)
  }
  m <- make_fit()
  environment(m$formula) <- new.env(parent = baseenv())
  expect_error(r2(m), "could not refit the null model")
})
