# test-infer_simulate_new.R: simulate_new() (R/simulate_new.R) against glmmTMB's simulator
# (tests/references/refs_infer_simulate.R, topic "infer_simulate"): same seed, same draws.

refs <- stored_references("infer_simulate")

expect_same_draws <- function(sims, ref) {
  expect_length(sims, length(ref$y))
  for (i in seq_along(ref$y)) expect_equal(head(sims[[i]], length(ref$y[[i]])), ref$y[[i]], tolerance = 1e-10)
}

test_that("gaussian, correlated slopes: glmmTMB's draws for the same seed", {
  sleep <- fixture_data("sleepstudy")
  pp <- list(beta = c(280, 3), betadisp = 1, theta = c(3, 0.5, 2))
  sims <- simulate_new(~ Days + (Days | Subject), nsim = 2, seed = 101, newdata = sleep, family = gaussian, newparams = pp)
  expect_same_draws(sims, refs$sleep_gaussian)
  expect_equal(head(sims[[1]]), refs$sleep_gaussian_glmmTMB_1.1.15, tolerance = 1e-12)
  # the older name of betadisp
  pp_old <- list(beta = c(280, 3), betad = 1, theta = c(3, 0.5, 2))
  expect_identical(simulate_new(~ Days + (Days | Subject), seed = 101, newdata = sleep, newparams = pp_old), sims[1])
  pars <- simulate_new(~ Days + (Days | Subject), seed = 101, newdata = sleep, newparams = pp, return_val = "pars")
  expect_identical(unique(names(pars)), c("b", "beta", "betadisp", "theta"))
  expect_equal(unname(head(pars[names(pars) == "b"], 30)), refs$sleep_gaussian$b, tolerance = 1e-10)
})

test_that("count, binomial and Gamma families: glmmTMB's draws", {
  sal <- fixture_data("Salamanders")
  expect_same_draws(simulate_new(~ mined + (1 | site), nsim = 2, seed = 102, newdata = sal, family = nbinom2,
                                 newparams = list(beta = c(2, 1), theta = log(1.5), betadisp = log(2))), refs$salamanders_nb2)
  expect_same_draws(simulate_new(~ mined + (1 | site) + (1 | spp), nsim = 2, seed = 103, newdata = sal, family = poisson,
                                 newparams = list(beta = c(0.5, 1), theta = c(log(0.5), log(0.8)))), refs$salamanders_pois_crossed)
  expect_same_draws(simulate_new(~ mined + (1 | site), nsim = 2, seed = 104, newdata = sal, family = "nbinom1",
                                 newparams = list(beta = c(1, 0.5), theta = log(0.7), betadisp = log(1.5))), refs$salamanders_nb1)
  cbpp <- fixture_data("cbpp")
  expect_same_draws(simulate_new(~ period + (1 | herd), nsim = 2, seed = 105, newdata = cbpp, family = binomial,
                                 newparams = list(beta = c(-1, -1, -1.2, -1.6), theta = log(0.6))), refs$cbpp_bernoulli)
  sleep <- fixture_data("sleepstudy")
  expect_same_draws(simulate_new(~ Days + (1 | Subject), nsim = 2, seed = 106, newdata = sleep, family = Gamma(link = "log"),
                                 newparams = list(beta = c(5.5, 0.04), theta = log(0.15), betadisp = log(20))), refs$sleep_gamma)
})

