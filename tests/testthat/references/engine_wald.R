# Stored reference numbers for glmmlab's tests (topic 'engine_wald'); do not edit by hand.
# Written by tests/references/refs_engine_wald.R on 2026-12-06 with R version 4.2.2 Patched (2022-11-10 r83330), glmmTMB 1.1.5, TMB 1.9.2.
# Regenerate: Rscript tests/references/make_references.R
list(lmm_diag = list(lower = c(15.605969063775555, 3.9294199908726046
), upper = c(37.437464151705896, 8.5593482642046634), estimate = c(24.171220643106309, 
5.7994201587923024), se_theta = c(0.22322309283820735, 0.19860880762784769
), se_betad = 0.11703595703745678), gamma_diag = list(lower = c(0.067986207715157732, 
0.011660353690719513), upper = c(0.14825791908971894, 0.026041929721596226
), estimate = c(0.10039668163166887, 0.017425788686388707), se_theta = c(0.19889360285361624, 
0.20498167640873396), se_betad = 0.11741028128836281))
