# Stored reference numbers for glmmlab's tests (topic 'fixef_shape'); do not edit by hand.
# Written by tests/references/refs_fixef_shape.R on 2026-12-06 with R version 4.2.2 Patched (2022-11-10 r83330), glmmTMB 1.1.5.
# Regenerate: Rscript tests/references/make_references.R
list(gaussian = list(cond = c(`(Intercept)` = 251.405111640043, 
Days = 10.467290849444741), zi = numeric(0), disp = c(`(Intercept)` = 6.8612159795763104), 
    disp_names = "(Intercept)"), gaussian_reml = list(cond = c(`(Intercept)` = 251.40510484848483, 
Days = 10.46728595959596), zi = numeric(0), disp = c(`(Intercept)` = 6.8674089002720553), 
    disp_names = "(Intercept)"), binomial = list(cond = c(`(Intercept)` = -1.3985324664139871, 
period2 = -0.99233229286026625, period3 = -1.1286712975139559, 
period4 = -1.5803136870928018), zi = numeric(0), disp = numeric(0), 
    disp_names = NULL), nbinom2 = list(cond = c(`(Intercept)` = 5.5317445637176821, 
Days = 0.034321803276229412), zi = numeric(0), disp = c(`(Intercept)` = 5.1071751434528441), 
    disp_names = "(Intercept)"), Gamma = list(cond = c(`(Intercept)` = 5.5339447113472353, 
Days = 0.03384509258099435), zi = numeric(0), disp = c(`(Intercept)` = 4.6734909407661291), 
    disp_names = "(Intercept)"), noRE = list(cond = c(`(Intercept)` = 251.40510991009276, 
Days = 10.467284794829894), zi = numeric(0), disp = c(`(Intercept)` = 7.7193059630660379), 
    disp_names = "(Intercept)"), tweedie_p2 = list(logLik = -883.5651565500051, 
    power = 1.9999407841665024, convergence = 1L, message = "false convergence (8)"))