test_that("fixed random effects, trials, the returned object, and a power-analysis round trip", {
  sleep <- fixture_data("sleepstudy")
  pp <- list(beta = c(280, 3), betadisp = 1, theta = c(3, 0.5, 2))
  b <- rep(c(-1, 0, 1), length.out = 36)
  fixed <- simulate_new(~ Days + (Days | Subject), seed = 101, newdata = sleep, newparams = c(pp, list(b = b)), return_val = "pars")
  expect_identical(unname(fixed[names(fixed) == "b"]), b)
  by_term <- simulate_new(~ Days + (Days | Subject), seed = 101, newdata = sleep,
                          newparams = c(pp, list(b = list("Days|Subject" = b))), return_val = "pars")
  expect_identical(by_term, fixed)
  obj <- simulate_new(~ Days + (Days | Subject), seed = 101, newdata = sleep, newparams = pp, return_val = "object")
  expect_s3_class(obj, "glmmlab")
  expect_equal(fixef(obj)$cond, c("(Intercept)" = 280, Days = 3))
  expect_equal(c(VarCorr(obj)$cond$Subject), c(exp(6), exp(3.5) * 2 / sqrt(5), exp(3.5) * 2 / sqrt(5), exp(1)), tolerance = 1e-12)
  expect_equal(sigma(obj), exp(1))
  expect_equal(unname(head(obj$y, 6)), refs$sleep_gaussian_glmmTMB_1.1.15, tolerance = 1e-12)   # the same draw
  expect_equal(unname(predict(obj)), unname(obj$eta), tolerance = 1e-12)
  # binomial trials from `weights`
  d <- data.frame(g = factor(rep(1:30, each = 4)), x = rep(0:3, 30), n = 20)
  y <- simulate_new(~ x + (1 | g), seed = 3, newdata = d, family = binomial, weights = d$n,
                    newparams = list(beta = c(-0.5, 0.4), theta = log(0.5)))[[1]]
  expect_true(all(y >= 0 & y <= 20 & y == round(y)))
  # round trip: a fit to simulated data recovers the parameters
  d <- expand.grid(x = seq(0, 1, length.out = 20), g = factor(1:60))
  d$y <- simulate_new(~ x + (1 | g), seed = 4, newdata = d, family = poisson,
                      newparams = list(beta = c(1, 0.8), theta = log(0.5)))[[1]]
  m <- glmm(y ~ x + (1 | g), data = d, family = poisson)
  expect_equal(unname(fixef(m)$cond), c(1, 0.8), tolerance = 0.15)
  expect_equal(sqrt(m$cov_re$g[1, 1]), 0.5, tolerance = 0.25)
})

test_that("bad arguments get clear errors", {
  sleep <- fixture_data("sleepstudy")
  expect_error(simulate_new(Reaction ~ Days, newdata = sleep), "one-sided formula")
  expect_error(simulate_new(~ Days + (1 | Subject), newdata = sleep, newparams = list(beta = 1)), "`newparams\\$beta` has 1 value, the model has 2")
  expect_error(simulate_new(~ Days + (1 | Subject), newdata = sleep, newparams = list(theta = c(1, 2))), "`newparams\\$theta` has 2 values")
  expect_error(simulate_new(~ Days + (1 | Subject), newdata = sleep, newparams = list(sigma = 1)), "unknown element of `newparams`: 'sigma'")
  expect_error(simulate_new(~ Days + (1 | Subject), newdata = sleep, family = poisson, newparams = list(betadisp = 1)),
               "the poisson family has no dispersion")
  expect_error(simulate_new(~ Days + (1 | Subject), newdata = sleep, newparams = list(b = 1:3)), "`newparams\\$b` must have 18 numbers")
  expect_error(simulate_new(~ Days + (1 | Subject), newdata = sleep, nsim = 0), "`nsim` must be")
  expect_error(simulate_new(~ Days + (1 | Subject), newdata = "sleep"), "`newdata` must be a data frame")
  expect_error(simulate_new(~ Days + (1 | Subject), newdata = sleep, family = poisson, weights = rep(2, 180)), "does not take them")
  expect_error(simulate_new(~ Days + (1 | Subject), newdata = sleep, size = 3), "unknown: 'size'")
})

test_that("the same draws as a live glmmTMB simulator", {
  skip_if_not_installed("glmmTMB")
  sal <- fixture_data("Salamanders")
  sal$..y <- 1
  st <- glmmTMB::glmmTMB(..y ~ mined + (1 | site), data = sal, family = glmmTMB::nbinom2(), doFit = FALSE)
  obj <- with(st, TMB::MakeADFun(data.tmb, parameters, map = mapArg, random = randomArg, profile = NULL,
                                  silent = TRUE, DLL = "glmmTMB"))
  p <- obj$env$last.par
  p[names(p) == "beta"] <- c(1.5, 0.8)
  p[names(p) == "theta"] <- log(0.9)
  p[names(p) == "betad"] <- log(3)
  set.seed(7)
  ref <- obj$simulate(par = p)$yobs
  ours <- simulate_new(~ mined + (1 | site), seed = 7, newdata = sal, family = nbinom2,
                       newparams = list(beta = c(1.5, 0.8), theta = log(0.9), betadisp = log(3)))[[1]]
  expect_equal(ours, as.numeric(ref))
})
