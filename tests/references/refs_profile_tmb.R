# refs_profile_tmb.R: reference numbers for profile() in glmmTMB's form and confint() of it
# (tests/testthat/test-profile_tmb.R): glmmTMB's profile.glmmTMB() (its grid .focal, the rise of
# the negative log-likelihood value, the parameter names .par) and confint() of the profile, for
# sleepstudy models with and without random effects and a binomial GLMM on cbpp.
# Run: Rscript tests/references/make_references.R profile_tmb
suppressPackageStartupMessages(library(glmmTMB))
ss <- fixture("sleepstudy")
cbpp <- fixture("cbpp")
# a profile as plain columns (.par as character) and its intervals
store <- function(refs, key, prof) {
  refs[[paste0(key, "_par")]] <- as.character(prof$.par)
  refs[[paste0(key, "_focal")]] <- prof$.focal
  refs[[paste0(key, "_value")]] <- prof$value
  refs[[paste0(key, "_rownames")]] <- rownames(prof)
  refs[[paste0(key, "_ci")]] <- confint(prof)
  refs
}
refs <- list()
fm_noRE <- glmmTMB(Reaction ~ Days, ss)
refs <- store(refs, "noRE_npts4", profile(fm_noRE, npts = 4))   # glmmTMB's test-methods.R: 43 rows
fm1 <- glmmTMB(Reaction ~ Days + (1 | Subject), ss)
refs <- store(refs, "int", profile(fm1))
refs$int_ci_90 <- confint(profile(fm1), level = 0.9)
fm2 <- glmmTMB(Reaction ~ Days + (Days | Subject), ss)
refs <- store(refs, "slope_theta", profile(fm2, parm = "theta_", npts = 4))
gb <- glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
refs <- store(refs, "cbpp", profile(gb, npts = 4))
write_references(refs, "profile_tmb", "glmmTMB")
