# refs_compat_prof.R: reference numbers for diagnose() (tests/testthat/test-diagnose.R): glmmTMB's
# diagnose() verdicts and the Wald z statistics it checks (estimate / standard error of glmmTMB's
# parameters; REML fits: the variance parameters only), for sleepstudy and cbpp fits.
# Run: Rscript tests/references/make_references.R compat_prof
suppressPackageStartupMessages({
  library(glmmTMB)
  library(lme4)
})
ss <- fixture("sleepstudy")
cbpp <- fixture("cbpp")
# glmmTMB's z statistics as diagnose() computes them (summary of the sdreport; beta dropped for REML)
tmb_z <- function(fit) {
  s <- suppressWarnings(summary(fit$sdr))
  s <- s[grepl("^(beta|theta)", rownames(s)), , drop = FALSE]
  if (fit$modelInfo$REML) s <- s[rownames(s) != "beta", , drop = FALSE]
  z <- s[, "Estimate"] / s[, "Std. Error"]
  stats::setNames(unname(z), colnames(vcov(fit, full = TRUE))[if (fit$modelInfo$REML) -seq_along(fixef(fit)$cond) else TRUE])
}
verdict <- function(fit) { utils::capture.output(ok <- diagnose(fit, explain = FALSE)); ok }
refs <- list()
fits <- list(
  reml_int = glmmTMB(Reaction ~ Days + (1 | Subject), ss, REML = TRUE),
  ml_slope = glmmTMB(Reaction ~ Days + (Days | Subject), ss),
  cbpp = glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
)
for (nm in names(fits)) {
  refs[[paste0(nm, "_z")]] <- tmb_z(fits[[nm]])
  refs[[paste0(nm, "_ok")]] <- verdict(fits[[nm]])
}
# a badly scaled predictor: Days in units of 1e-5 days
ss$Days_big <- ss$Days * 1e5
big <- glmmTMB(Reaction ~ Days_big + (1 | Subject), ss)
refs$big_scale_sd <- sd(ss$Days_big)
refs$big_scale_ok <- verdict(big)
# lme4's profile() on the variance scale (prof.scale = "varcov") and its long names (signames = FALSE)
l1 <- lmer(Reaction ~ Days + (1 | Subject), ss, REML = FALSE)
refs$lme4_varcov_confint <- confint(profile(l1, which = "theta_", prof.scale = "varcov"))
refs$lme4_sdcor_confint <- confint(profile(l1, which = "theta_"))
l2 <- lmer(Reaction ~ Days + (Days | Subject), ss, REML = FALSE)
refs$lme4_signames_sdcor <- as.character(unique(suppressWarnings(profile(l2, which = "theta_", signames = FALSE))$.par))
refs$lme4_signames_varcov_l1 <- as.character(unique(profile(l1, which = "theta_", prof.scale = "varcov", signames = FALSE)$.par))
# Cook's distances of case deletions on cbpp, lme4's formula (n - p) / (n p) db' V^-1 db with
# glmmTMB's deletion refits and glmmTMB's vcov (lme4 1.1-31's stored values are about 2% higher:
# its vcov(), a finite-difference Hessian of its deviance, is 1% off the Laplace Hessian's, and
# its refits stop about 3e-4 short in log-likelihood)
cb_full <- glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
V <- vcov(cb_full)$cond
cook_case <- function(i) {
  del <- glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp[-i, ], family = binomial)
  db <- fixef(del)$cond - fixef(cb_full)$cond
  n <- nrow(cbpp)
  p <- length(db)
  (n - p) / (n * p) * drop(crossprod(db, solve(V, db)))
}
refs$cbpp_cook_tmb <- vapply(1:3, cook_case, numeric(1))
refs$cbpp_cook_lme4_stored <- c(0.0532998800033037, 0.0405931172763581, 0.252608337928438)   # lme4's test-methods.R
write_references(refs, "compat_prof", c("glmmTMB", "lme4"))
