# refs_api.R: reference numbers for issue 13's interface items (tests test-api_*.R): models without
# random effects (glmmTMB, lm, glm, MASS::glm.nb), arguments (contrasts, start, `.`, family lists,
# splines::ns), accessors (`||` as one term, ranef data frame, predictions for NA and new levels,
# a one-level grouping factor) and lme4's object API (getME, refit, REMLcrit, hatvalues, rstudent,
# cooks.distance, influence). Run: Rscript tests/references/make_references.R api
suppressPackageStartupMessages({
  library(lme4)
  library(glmmTMB)
})
ss <- fixture("sleepstudy")
cbpp <- fixture("cbpp")
grouse <- fixture("grouseticks")
pen <- fixture("Penicillin")
refs <- list()

# the pieces of a glmmTMB fit the tests compare
tmb_summary <- function(m) {
  list(logLik = as.numeric(logLik(m)), df = attr(logLik(m), "df"), beta = fixef(m)$cond,
       se = sqrt(diag(vcov(m)$cond)), sigma = sigma(m), AIC = AIC(m))
}

## ---- item 1: models without random effects ----------------------------------------------------
refs$lm_ml_tmb <- tmb_summary(glmmTMB(Reaction ~ Days, ss))
refs$lm_ml_logLik_lm <- as.numeric(logLik(lm(Reaction ~ Days, ss)))
refs$lm_reml_tmb <- tmb_summary(glmmTMB(Reaction ~ Days, ss, REML = TRUE))
refs$lm_reml_logLik_lm <- as.numeric(logLik(lm(Reaction ~ Days, ss), REML = TRUE))
refs$pois_tmb <- tmb_summary(glmmTMB(TICKS ~ YEAR + HEIGHT, grouse, family = poisson))
refs$pois_logLik_glm <- as.numeric(logLik(glm(TICKS ~ YEAR + HEIGHT, poisson, grouse)))
refs$nb2_tmb <- tmb_summary(glmmTMB(TICKS ~ YEAR + HEIGHT, grouse, family = nbinom2))
nb_mass <- MASS::glm.nb(TICKS ~ YEAR + HEIGHT, grouse)
refs$nb2_glm.nb <- list(logLik = as.numeric(logLik(nb_mass)), beta = coef(nb_mass), theta = nb_mass$theta)
refs$binom_tmb <- tmb_summary(glmmTMB(cbind(incidence, size - incidence) ~ period, cbpp, family = binomial))
refs$binom_logLik_glm <- as.numeric(logLik(glm(cbind(incidence, size - incidence) ~ period, binomial, cbpp)))
refs$gamma_tmb <- tmb_summary(glmmTMB(Reaction ~ Days, ss, family = Gamma(link = "log")))
m0 <- glmmTMB(Reaction ~ Days, ss)
m1 <- glmmTMB(Reaction ~ Days + (1 | Subject), ss)
refs$aic_table_tmb <- AIC(m0, m1)$AIC
an <- anova(m0, m1)
refs$anova_tmb <- list(Chisq = an$Chisq[2], Df = an[["Chi Df"]][2], p = an[["Pr(>Chisq)"]][2])
p0 <- predict(m0, newdata = data.frame(Days = c(0, 4.5, 9)), se.fit = TRUE)
refs$predict_noRE_tmb <- list(fit = unname(p0$fit), se = unname(p0$se.fit))
pb <- predict(glmmTMB(cbind(incidence, size - incidence) ~ period, cbpp, family = binomial),
              newdata = data.frame(period = factor(1:4)), type = "response", se.fit = TRUE)
refs$predict_noRE_binom_tmb <- list(fit = unname(pb$fit), se = unname(pb$se.fit))

## ---- item 3: arguments --------------------------------------------------------------------------
refs$contrasts_tmb <- tmb_summary(glmmTMB(TICKS ~ YEAR * cHEIGHT + (1 | BROOD), grouse, family = nbinom2,
                                          contrasts = list(YEAR = "contr.sum")))
