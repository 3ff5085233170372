# Zero-inflation (ziformula), hurdle and dispersion (dispformula) models against the stored
# references of tests/references/refs_fam_zi.R: the log-likelihood at glmmTMB's optimum or better
# (within 1e-4), every component's fixed effects and response-scale predictions within 2e-3
# relative; then live glmmTMB fits when it is installed.

zi_refs <- stored_references("fam_zi")

# The models of the references (the same list as refs_fam_zi.R).
zi_models <- list(
  zipoisson = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "poisson", zi = ~ spp + mined, disp = ~1),
  zinb2 = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "nbinom2", zi = ~ spp + mined, disp = ~1),
  zi_random = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "poisson", zi = ~ spp + (1 | site), disp = ~1),
  hurdle_poisson = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "truncated_poisson", zi = ~ spp + mined, disp = ~1),
  hurdle_nbinom2 = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "truncated_nbinom2", zi = ~ spp + mined, disp = ~1),
  genpois_zi = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "genpois", zi = ~1, disp = ~1),
  nbinom2_disp = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "nbinom2", zi = ~0, disp = ~spp),
  owls_zinb1 = list(formula = NCalls ~ (FoodTreatment + ArrivalTime) * SexParent + offset(logBroodSize) + (1 | Nest),
                    data = "Owls", family = "nbinom1", zi = ~1, disp = ~1),
  sleep_disp = list(formula = Reaction ~ Days + (1 | Subject), data = "sleepstudy", family = "gaussian", zi = ~0, disp = ~Days),
  sleep_disp0 = list(formula = Reaction ~ Days + (1 | Subject) + (1 | obs), data = "sleepstudy", family = "gaussian", zi = ~0, disp = ~0)
)

zi_data <- function(name) {
  d <- fixture_data(name)
  if (name == "Owls") d$NCalls <- d$SiblingNegotiation
  if (name == "sleepstudy") d$obs <- factor(seq_len(nrow(d)))
  d
}

zi_fit <- function(spec) {
  family <- switch(spec$family, poisson = poisson(), gaussian = gaussian(), get(spec$family, mode = "function")())
  suppressMessages(glmm(spec$formula, data = zi_data(spec$data), family = family, ziformula = spec$zi, dispformula = spec$disp))
}

expect_matches_zi_ref <- function(m, ref, label) {
  expect_gt(m$loglik, ref$logLik - 1e-4, label = paste(label, "logLik"))
  expect_lt(m$loglik - ref$logLik, 1e-3, label = paste(label, "logLik (not far above: the same model)"))
  expect_identical(as.integer(m$df), as.integer(ref$df), label = paste(label, "df"))
  fe <- fixef(m)
  expect_equal(fe$cond[names(ref$cond)], ref$cond, tolerance = 2e-3, label = paste(label, "cond"))
  if (length(ref$zi)) expect_equal(fe$zi[names(ref$zi)], ref$zi, tolerance = 2e-3, label = paste(label, "zi"))
  if (length(ref$disp)) expect_equal(fe$disp[names(ref$disp)], ref$disp, tolerance = 2e-3, label = paste(label, "disp"))
  V <- vcov(m)
  expect_equal(unname(sqrt(diag(V$cond))), ref$se_cond, tolerance = 1e-2, label = paste(label, "se cond"))
  if (!is.null(ref$se_zi)) expect_equal(unname(sqrt(diag(V$zi))), ref$se_zi, tolerance = 1e-2, label = paste(label, "se zi"))
  if (!is.null(ref$se_disp) && !is.null(V$disp)) {
    expect_equal(unname(sqrt(diag(V$disp))), ref$se_disp, tolerance = 1e-2, label = paste(label, "se disp"))
  }
  expect_equal(unname(attr(VarCorr(m)$cond[[1L]], "stddev")), ref$sd_cond, tolerance = 2e-3, label = paste(label, "sd"))
  if (!is.null(ref$sd_zi)) expect_equal(unname(attr(VarCorr(m)$zi[[1L]], "stddev")), ref$sd_zi, tolerance = 2e-3, label = paste(label, "sd zi"))
  expect_equal(unname(predict(m, type = "response"))[ref$rows], ref$response, tolerance = 2e-3, label = paste(label, "response"))
  expect_equal(unname(fitted(m))[ref$rows], ref$response, tolerance = 2e-3, label = paste(label, "fitted"))
  expect_equal(unname(predict(m, type = "zprob"))[ref$rows], ref$zprob, tolerance = 2e-3, label = paste(label, "zprob"))
  expect_equal(unname(predict(m, type = "disp"))[ref$rows], ref$disp_pred, tolerance = 2e-3, label = paste(label, "disp"))
}

