# Stored reference numbers for glmmlab's tests (topic 'api2_anova'); do not edit by hand.
# Written by tests/references/refs_api2_anova.R on 2026-12-06 with R version 4.2.2 Patched (2022-11-10 r83330), glmmTMB 1.1.5, car 3.1.1.
# Regenerate: Rscript tests/references/make_references.R
list(cake_III_chisq = c(0.16545088419506437, 0.19485687529010093, 
30.097346099379557, 0.08451310804690923), cake_III_df = c(1, 
2, 1, 2), cake_III_terms = c("(Intercept)", "recipe", "temp", 
"recipe:temp"), cbpp_III_chisq = c(36.191252426010664, 24.948546473108347
), ss_noRE_profile_ci = structure(c(238.41477394532791, 8.0339742122621161, 
264.36039560095668, 12.894034262362146), dim = c(2L, 2L)))
