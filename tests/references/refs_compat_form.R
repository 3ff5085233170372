# refs_compat_form.R: reference numbers for lme4 arguments and numbers that the peers' own test
# suites check (tests/testthat/test-compat_form.R): lme4's devFunOnly = TRUE deviance functions
# (LMMs of theta, ML and REML; GLMMs of c(theta, beta)) with the exact Laplace approximation
# computed here term by term; glmer() with etastart (and glmmTMB's fit of the model); check.rankX = "stop"; the residuals of the
# REML sleepstudy fit and predict(newparams =) of a Poisson fit, each from lme4 at its default and
# at tight tolerances.
# Run: Rscript tests/references/make_references.R compat_form
suppressPackageStartupMessages({
  library(lme4)
  library(glmmTMB)
})
ss <- fixture("sleepstudy")
cbpp <- fixture("cbpp")
cbpp$obs <- factor(seq_len(nrow(cbpp)))
refs <- list()

## ---- devFunOnly = TRUE: lmer ------------------------------------------------------------------------
refs$lmm_points <- list(c(1, 0, 1), c(0.9, 0.02, 0.2))
dev_ml <- lmer(Reaction ~ Days + (Days | Subject), ss, REML = FALSE, devFunOnly = TRUE)
dev_reml <- lmer(Reaction ~ Days + (Days | Subject), ss, REML = TRUE, devFunOnly = TRUE)
refs$lmm_dev_ml <- vapply(refs$lmm_points, dev_ml, numeric(1))
refs$lmm_dev_reml <- vapply(refs$lmm_points, dev_reml, numeric(1))
ss_w <- ss
ss_w$w <- 1 + (seq_len(nrow(ss)) %% 3) / 2
dev_weighted <- lmer(Reaction ~ Days + (Days | Subject), ss_w, weights = w, REML = FALSE, devFunOnly = TRUE)
refs$lmm_dev_weighted <- vapply(refs$lmm_points, dev_weighted, numeric(1))
dev_two <- lmer(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), ss, REML = FALSE, devFunOnly = TRUE)
refs$lmm_two_point <- c(0.9, 0.3)
refs$lmm_two_dev <- dev_two(refs$lmm_two_point)

## ---- devFunOnly = TRUE: glmer, and the exact Laplace approximation ---------------------------------
# -2 log of the Laplace approximation of cbpp's binomial GLMM with one random intercept per herd
# (the integral factorizes by herd: each herd's mode by optimize(), its curvature in closed form).
# The model with two crossed terms (herd, obs) has lme4's number only.
laplace_one_factor <- function(theta, beta) {
  eta0 <- drop(model.matrix(~ period, cbpp) %*% beta)
  total <- 0
  for (h in levels(cbpp$herd)) {
    i <- cbpp$herd == h
    g <- function(u) sum(dbinom(cbpp$incidence[i], cbpp$size[i], plogis(eta0[i] + theta * u), log = TRUE)) - u^2 / 2
    u <- optimize(function(u) -g(u), c(-10, 10), tol = 1e-13)$minimum
    mu <- plogis(eta0[i] + theta * u)
    total <- total + g(u) - 0.5 * log(sum(cbpp$size[i] * mu * (1 - mu)) * theta^2 + 1)
  }
  -2 * total
}
refs$glmm_point <- c(0.6, -1.4, -1, -1.1, -1.6)
dev_glmm <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial, devFunOnly = TRUE)
refs$glmm_dev_lme4 <- dev_glmm(refs$glmm_point)
refs$glmm_dev_exact <- laplace_one_factor(refs$glmm_point[1], refs$glmm_point[-1])
gm <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
refs$glmm_fit_point <- unname(c(getME(gm, "theta"), fixef(gm)))
refs$glmm_fit_dev_lme4 <- dev_glmm(refs$glmm_fit_point)
refs$glmm_fit_dev_exact <- laplace_one_factor(refs$glmm_fit_point[1], refs$glmm_fit_point[-1])
dev_two_glmm <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd) + (1 | obs), cbpp, family = binomial,
                      devFunOnly = TRUE)
refs$glmm_two_point <- c(0.9, 0.2, -1.4, -1, -1.1, -1.6)   # lme4's order: obs (56 levels), then herd (15)
refs$glmm_two_dev_lme4 <- dev_two_glmm(refs$glmm_two_point)

## ---- glmer(etastart =) ------------------------------------------------------------------------------
m1 <- glmer(incidence / size ~ period + (1 | herd), weights = size, family = binomial, data = cbpp)
m1E <- update(m1, etastart = rep(1, nrow(cbpp)))
refs$etastart_fixef <- fixef(m1E)
refs$etastart_loglik <- as.numeric(logLik(m1E))
tmb1 <- glmmTMB(incidence / size ~ period + (1 | herd), weights = size, family = binomial, data = cbpp)
refs$cbpp_prop_tmb_fixef <- fixef(tmb1)$cond
refs$cbpp_prop_tmb_loglik <- as.numeric(logLik(tmb1))

## ---- check.rankX = "stop": lme4's error -------------------------------------------------------------
set.seed(111)
n <- 100
x <- y <- rnorm(n)
d <- data.frame(x, y, z = rbinom(n, size = 1, prob = 0.5), r = sample(1:5, size = n, replace = TRUE))
refs$rank_data <- d
refs$rank_error_lme4 <- tryCatch(glmer(z ~ x + y + (1 | r), data = d, family = binomial,
                                       control = glmerControl(check.rankX = "stop")), error = conditionMessage)

## ---- residuals of the REML sleepstudy fit: lme4's test tolerances vs converged -----------------------
loose <- lmer(Reaction ~ Days + (Days | Subject), ss,
              control = lmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-6, ftol_abs = 1e-6)))
tight <- lmer(Reaction ~ Days + (Days | Subject), ss,
              control = lmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-12,
                                    xtol_rel = 1e-12, ftol_rel = 1e-14, maxeval = 1e5)))
refs$resid_range_loose <- range(resid(loose))
refs$resid_range_tight <- range(resid(tight))
refs$resid_scaled_range_tight <- range(resid(tight, scaled = TRUE))
refs$reml_loose <- REMLcrit(loose)
refs$reml_tight <- REMLcrit(tight)

## ---- predict(newparams =) of a Poisson fit (lme4's test-utils "getData") -----------------------------
f <- round(Reaction) ~ 1 + (1 | Subject)
pois_default <- glmer(f, data = ss, family = poisson)
pois_tight <- glmer(f, data = ss, family = poisson,
                    control = glmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 1e-3, rhoend = 1e-12, maxfun = 1e5)))
newparams <- list(beta = c("(Intercept)" = 5), theta = c("Subject.(Intercept)" = 1))
refs$newparams_pred_default <- unname(head(predict(pois_default, newparams = newparams, type = "response", re.form = ~ 1 | Subject), 2))
refs$newparams_pred_tight <- unname(head(predict(pois_tight, newparams = newparams, type = "response", re.form = ~ 1 | Subject), 2))
refs$pois_loglik_default <- as.numeric(logLik(pois_default))
refs$pois_loglik_tight <- as.numeric(logLik(pois_tight))

write_references(refs, "compat_form", c("lme4", "glmmTMB"))