refs$ns_tmb <- tmb_summary(glmmTMB(Reaction ~ splines::ns(Days, 3) + (1 | Subject), ss))
ss3 <- ss[c("Reaction", "Days", "Subject")]
refs$dot_lme4 <- list(logLik = as.numeric(logLik(lmer(Reaction ~ . - Subject + (1 | Subject), ss3, REML = FALSE))),
                      beta = fixef(lmer(Reaction ~ . - Subject + (1 | Subject), ss3, REML = FALSE)))
us_fit <- glmmTMB(Reaction ~ Days + (Days | Subject), ss)
refs$start_us_tmb <- c(tmb_summary(us_fit), list(par = unname(us_fit$fit$par), vc = unname(VarCorr(us_fit)$cond$Subject)))
gm_fit <- glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
refs$start_binom_tmb <- c(tmb_summary(gm_fit), list(par = unname(gm_fit$fit$par)))
nb_fit <- glmmTMB(TICKS ~ YEAR + cHEIGHT + (1 | BROOD), grouse, family = nbinom2)
refs$start_nb2_tmb <- c(tmb_summary(nb_fit), list(par = unname(nb_fit$fit$par)))

## ---- item 4: accessors --------------------------------------------------------------------------
dbl <- glmmTMB(Reaction ~ Days + (Days || Subject), ss)
refs$dbar_tmb <- c(tmb_summary(dbl), list(vc = c(VarCorr(dbl)$cond$Subject), ranef = unname(as.matrix(ranef(dbl)$cond$Subject))))
refs$dbar_tidy_tmb <- as.data.frame(broom.mixed::tidy(dbl, effects = "ran_pars"))[c("group", "term", "estimate")]
refs$dbar_update_lme4 <- as.numeric(logLik(lmer(Reaction ~ Days + (1 | Subject), ss, REML = FALSE)))
refs$ranef_df_names_tmb <- names(as.data.frame(ranef(us_fit)))
refs$ranef_df_head_tmb <- as.data.frame(ranef(us_fit))[1:3, c("component", "grpvar", "term", "grp", "condval")]
nd <- data.frame(Days = c(1, 2, 3, 4), Subject = c(NA, "308", "new", "309"))
refs$predict_na_new_tmb <- unname(suppressWarnings(predict(us_fit, nd)))
w <- rep(c(1, 2, 0.5), length.out = nrow(ss))
refs$weights_tmb <- weights(glmmTMB(Reaction ~ Days + (1 | Subject), transform(ss, w = w), weights = w))
refs$weights_unweighted_tmb_is_null <- is.null(weights(m1))
one <- transform(ss, pop = "A")
one_fit <- suppressWarnings(glmmTMB(Reaction ~ Days + (1 | pop), one))
refs$one_level_tmb <- list(logLik = as.numeric(logLik(one_fit)), beta = fixef(one_fit)$cond,
                           sd = attr(VarCorr(one_fit)$cond$pop, "stddev"))
refs$frame_fixed_lme4 <- names(model.frame(lmer(Reaction ~ Days + (Days | Subject), ss), fixed.only = TRUE))

## ---- item 5: lme4's object API ------------------------------------------------------------------
fm <- lmer(Reaction ~ Days + (Days | Subject), ss)   # REML, as lmer's default
refs$getME_us_lme4 <- list(theta = getME(fm, "theta"), u = as.vector(getME(fm, "u")), b = as.vector(getME(fm, "b")),
                           Lind = getME(fm, "Lind"), Gp = getME(fm, "Gp"), lower = getME(fm, "lower"),
                           RX = as.matrix(getME(fm, "RX")), RZX_head = as.matrix(getME(fm, "RZX"))[1:4, ],
                           Lambdat_x = getME(fm, "Lambdat")@x, Z_dim = dim(getME(fm, "Z")), Z_colnames = colnames(getME(fm, "Z")),
                           Z_x = getME(fm, "Z")@x, cmp = getME(fm, "devcomp")$cmp[c("ldL2", "ldRX2", "wrss", "ussq", "pwrss", "REML", "sigmaML", "sigmaREML")],
                           ST = getME(fm, "ST")$Subject, devfun_at_1 = as.function(fm)(c(1, 0, 1)),
                           REMLcrit = REMLcrit(fm), deviance_ml_crit = REMLcrit(lmer(Reaction ~ Days + (Days | Subject), ss, REML = FALSE)))
