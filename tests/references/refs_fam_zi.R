# refs_fam_zi.R: reference fits of zero-inflation, hurdle and dispersion models (issue 16) for
# tests/testthat/test-fit_components.R. Run from the project root:
#   Rscript tests/references/make_references.R fam_zi
#
# Data: Salamanders (zero-inflated poisson and nbinom2, hurdle truncated_poisson and
# truncated_nbinom2, genpois with constant zero-inflation, nbinom2 with a dispersion formula, and
# zero-inflation with a random effect, which glmmlab does not fit yet), Owls (zero-inflated nbinom1
# with an offset, the model of glmmTMB's tests, NCalls = SiblingNegotiation) and sleepstudy
# (gaussian with dispformula = ~ Days; with dispformula = ~0 and an observation-level random effect). Each entry holds glmmTMB's logLik,
# the fixed effects of each component (fixef()), their standard errors, the SD of the random
# intercept, and at every 10th row the response-scale prediction, the zero model's probability
# and the dispersion (predict(type = "response" | "zprob" | "disp")).
library(glmmTMB)

sal <- fixture("Salamanders")
owls <- fixture("Owls")
owls$NCalls <- owls$SiblingNegotiation
sleep <- fixture("sleepstudy")
sleep$obs <- factor(seq_len(nrow(sleep)))   # the residual as a random effect (dispformula = ~0)

models <- list(
  zipoisson = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "poisson", zi = ~ spp + mined, disp = ~1),
  zinb2 = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "nbinom2", zi = ~ spp + mined, disp = ~1),
  zi_random = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "poisson", zi = ~ spp + (1 | site), disp = ~1),
  hurdle_poisson = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "truncated_poisson", zi = ~ spp + mined, disp = ~1),
  hurdle_nbinom2 = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "truncated_nbinom2", zi = ~ spp + mined, disp = ~1),
  genpois_zi = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "genpois", zi = ~1, disp = ~1),
  nbinom2_disp = list(formula = count ~ spp + mined + (1 | site), data = "Salamanders", family = "nbinom2", zi = ~0, disp = ~spp),
  owls_zinb1 = list(formula = NCalls ~ (FoodTreatment + ArrivalTime) * SexParent + offset(logBroodSize) + (1 | Nest),
                    data = "Owls", family = "nbinom1", zi = ~1, disp = ~1),
  sleep_disp = list(formula = Reaction ~ Days + (1 | Subject), data = "sleepstudy", family = "gaussian", zi = ~0, disp = ~Days),
  sleep_disp0 = list(formula = Reaction ~ Days + (1 | Subject) + (1 | obs), data = "sleepstudy", family = "gaussian", zi = ~0, disp = ~0)
)
datasets <- list(Salamanders = sal, Owls = owls, sleepstudy = sleep)

reference_entry <- function(spec) {
  data <- datasets[[spec$data]]
  family <- get(spec$family, envir = asNamespace("glmmTMB"), mode = "function")
  if (spec$family %in% c("poisson", "gaussian")) family <- get(spec$family, envir = asNamespace("stats"))
  m <- glmmTMB(spec$formula, data = data, family = family(), ziformula = spec$zi, dispformula = spec$disp)
  fe <- fixef(m)
  V <- vcov(m)
  se <- lapply(V, function(v) sqrt(diag(v)))
  rows <- seq(1, nrow(data), by = 10)
  vc <- VarCorr(m)
  list(call = paste(deparse(spec$formula), "zi =", deparse(spec$zi), "disp =", deparse(spec$disp), "family =", spec$family),
       logLik = as.numeric(logLik(m)), df = attr(logLik(m), "df"),
       cond = fe$cond, zi = fe$zi, disp = fe$disp,
       se_cond = unname(se$cond), se_zi = if (!is.null(se$zi)) unname(se$zi), se_disp = if (!is.null(se$disp)) unname(se$disp),
       sd_cond = unname(attr(vc$cond[[1L]], "stddev")),
       sd_zi = if (!is.null(vc$zi)) unname(attr(vc$zi[[1L]], "stddev")),
       rows = rows, response = unname(predict(m, type = "response")[rows]),
       zprob = unname(predict(m, type = "zprob")[rows]), disp_pred = unname(predict(m, type = "disp")[rows]))
}

refs <- lapply(models, reference_entry)
write_references(refs, "fam_zi", "glmmTMB")
