# refs_api_idioms.R: reference numbers for lme4 idioms and fixes found by running the peers' own
# test suites against glmm() (tests/testthat/test-api_idioms.R): lme4's ranef(m)$g with its
# conditional variances ("postVar") and coef(m)$g; glm()'s and glmmTMB's log-likelihood of a
# cbind() binomial response with prior weights (replicates); confint() of lme4's profile();
# glmmTMB's fits with the gaussian sqrt link (no start at eta = 0).
# Run: Rscript tests/references/make_references.R api_idioms
suppressPackageStartupMessages({
  library(lme4)
  library(glmmTMB)
})
ss <- fixture("sleepstudy")
dye <- fixture("Dyestuff")
cbpp <- fixture("cbpp")
refs <- list()

## ---- lme4's ranef(m)$g and coef(m)$g ------------------------------------------------------------
fm_dye <- lmer(Yield ~ 1 | Batch, dye)
refs$dye_ranef <- ranef(fm_dye, condVar = TRUE)$Batch[[1]]
refs$dye_postvar <- drop(attr(ranef(fm_dye, condVar = TRUE)$Batch, "postVar"))
fm_ss <- lmer(Reaction ~ Days + (Days | Subject), ss)
refs$ss_postvar_1 <- attr(ranef(fm_ss, condVar = TRUE)$Subject, "postVar")[, , 1]
refs$ss_coef <- as.matrix(coef(fm_ss)$Subject)
gm_cbpp <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
refs$cbpp_postvar <- as.numeric(attr(ranef(gm_cbpp, condVar = TRUE)$herd, "postVar"))

## ---- binomial cbind() with prior weights: weights count replicates -------------------------------
dd <- data.frame(success = 1:10, failure = 11:20)
dd$size <- dd$success + dd$failure
dd$prop <- dd$success / dd$size
dd$w <- 2
refs$binom_w_logLik_glm <- as.numeric(logLik(glm(cbind(success, failure) ~ 1, binomial, dd, weights = w)))
refs$binom_w_logLik_tmb <- as.numeric(logLik(glmmTMB(cbind(success, failure) ~ 1, dd, binomial, weights = w)))
refs$binom_w_prop_logLik_glm <- as.numeric(logLik(glm(prop ~ 1, binomial, dd, weights = size * w)))
cbpp$w <- rep(1:3, length.out = nrow(cbpp))
tw <- glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial, weights = w)
refs$cbpp_w_tmb <- list(logLik = as.numeric(logLik(tw)), beta = fixef(tw)$cond, AIC = AIC(tw))

## ---- confint() of a profile ----------------------------------------------------------------------
pr <- profile(lmer(Reaction ~ Days + (1 | Subject), ss, REML = FALSE))
refs$profile_confint_lme4 <- confint(pr)
refs$profile_confint_lme4_90 <- confint(pr, level = 0.9)

## ---- gaussian with the sqrt link (glmmTMB's test-families.R data) --------------------------------
set.seed(101)
x <- rnorm(200)
f <- factor(rep(1:10, 20))
u <- rnorm(10, sd = 1)
mu <- (2 + x + u[f])^2
sq <- data.frame(x = x, f = f, y = rnorm(200, mean = mu, sd = 0.1))
refs$sqrt_data <- list(x = sq$x, f = as.integer(sq$f), y = sq$y)
t1 <- glmmTMB(y ~ x + (1 | f), sq, gaussian(link = "sqrt"))
refs$sqrt_mixed_tmb <- list(logLik = as.numeric(logLik(t1)), beta = fixef(t1)$cond, sigma = sigma(t1))
t0 <- glmmTMB(y ~ x, sq, gaussian(link = "sqrt"))
refs$sqrt_fixed_tmb <- list(logLik = as.numeric(logLik(t0)), beta = fixef(t0)$cond, sigma = sigma(t0))

## ---- vcov(full = TRUE): glmmTMB's component labels on the parameter names -----------------------
refs$vcov_full_dimnames_tmb <- dimnames(vcov(glmmTMB(Reaction ~ Days + (Days | Subject), ss), full = TRUE))
refs$vcov_full_dimnames_pois_tmb <- dimnames(vcov(glmmTMB(round(Reaction) ~ 1 + (1 | Subject), ss, poisson), full = TRUE))

write_references(refs, "api_idioms", c("lme4", "glmmTMB"))