fp <- lmer(diameter ~ (1 | sample) + (1 | plate), pen)   # lme4 reorders: plate (24 levels) first
refs$getME_reorder_lme4 <- list(theta = getME(fp, "theta"), REMLcrit = REMLcrit(fp), cnms = getME(fp, "cnms"), Gp = getME(fp, "Gp"),
                                flist_names = names(getME(fp, "flist")), b = as.vector(getME(fp, "b")),
                                Lind = getME(fp, "Lind"), l_i = getME(fp, "l_i"))
fd <- lmer(Reaction ~ Days + (Days || Subject), ss, REML = FALSE)
refs$getME_dbar_lme4 <- list(theta = getME(fd, "theta"), deviance = deviance(fd), n_rtrms = getME(fd, "n_rtrms"), n_rfacs = getME(fd, "n_rfacs"),
                             b = as.vector(getME(fd, "b")))
gml <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
refs$getME_glmer_lme4 <- list(devfun = getME(gml, "devfun")(c(0.6, -1.4, -1, -1.1, -1.6)), theta_names = names(getME(gml, "theta")))
refs$isSingular_lme4 <- c(nonsingular = isSingular(fm), singular = isSingular(lmer(Reaction ~ Days + (1 | pop), one,
                                                                                 control = lmerControl(check.nlev.gtr.1 = "ignore"))))
newy <- ss$Reaction + rep(c(-5, 5), 90)
# lme4's refit() stops at a worse point on this response (logLik -881.06) than lmer() fitted to it (-876.86)
refs$refit_lme4 <- list(logLik_refit = as.numeric(logLik(refit(fm, newy))),
                        logLik = as.numeric(logLik(lmer(Reaction ~ Days + (Days | Subject), transform(ss, Reaction = newy)))),
                        beta = fixef(lmer(Reaction ~ Days + (Days | Subject), transform(ss, Reaction = newy))))
refs$hat_lme4 <- list(hat = unname(hatvalues(fm)), rstudent = unname(rstudent(fm)), cooks = unname(cooks.distance(fm)))
fm1 <- lmer(Reaction ~ Days + (1 | Subject), ss)
inf <- influence(fm1, "Subject", ncores = 1)
refs$influence_subject_lme4 <- list(cooks = unname(cooks.distance(inf)), fixed = unname(inf[["fixed.effects[-Subject]"]]),
                                    dfbetas = unname(dfbetas(inf)))
small <- lmer(Reaction ~ 1 + (1 | Subject), ss[1:60, ])
refs$influence_case_lme4 <- list(fixed = unname(influence(small, ncores = 1)[["fixed.effects[-case]"]][, 1]))

## ---- predict() and simulate(): lme4's and glmmTMB's arguments -----------------------------------
pl <- glmer(round(Reaction) ~ 1 + (1 | Subject), ss, family = poisson)
refs$predict_newparams_lme4 <- unname(predict(pl, newparams = list(beta = 5, theta = 1), type = "response", re.form = ~ 1 | Subject))
fm_ml <- lmer(Reaction ~ Days + (Days | Subject), ss, REML = FALSE)
refs$predict_random_only_lme4 <- unname(predict(fm_ml, random.only = TRUE))
refs$predict_slope_only_lme4 <- unname(predict(fm_ml, re.form = ~ (0 + Days | Subject)))
refs$predict_types_tmb <- list(zprob = unname(predict(us_fit, type = "zprob")[1:3]), zlink = unname(predict(us_fit, type = "zlink")[1:3]),
                               disp = predict(us_fit, type = "disp")[1:3], conditional = predict(us_fit, type = "conditional")[1:3],
                               response = predict(us_fit, type = "response")[1:3])

write_references(refs, "api", c("lme4", "glmmTMB", "broom.mixed", "MASS", "Matrix"))
