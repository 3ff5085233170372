# Stored reference numbers for glmmlab's tests (topic 'compat_prof'); do not edit by hand.
# Written by tests/references/refs_compat_prof.R on 2026-12-06 with R version 4.2.2 Patched (2022-11-10 r83330), glmmTMB 1.1.5, lme4 1.1.31.
# Regenerate: Rscript tests/references/make_references.R
list(reml_int_z = c(`d~(Intercept)` = 61.615624588989093, `theta_1|Subject.1` = 19.697152743261171
), reml_int_ok = FALSE, ml_slope_z = c(`(Intercept)` = 37.906299535461891, 
Days = 6.9678033121251666, `d~(Intercept)` = 55.023171536083908, 
`theta_Days|Subject.1` = 13.511283655761886, `theta_Days|Subject.2` = 8.3961301137111537, 
`theta_Days|Subject.3` = 0.24972893326655743), ml_slope_ok = FALSE, 
    cbpp_z = c(`(Intercept)` = -6.0159165906793168, period2 = -3.2361212458593611, 
    period3 = -3.4554214735921747, period4 = -3.6971885405962128, 
    `theta_1|herd.1` = -1.5925394326209874), cbpp_ok = FALSE, 
    big_scale_sd = 288029.32811564277, big_scale_ok = FALSE, 
    lme4_varcov_confint = structure(c(676.37164856885101, 773.61030724574721, 
    2802.2055076172901, 1196.5413901171528), dim = c(2L, 2L), dimnames = list(
        c(".sig01", ".sigma"), c("2.5 %", "97.5 %"))), lme4_sdcor_confint = structure(c(26.007120448065702, 
    27.813847208129964, 52.935983529631159, 34.591049857869052
    ), dim = c(2L, 2L), dimnames = list(c(".sig01", ".sigma"), 
        c("2.5 %", "97.5 %"))), lme4_signames_sdcor = c("sd_(Intercept)|Subject", 
    "cor_Days.(Intercept)|Subject", "sd_Days|Subject", "sigma"
    ), lme4_signames_varcov_l1 = c("var_(Intercept)|Subject", 
    "sigma"), cbpp_cook_tmb = c(0.052381922913513124, 0.039671147040020276, 
    0.24668623622652391), cbpp_cook_lme4_stored = c(0.053299880003303698, 
    0.040593117276358101, 0.25260833792843801))
