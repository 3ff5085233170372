# refs_lmm.R: lme4 and glmmTMB on the reduced kb07-like model (fixture kb07_like: 32 subjects x
# 16 items, 461 rows; two 4 x 4 covariance terms, 20 variance parameters), the model on which the
# tests check the exact gradient, the L-BFGS optimum and the ML standard errors (test-lmm_gradient.R).
library(lme4)
library(glmmTMB)
dat <- fixture("kb07_like")
form <- y ~ S * P * C + (1 + S * P | subj) + (1 + S * P | item)
# lmer's default stopping rule ends short of the optimum here (REML criterion 3e-5 above it, with
# a convergence warning): BOBYQA with a smaller final trust region reaches it
tight <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5))
ml <- lmer(form, data = dat, REML = FALSE, control = tight)
reml <- lmer(form, data = dat, REML = TRUE, control = tight)
tmb <- glmmTMB(form, data = dat)
refs <- list(
  kb07_formula = deparse(form),
  kb07_ml_lme4_logLik = as.numeric(logLik(ml)),
  kb07_ml_lme4_beta = fixef(ml),
  kb07_ml_lme4_theta = unname(getME(ml, "theta")),
  kb07_ml_lme4_sigma = sigma(ml),
  kb07_reml_lme4_criterion = unname(REMLcrit(reml)),
  kb07_reml_lme4_beta = fixef(reml),
  kb07_reml_lme4_se = sqrt(diag(as.matrix(vcov(reml)))),
  kb07_reml_lme4_sigma = sigma(reml),
  kb07_ml_tmb_logLik = as.numeric(logLik(tmb)),
  kb07_ml_tmb_beta = fixef(tmb)$cond,
  kb07_ml_tmb_se = sqrt(diag(vcov(tmb)$cond)),
  kb07_ml_tmb_sigma = sigma(tmb),
  kb07_ml_tmb_vc_subj = unname(VarCorr(tmb)$cond$subj[, ]),
  kb07_ml_tmb_vc_item = unname(VarCorr(tmb)$cond$item[, ])
)
write_references(refs, "lmm", c("lme4", "glmmTMB", "Matrix", "TMB"))
