# Stored reference numbers for glmmlab's tests (topic 'wide'); do not edit by hand.
# Written by tests/references/refs_wide.R on 2026-12-07 with R version 4.2.2 Patched (2022-11-10 r83330), lme4 1.1.31, glmmTMB 1.1.5.
# Regenerate: Rscript tests/references/make_references.R
list(lmm_dense_rest = list(logLik = -2352.3590111014828, beta = c(`(Intercept)` = 0.75421370245049679, 
x = 0.17465982762376805), vcov = structure(c(0.00085617546667146323, 
7.2083254332596543e-07, 7.2083254332596543e-07, 8.9033940979368128e-05
), dim = c(2L, 2L), dimnames = list(c("(Intercept)", "x"), c("(Intercept)", 
"x"))), sd = c(a = 0.25009738699009321, b = 0.16866328218371501
)), lmm_sparse_rest = list(logLik = -9483.1768283383153, beta = c(`(Intercept)` = 3.0702821379236602, 
x = 0.29358486195988531), vcov = structure(c(0.0029848666426559394, 
1.0303475671130719e-06, 1.0303475671130719e-06, 9.9756046832562769e-05
), dim = c(2L, 2L), dimnames = list(c("(Intercept)", "x"), c("(Intercept)", 
"x"))), sd = c(s = 0.52173342122690636, d = 0.37875954573177967, 
dept = 0.16065228198646747)), poisson_dense_rest = list(logLik = -6013.1234772757962, 
    beta = c(`(Intercept)` = 0.20764912284090201, x = 0.28478129759273213
    ), vcov = structure(c(0.0028136445924301741, -5.0345586846466922e-05, 
    -5.0345586846466909e-05, 0.00018502212361261105), dim = c(2L, 
    2L), dimnames = list(c("(Intercept)", "x"), c("(Intercept)", 
    "x"))), sd = c(a = 0.53319589898135911, b = 0.32036463703024709
    )), poisson_sparse_rest = list(logLik = -12653.875640132064, 
    beta = c(`(Intercept)` = 0.53124020514706383, x = 0.30085673752729242
    ), vcov = structure(c(0.002531320512386497, -1.8681623414724252e-05, 
    -1.8681623414724245e-05, 7.3713992748502521e-05), dim = c(2L, 
    2L), dimnames = list(c("(Intercept)", "x"), c("(Intercept)", 
    "x"))), sd = c(s = 0.50060807215026981, d = 0.39172034682788243, 
    dept = 0.14277442139874963)))
