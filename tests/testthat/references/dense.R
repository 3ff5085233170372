# Stored reference numbers for glmmlab's tests (topic 'dense'); do not edit by hand.
# Written by tests/references/refs_dense.R on 2026-12-07 with R version 4.2.2 Patched (2022-11-10 r83330), glmmTMB 1.1.5.
# Regenerate: Rscript tests/references/make_references.R
list(poisson_dense = list(logLik = -11622.123874492521, beta = c(`(Intercept)` = 0.18069320962366273, 
x = 0.29620910399194489), vcov = structure(c(0.005897187064783053, 
-2.474111196945367e-05, -2.474111196945367e-05, 8.4345662394130032e-05
), dim = c(2L, 2L), dimnames = list(c("(Intercept)", "x"), c("(Intercept)", 
"x"))), sd = c(a = 0.51240475998933677, b = 0.36572418493418418
)), binomial_three = list(logLik = -4976.6339524068571, beta = c(`(Intercept)` = 0.096426194126902787, 
x = 0.27027554342628834), vcov = structure(c(0.015810027815570935, 
4.2964389951555425e-06, 4.2964389951555425e-06, 0.0006395789355329968
), dim = c(2L, 2L), dimnames = list(c("(Intercept)", "x"), c("(Intercept)", 
"x"))), sd = c(a = 0.5219195697454535, b = 0.23931600237284315, 
c = 0.25995340042982845)), poisson_large = list(logLik = -17741.137835746973, 
    beta = c(`(Intercept)` = 0.2366924508998404, x = 0.30139899789277341
    ), vcov = structure(c(0.002476653406824438, -1.5979452910017864e-05, 
    -1.5979452910017864e-05, 5.4389389699864687e-05), dim = c(2L, 
    2L), dimnames = list(c("(Intercept)", "x"), c("(Intercept)", 
    "x"))), sd = c(a = 0.50500740243777376, b = 0.24884984753257436
    )), binomial_large = list(logLik = -8039.0733746323367, beta = c(`(Intercept)` = 0.20071797019923349, 
x = 0.27991946186255506), vcov = structure(c(0.0011827635944333021, 
7.5228779581320045e-06, 7.5228779581320036e-06, 0.0003917843948321469
), dim = c(2L, 2L), dimnames = list(c("(Intercept)", "x"), c("(Intercept)", 
"x"))), sd = c(a = 0.46129817671986811, b = 0.28934617460382789
)), gaussian_dense = list(logLik = -5780.9807061533957, beta = c(`(Intercept)` = 0.73580885524378203, 
x = 0.15975755229903071), vcov = structure(c(0.0016555369055576061, 
-7.9980696084418734e-08, -7.998069608441872e-08, 2.9112107652828954e-05
), dim = c(2L, 2L), dimnames = list(c("(Intercept)", "x"), c("(Intercept)", 
"x"))), sd = c(a = 0.28844806588726801, b = 0.19059160539211645
)))