supported <- setdiff(names(zi_models), "sleep_disp0")

test_that("zero-inflation, hurdle and dispersion models match glmmTMB's stored fits", {
  for (name in supported) expect_matches_zi_ref(zi_fit(zi_models[[name]]), zi_refs[[name]], name)
})

test_that("dispformula = ~0 fixes the residual SD at glmmTMB's value (the LMM with an observation-level effect)", {
  # glmmTMB 1.1.5 reports false convergence on this model (its intercept is off by 0.1): the
  # oracle is the LMM, which the model with a residual variance of 1.5e-8 equals to ~1e-8. The
  # fixed tiny variance makes the Laplace approximation's curvature ~1e8 (ill-conditioned for
  # both packages): glmmlab gets within 1e-3 of the LMM's log-likelihood and may warn
  ref <- zi_refs$sleep_disp0
  m <- suppressWarnings(zi_fit(zi_models$sleep_disp0))
  lmm <- glmm(Reaction ~ Days + (1 | Subject), data = zi_data("sleepstudy"))
  expect_gt(m$loglik, ref$logLik - 1e-4)
  expect_lt(abs(m$loglik - lmm$loglik), 1e-3)
  expect_equal(fixef(m)$cond, fixef(lmm)$cond, tolerance = 1e-3)
  expect_equal(unname(fixef(m)$disp), ref$disp[[1]])
  expect_equal(unname(predict(m, type = "disp"))[ref$rows], ref$disp_pred, tolerance = 1e-10)
  expect_equal(VarCorr(m)$cond$obs[1, 1], sigma(lmm)^2, tolerance = 1e-2)
})

test_that("zero-inflation with random effects: methods read the zero model's random effects", {
  m <- zi_fit(zi_models$zi_random)
  expect_named(VarCorr(m), c("cond", "zi"))
  re <- ranef(m)
  expect_named(re, c("cond", "zi"))
  expect_equal(dim(re$zi$site), c(23L, 1L))
  expect_true(any(grepl("zi.Std.Dev.(Intercept)|site", rownames(confint(m)), fixed = TRUE)))
  expect_error(predict(m, newdata = zi_data("Salamanders")[1:3, ]), "re.form = NA")
  p_na <- predict(m, newdata = zi_data("Salamanders")[1:3, ], re.form = NA, type = "zprob")
  expect_equal(unname(p_na), unname(stats::plogis(drop(m$components$Xzi[1:3, ] %*% fixef(m)$zi))))
  expect_true(any(grepl("Zero-inflation model:", capture.output(print(summary(m))))))
  expect_length(simulate(m, nsim = 2, seed = 1), 2L)
})

test_that("methods read the components", {
  m <- zi_fit(zi_models$zipoisson)
  expect_named(fixef(m), c("cond", "zi", "disp"))
  expect_named(vcov(m), c("cond", "zi"))
  s <- summary(m)
  expect_named(s$coefficients, c("cond", "zi"))
  out <- capture.output(print(s))
  expect_true(any(grepl("Zero-inflation model:", out)))
  nd <- zi_data("Salamanders")[c(1, 50, 400), ]
  expect_equal(predict(m, newdata = nd, type = "response"), unname(predict(m, type = "response")[c(1, 50, 400)]),
               tolerance = 1e-10, ignore_attr = TRUE)
  expect_equal(predict(m, newdata = nd, type = "zlink"), stats::qlogis(unname(predict(m, type = "zprob")[c(1, 50, 400)])),
               tolerance = 1e-10, ignore_attr = TRUE)
  expect_equal(predict(m, type = "response"), (1 - predict(m, type = "zprob")) * predict(m, type = "conditional"))
  ci <- confint(m)
  expect_true(all(c("cond.minedno", "zi.minedno", "cond.Std.Dev.(Intercept)|site") %in% rownames(ci)))
  expect_true(all(ci[, 1] < ci[, 3] & ci[, 3] < ci[, 2]))
  set.seed(1)
  sims <- simulate(m, nsim = 20)
  # the share of zeros of the draws near the fitted one (mean P(0) over rows)
  p0 <- mean(predict(m, type = "zprob") + (1 - predict(m, type = "zprob")) * exp(-predict(m, type = "conditional")))
  expect_equal(mean(unlist(sims) == 0), p0, tolerance = 0.05)
  m0 <- suppressMessages(glmm(count ~ spp + mined + (1 | site), data = zi_data("Salamanders"), family = poisson))
  a <- anova(m0, m)
  expect_equal(a$Chisq[2], 2 * (m$loglik - m0$loglik), tolerance = 1e-8)
  expect_error(r2(m), "not defined")
  expect_error(vcov(m, full = TRUE), "not available yet")
  expect_error(predict(m, se.fit = TRUE), "not available yet")
  expect_null(VarCorr(m)$zi)
})

