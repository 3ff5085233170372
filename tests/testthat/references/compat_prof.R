# Stored reference numbers for glmmlab's tests (topic 'compat_prof'); do not edit by hand.
# Written by tests/references/refs_compat_prof.R on 2026-12-06 with R version 4.2.2 Patched (2022-11-10 r83330), glmmTMB 1.1.5.
# Regenerate: Rscript tests/references/make_references.R
list(reml_int_z = c(`d~(Intercept)` = 61.615624588989093, `theta_1|Subject.1` = 19.697152743261171
), reml_int_ok = FALSE, ml_slope_z = c(`(Intercept)` = 37.906299535461891, 
Days = 6.9678033121251666, `d~(Intercept)` = 55.023171536083908, 
`theta_Days|Subject.1` = 13.511283655761886, `theta_Days|Subject.2` = 8.3961301137111537, 
`theta_Days|Subject.3` = 0.24972893326655743), ml_slope_ok = FALSE, 
    cbpp_z = c(`(Intercept)` = -6.0159165906793168, period2 = -3.2361212458593611, 
    period3 = -3.4554214735921747, period4 = -3.6971885405962128, 
    `theta_1|herd.1` = -1.5925394326209874), cbpp_ok = FALSE, 
    big_scale_sd = 288029.32811564277, big_scale_ok = FALSE)
