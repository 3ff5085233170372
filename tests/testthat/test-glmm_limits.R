# GLMMs at their limits. With every variance parameter at zero the random effects drop out and
# the Laplace objective is exactly a GLM's log-likelihood (issue #3: "agree with glm() when there
# is no random effect"); a negative binomial model whose dispersion goes to its Poisson limit is
# the Poisson fit, with one message.
# Checked for each family and link at glm()'s estimates: against stored glm() log-likelihoods
# (R 4.2.2, MASS 7.3-58, the calls in the comments), against live glm() fits, and for the families
# whose glm() log-likelihood plugs in a moment estimate of the dispersion (Gamma, gaussian with
# a log link) against R's own densities at a fixed dispersion.

# -log L / 1 of a fitted glmm's core at variances 0, fixed effects `beta` (user's scale) and
# log dispersion `log_phi`.
loglik_at_zero_variance <- function(m, beta, log_phi = NULL) {
  A <- glmmlab:::condition_design(m$X)$A
  -glmmlab:::core_objective(m$core, c(rep(0, length(m$theta)), solve(A, beta[colnames(m$X)]), log_phi)) / 2
}

salamanders <- function() {
  d <- reference_data("glmmTMB::Salamanders")
  d$pos <- d$count + 0.5
  d$any <- d$count > 0
  d
}

test_that("poisson and binomial (probit, cloglog): glm()'s log-likelihood at zero variance", {
  d <- salamanders()
  # logLik(glm(count ~ mined + spp, Salamanders, family = poisson))  -1016.80233330845
  m <- suppressMessages(glmm(count ~ mined + spp + (1 | site), d, family = poisson))
  g <- glm(count ~ mined + spp, d, family = poisson)
  expect_lt(abs(loglik_at_zero_variance(m, coef(g)) - (-1016.80233330845)), 1e-8)
  expect_lt(abs(loglik_at_zero_variance(m, coef(g)) - as.numeric(logLik(g))), 1e-8)
  # logLik(glm(I(count > 0) ~ mined + cover, Salamanders, family = binomial(link = "probit")))  -358.115766292058
  # the same with link = "cloglog"  -357.839493526627
  refs <- c(probit = -358.115766292058, cloglog = -357.839493526627)
  for (link in names(refs)) {
    m <- suppressMessages(glmm(any ~ mined + cover + (1 | site), d, family = binomial(link = link)))
    g <- glm(any ~ mined + cover, d, family = binomial(link = link))
    expect_lt(abs(loglik_at_zero_variance(m, coef(g)) - refs[[link]]), 1e-6, label = link)
    expect_lt(abs(loglik_at_zero_variance(m, coef(g)) - as.numeric(logLik(g))), 1e-8, label = link)
  }
})

test_that("nbinom2 at zero variance is MASS::glm.nb()'s log-likelihood", {
  skip_if_not_installed("MASS")
  d <- salamanders()
  # g <- MASS::glm.nb(count ~ mined, Salamanders): logLik -878.167721654384, theta 0.565748797022783
  m <- suppressMessages(glmm(count ~ mined + (1 | site), d, family = "nbinom2"))
  g <- MASS::glm.nb(count ~ mined, d)
  expect_lt(abs(loglik_at_zero_variance(m, coef(g), log(0.565748797022783)) - (-878.167721654384)), 1e-6)
  expect_lt(abs(loglik_at_zero_variance(m, coef(g), log(g$theta)) - as.numeric(logLik(g))), 1e-8)
})

test_that("Gamma (log, inverse) and gaussian (log) at zero variance are R's densities", {
  d <- salamanders()
  phi <- 0.8   # Gamma: the coefficient of variation (shape 1 / phi^2), as glmmTMB's sigma(); gaussian: the SD
  # coef(glm(pos ~ mined, Salamanders, family = Gamma(link = "log")))       -0.22884157242885  1.24583915650494
  # coef(glm(pos ~ mined, Salamanders, family = Gamma(link = "inverse")))    1.25714285714286  -0.89546363216977
  # coef(glm(pos ~ mined, Salamanders, family = gaussian(link = "log")))    -0.228841572378616 1.245839151561658
  cases <- list(list(family = Gamma(link = "log"), beta = c(-0.22884157242885, 1.24583915650494)),
                list(family = Gamma(link = "inverse"), beta = c(1.25714285714286, -0.89546363216977)),
                list(family = gaussian(link = "log"), beta = c(-0.228841572378616, 1.245839151561658)))
  for (case in cases) {
    label <- paste(case$family$family, case$family$link)
    m <- suppressMessages(glmm(pos ~ mined + (1 | site), d, family = case$family))
    beta <- stats::setNames(case$beta, colnames(m$X))
    mu <- case$family$linkinv(drop(m$X %*% beta))
    ref <- if (case$family$family == "Gamma") sum(dgamma(d$pos, shape = 1 / phi^2, scale = mu * phi^2, log = TRUE))
           else sum(dnorm(d$pos, mu, phi, log = TRUE))
    expect_lt(abs(loglik_at_zero_variance(m, beta, log(phi)) - ref), 1e-8, label = label)
    g <- glm(pos ~ mined, d, family = case$family)
    expect_equal(unname(coef(g)), case$beta, tolerance = 1e-8, label = label)
  }
})

test_that("a negative binomial fit at its Poisson limit is the Poisson fit, with one message", {
  d <- withr::with_seed(1, {
    d <- data.frame(g = factor(rep(letters[1:6], each = 10)), x = rnorm(60))
    d$cnt <- rpois(60, exp(1 + 0.3 * d$x + rnorm(6)[d$g]))
    d
  })
  # glmmTMB 1.1.5: glmmTMB(cnt ~ x + (1 | g), d, family = poisson): logLik -132.869693687
  #   fixef 1.41883378 0.33927950; SEs 0.39387665 0.05929857
  # (with family = nbinom2 glmmTMB warns "false convergence (8)" and ends at theta 9.06e7 with the
  # same estimates and SEs 0.3939 0.0593)
  mp <- glmm(cnt ~ x + (1 | g), d, family = poisson)
  expect_lt(abs(mp$loglik - (-132.869693687)), 1e-6)
  expect_equal(unname(sqrt(diag(mp$vcov))), c(0.39387665, 0.05929857), tolerance = 1e-5)
  expect_message(m <- glmm(cnt ~ x + (1 | g), d, family = "nbinom2"), "Poisson limit \\(theta = ")
  expect_lt(abs(m$loglik - mp$loglik), 1e-5)
  expect_equal(unname(m$beta), unname(mp$beta), tolerance = 1e-4)
  expect_equal(unname(sqrt(diag(m$vcov))), unname(sqrt(diag(mp$vcov))), tolerance = 1e-3)
  expect_true(m$optinfo$status > 0)
  # nbinom1 with phi -> 0
  expect_message(m1 <- glmm(cnt ~ x + (1 | g), d, family = "nbinom1"), "Poisson limit \\(phi = ")
  expect_lt(abs(m1$loglik - mp$loglik), 1e-5)
  expect_equal(unname(sqrt(diag(m1$vcov))), unname(sqrt(diag(mp$vcov))), tolerance = 1e-3)
})