test_that("bad component input is a clear error", {
  d <- zi_data("Salamanders")
  expect_error(glmm(count ~ mined + (1 | site), data = d, family = poisson, ziformula = count ~ mined), "one-sided")
  expect_error(glmm(count ~ mined + (1 | site), data = d, family = binomial, ziformula = ~1), "not available for family binomial")
  expect_error(glmm(count ~ mined + (1 | site), data = d, family = poisson, dispformula = ~mined), "no dispersion parameter")
  expect_error(glmm(count ~ mined + (1 | site), data = d, family = nbinom2, dispformula = ~0), "gaussian family only")
  expect_error(glmm(count ~ mined + (1 | site), data = d, family = poisson, ziformula = ~ nosuchvar), "nosuchvar")
  expect_error(glmm(count ~ mined + (1 | site), data = d, family = poisson, ziformula = ~1, REML = TRUE), "REML")
  expect_error(glmm(count ~ mined + (1 | site), data = subset(d, count > 0), family = poisson, ziformula = ~1), "no zeros")
  expect_error(glmm(count ~ mined + (1 | site), data = d, family = truncated_poisson), "hurdle")
  expect_error(glmm(count ~ mined + (1 | site), data = d, family = nbinom2, dispformula = ~ (1 | site)), "random effects in `dispformula`")
})

test_that("live glmmTMB fits agree", {
  skip_if_not_installed("glmmTMB")
  for (name in c("zinb2", "hurdle_nbinom2", "sleep_disp")) {
    spec <- zi_models[[name]]
    family <- switch(spec$family, poisson = poisson(), gaussian = gaussian(), get(spec$family, envir = asNamespace("glmmTMB"))())
    g <- glmmTMB::glmmTMB(spec$formula, data = zi_data(spec$data), family = family, ziformula = spec$zi, dispformula = spec$disp)
    m <- zi_fit(spec)
    expect_gt(m$loglik, as.numeric(logLik(g)) - 1e-4, label = paste(name, "live logLik"))
    fe <- glmmTMB::fixef(g)
    expect_equal(fixef(m)$cond, fe$cond, tolerance = 2e-3, label = paste(name, "live cond"))
    if (length(fe$zi)) expect_equal(fixef(m)$zi, fe$zi, tolerance = 2e-3, label = paste(name, "live zi"))
    expect_equal(unname(predict(m, type = "response")), unname(predict(g, type = "response")), tolerance = 2e-3,
                 label = paste(name, "live response"))
  }
})

test_that("tidy() and emmeans read every component", {
  m <- zi_fit(zi_models$zipoisson)
  td <- as.data.frame(tidy.glmmlab(m, effects = "fixed"))
  expect_equal(td$estimate[td$component == "zi"], unname(fixef(m)$zi))
  expect_equal(td$std.error[td$component == "zi"], unname(sqrt(diag(vcov(m)$zi))))
  skip_if_not_installed("emmeans")
  e_zi <- as.data.frame(emmeans::emmeans(m, ~mined, component = "zi"))
  X <- m$components$Xzi
  expect_equal(e_zi$emmean[e_zi$mined == "yes"],
               mean(sapply(levels(zi_data("Salamanders")$spp), function(s) sum(fixef(m)$zi * c(1, s == levels(zi_data("Salamanders")$spp)[-1], 0)))),
               tolerance = 1e-8)
  expect_error(suppressMessages(emmeans::emmeans(m, ~mined, component = "disp")))
  skip_if_not_installed("glmmTMB")
  g <- glmmTMB::glmmTMB(zi_models$zipoisson$formula, data = zi_data("Salamanders"), family = poisson, ziformula = zi_models$zipoisson$zi)
  e_tmb <- as.data.frame(emmeans::emmeans(g, ~mined, component = "zi"))
  expect_equal(e_zi$emmean, e_tmb$emmean, tolerance = 2e-3)
  expect_equal(e_zi$SE, e_tmb$SE, tolerance = 1e-2)
})
