# refs_fammerge.R: reference fits where main's API (issue 13: models without random effects,
# (x || g) as one diagonal term) meets the model components of issue 16, for
# tests/testthat/test-components_api.R. Run from the project root:
#   Rscript tests/references/make_references.R fammerge
#
# Data: Salamanders (zero-inflated poisson and nbinom2 with a dispersion formula, no random
# effects; zero-inflated poisson with diag(cover | site)), sleepstudy (gaussian with
# dispformula = ~ Days, no random effects). Each entry: glmmTMB's logLik and df, the fixed
# effects of each component and, at every 10th row, the response-scale prediction and the zero
# model's probability.
library(glmmTMB)

sal <- fixture("Salamanders")
sleep <- fixture("sleepstudy")

models <- list(
  zip_nore = list(formula = count ~ mined + spp, data = "Salamanders", family = "poisson", zi = ~ mined, disp = ~1),
  nb2_disp_nore = list(formula = count ~ mined, data = "Salamanders", family = "nbinom2", zi = ~0, disp = ~ mined),
  gauss_disp_nore = list(formula = Reaction ~ Days, data = "sleepstudy", family = "gaussian", zi = ~0, disp = ~ Days),
  zip_diag = list(formula = count ~ mined + diag(cover | site), data = "Salamanders", family = "poisson", zi = ~ mined, disp = ~1)
)
datasets <- list(Salamanders = sal, sleepstudy = sleep)

reference_entry <- function(spec) {
  data <- datasets[[spec$data]]
  family <- get(spec$family, envir = asNamespace(if (spec$family %in% c("poisson", "gaussian")) "stats" else "glmmTMB"), mode = "function")
  m <- glmmTMB(spec$formula, data = data, family = family(), ziformula = spec$zi, dispformula = spec$disp)
  fe <- fixef(m)
  rows <- seq(1, nrow(data), by = 10)
  list(call = paste(deparse(spec$formula), "zi =", deparse(spec$zi), "disp =", deparse(spec$disp), "family =", spec$family),
       logLik = as.numeric(logLik(m)), df = attr(logLik(m), "df"),
       cond = fe$cond, zi = fe$zi, disp = fe$disp, rows = rows,
       response = unname(predict(m, type = "response")[rows]), zprob = unname(predict(m, type = "zprob")[rows]))
}

refs <- lapply(models, reference_entry)
write_references(refs, "fammerge", "glmmTMB")
