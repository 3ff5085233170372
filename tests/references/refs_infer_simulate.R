# refs_infer_simulate.R: responses simulated at given parameters by glmmTMB's own simulator (the
# C++ template's SIMULATE blocks, through the TMB object of glmmTMB(..., doFit = FALSE)), the
# computation glmmTMB's simulate_new() (1.1.8 and later) runs; glmmTMB 1.1.5 has no
# simulate_new() but the same simulator. Its gaussian dispersion is log(sigma^2) (1.1.9 and later:
# log(sigma), the scale simulate_new() takes), so betad below is 2 * betadisp for gaussian.
# Also glmmTMB 1.1.15's stored values from its tests/testthat/test-simulate_new.R. Topic
# "infer_simulate".
suppressPackageStartupMessages(library(glmmTMB))

simulate_tmb <- function(rhs, data, family, beta, theta, betad = NULL, seed, nsim = 2, n_keep = 30) {
  data$..y <- if (family$family == "binomial") 0 else 1
  form <- stats::as.formula(paste("..y", paste(deparse(rhs), collapse = "")))
  st <- glmmTMB(form, data = data, family = family, doFit = FALSE)
  obj <- with(st, TMB::MakeADFun(data.tmb, parameters, map = mapArg, random = randomArg, profile = NULL,
                                  silent = TRUE, DLL = "glmmTMB"))
  p <- obj$env$last.par
  p[names(p) == "beta"] <- beta
  p[names(p) == "theta"] <- theta
  if (!is.null(betad)) p[names(p) == "betad"] <- betad
  set.seed(seed)
  sims <- lapply(seq_len(nsim), function(i) obj$simulate(par = p))
  list(y = lapply(sims, function(s) head(as.numeric(s$yobs), n_keep)), b = head(as.numeric(sims[[1]]$b), n_keep))
}
refs <- list()
sleep <- fixture("sleepstudy")
refs$sleep_gaussian <- simulate_tmb(~ Days + (Days | Subject), sleep, gaussian(), beta = c(280, 3), theta = c(3, 0.5, 2),
                                    betad = 2 * 1, seed = 101)
# glmmTMB 1.1.15, tests/testthat/test-simulate_new.R, "basic simulate_new": head(s1) of
# simulate_new(~ Days + (Days|Subject), seed = 101, newdata = sleepstudy, family = gaussian,
#              newparams = list(beta = c(280, 3), betadisp = 1, theta = c(3, 0.5, 2)))[[1]]
refs$sleep_gaussian_glmmTMB_1.1.15 <- c(273.908009267299, 278.879666041338, 274.760596391018, 283.450108370691,
                                       286.469055736181, 290.145189139373)
sal <- fixture("Salamanders")
refs$salamanders_nb2 <- simulate_tmb(~ mined + (1 | site), sal, nbinom2(), beta = c(2, 1), theta = log(1.5),
                                     betad = log(2), seed = 102)
refs$salamanders_pois_crossed <- simulate_tmb(~ mined + (1 | site) + (1 | spp), sal, poisson(), beta = c(0.5, 1),
                                              theta = c(log(0.5), log(0.8)), seed = 103)
refs$salamanders_nb1 <- simulate_tmb(~ mined + (1 | site), sal, nbinom1(), beta = c(1, 0.5), theta = log(0.7),
                                     betad = log(1.5), seed = 104)
cbpp <- fixture("cbpp")
refs$cbpp_bernoulli <- simulate_tmb(~ period + (1 | herd), cbpp, binomial(), beta = c(-1, -1, -1.2, -1.6), theta = log(0.6),
                                    seed = 105)
refs$sleep_gamma <- simulate_tmb(~ Days + (1 | Subject), sleep, Gamma(link = "log"), beta = c(5.5, 0.04), theta = log(0.15),
                                 betad = log(20), seed = 106)
write_references(refs, "infer_simulate", c("glmmTMB", "TMB"))
