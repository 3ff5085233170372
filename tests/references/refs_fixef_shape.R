# refs_fixef_shape.R: glmmTMB's fixef() of models without zero-inflation or dispersion formulas
# (list(cond, zi, disp) with disp glmmTMB's log dispersion) for several families and REML
# (tests/testthat/test-api_accessors.R), and a Tweedie fit whose power is estimated at p = 2
# (tests/testthat/test-families.R).
# Run: Rscript tests/references/make_references.R fixef_shape
suppressPackageStartupMessages(library(glmmTMB))
ss <- fixture("sleepstudy")
cbpp <- fixture("cbpp")
ss$rr <- round(ss$Reaction)
refs <- list()
shape_of <- function(m) { f <- unclass(fixef(m)); list(cond = f$cond, zi = f$zi, disp = f$disp, disp_names = names(f$disp)) }
refs$gaussian <- shape_of(glmmTMB(Reaction ~ Days + (1 | Subject), ss))
refs$gaussian_reml <- shape_of(glmmTMB(Reaction ~ Days + (1 | Subject), ss, REML = TRUE))
refs$binomial <- shape_of(glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial))
refs$nbinom2 <- shape_of(glmmTMB(rr ~ Days + (1 | Subject), ss, family = nbinom2))
refs$Gamma <- shape_of(glmmTMB(Reaction ~ Days + (1 | Subject), ss, family = Gamma(link = "log")))
refs$noRE <- shape_of(glmmTMB(Reaction ~ Days, ss))
tw <- suppressWarnings(glmmTMB(rr ~ Days + (1 | Subject), ss, family = tweedie()))
refs$tweedie_p2 <- list(logLik = as.numeric(logLik(tw)), power = unname(family_params(tw)),
                        convergence = tw$fit$convergence, message = tw$fit$message)
write_references(refs, "fixef_shape", "glmmTMB")
