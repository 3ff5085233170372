# refs_api2_anova.R: reference numbers for anova(m, type = "III") of one glmm fit: car::Anova()'s
# type III Wald chi-square tests of a glmmTMB fit; profile intervals of a fit without random
# effects (tests/testthat/test-api2_anova.R).
# Run: Rscript tests/references/make_references.R api2_anova
suppressPackageStartupMessages({
  library(glmmTMB)
  library(car)
})
cake <- fixture("cake")
cbpp <- fixture("cbpp")
refs <- list()
m <- glmmTMB(angle ~ recipe * temp + (1 | recipe:replicate), cake)
a3 <- car::Anova(m, type = "III")
refs$cake_III_chisq <- a3$Chisq
refs$cake_III_df <- a3$Df
refs$cake_III_terms <- rownames(a3)
g <- glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
refs$cbpp_III_chisq <- car::Anova(g, type = "III")$Chisq
# profile() of a model without random effects (the merge of the one core interface had broken it)
ss <- fixture("sleepstudy")
m0 <- glmmTMB(Reaction ~ Days, ss)
refs$ss_noRE_profile_ci <- unname(confint(profile(m0), level = 0.95)[1:2, ])   # (Intercept), Days
write_references(refs, "api2_anova", c("glmmTMB", "car"))
