# Generalized linear mixed models against stored glmmTMB references (stored_references("core"), tests/references/refs_core.R):
# log-likelihood to 1e-4, estimates and SEs to 1e-3; and glm() when there is no random effect.

glmm_cases <- list(
  list(ref = "eulaema_nb2_tmb", data = "Eulaema", formula = Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2"),
  list(ref = "eulaema_pois_tmb", data = "Eulaema", formula = Eulaema_nigrita ~ forest. + (1 | SA), family = "poisson"),
  list(ref = "cbpp_binom_tmb", data = "lme4::cbpp", formula = cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial),
  list(ref = "cbpp_prop_tmb", data = "lme4::cbpp", formula = incidence / size ~ period + (1 | herd), family = binomial, weights = "size"),
  list(ref = "cbpp_probit_tmb", data = "lme4::cbpp", formula = cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial(link = "probit")),
  list(ref = "grouse_pois_tmb", data = "lme4::grouseticks", formula = TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), family = poisson),
  list(ref = "grouse_olre_tmb", data = "lme4::grouseticks", formula = TICKS ~ YEAR + (1 | BROOD) + (1 | INDEX), family = poisson),
  list(ref = "salamanders_pois_tmb", data = "glmmTMB::Salamanders", formula = count ~ mined + (1 | site), family = poisson),
  list(ref = "salamanders_nb2_tmb", data = "glmmTMB::Salamanders", formula = count ~ mined + (1 | site), family = "nbinom2"),
  list(ref = "salamanders_nb1_tmb", data = "glmmTMB::Salamanders", formula = count ~ mined + (1 | site), family = "nbinom1"),
  list(ref = "owls_nb2_tmb", data = "glmmTMB::Owls", formula = SiblingNegotiation ~ FoodTreatment + ArrivalTime + offset(log(BroodSize)) + (1 | Nest), family = "nbinom2"),
  list(ref = "owls_nb1_tmb", data = "glmmTMB::Owls", formula = SiblingNegotiation ~ FoodTreatment + ArrivalTime + offset(log(BroodSize)) + (1 | Nest), family = "nbinom1"),
  list(ref = "gamma_log_tmb", data = "gamma_sim", formula = y ~ x + (1 | g), family = Gamma(link = "log")),
  list(ref = "verbagg_tmb", data = "lme4::VerbAgg", formula = r2 ~ Anger + Gender + btype + (1 | id), family = binomial)
)

for (case in glmm_cases) {
  test_that(paste("GLMM matches glmmTMB reference", case$ref), {
    ref <- stored_references("core")[[case$ref]]
    dat <- reference_data(case$data)
    args <- list(formula = case$formula, data = dat, family = case$family)
    if (!is.null(case$weights)) args$weights <- dat[[case$weights]]
    m <- do.call(glmm, args)
    expect_matches_reference(m, ref, tol_ll = 1e-4, rel_tol = 1e-3)
    if (!is.na(ref$sigma)) expect_equal(m$dispersion, ref$sigma, tolerance = 1e-3)
  })
}

test_that("the chapter's negative binomial model prints the chapter's numbers", {
  m <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = eulaema_data())
  expect_equal(round(AIC(m), 1), 1790.8)
  expect_equal(round(BIC(m), 1), 1803.5)
  expect_equal(round(unname(m$beta), c(6, 6)), c(6.820199, -0.002057))
  expect_equal(signif(unname(sqrt(diag(m$vcov))), 3), c(0.543, 0.000353))
  expect_equal(round(m$cov_re$SA[1], 3), 1.382)
  expect_equal(round(m$dispersion, 2), 1.87)
})

test_that("with its variance at zero, the Laplace deviance is glm()'s deviance", {
  # R 4.2.2: glm(cbind(incidence, size - incidence) ~ period, family = binomial, data = cbpp)
  ref <- stored_references("core")$cbpp_glm
  dat <- reference_data("lme4::cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = dat)
  A <- glmmlab:::condition_design(m$X)$A
  at_glm <- c(0, solve(A, ref$beta[colnames(m$X)]))
  expect_lt(abs(-glmmlab:::core_objective(m$core, at_glm) / 2 - ref$logLik), 1e-8)
  fit_glm <- glm(cbind(incidence, size - incidence) ~ period, family = binomial, data = dat)
  expect_lt(abs(as.numeric(logLik(fit_glm)) - ref$logLik), 1e-8)
})

test_that("C++ families agree with R's densities and their derivatives over extreme eta", {
  tab <- glmmlab:::cpp_family_table()
  eta <- c(-30, -5, -1, 0, 0.5, 3, 20)
  check <- function(fam, link, y, w, phi, logdens) {
    out <- glmmlab:::cpp_family_eval(match(fam, tab$family) - 1L, match(link, tab$link) - 1L, rep(y, length(eta)), eta, rep(w, length(eta)), phi)
    expect_true(all(is.finite(out)), label = paste(fam, link, "finite"))
    mu <- out[, 4]
    ok <- is.finite(logdens(mu)) & mu > 1e-300 & mu < 1e300
    expect_equal(out[ok, 1], logdens(mu)[ok], tolerance = 1e-8, label = paste(fam, link, "value"))
    h <- 1e-5   # derivatives by central differences of the value
    mid <- abs(eta) <= 5
    vp <- glmmlab:::cpp_family_eval(match(fam, tab$family) - 1L, match(link, tab$link) - 1L, rep(y, length(eta)), eta + h, rep(w, length(eta)), phi)[, 1]
    vm <- glmmlab:::cpp_family_eval(match(fam, tab$family) - 1L, match(link, tab$link) - 1L, rep(y, length(eta)), eta - h, rep(w, length(eta)), phi)[, 1]
    expect_equal(out[mid, 2], ((vp - vm) / (2 * h))[mid], tolerance = 1e-5, label = paste(fam, link, "gradient"))
    expect_equal(out[mid, 3], (-(vp - 2 * out[, 1] + vm) / h^2)[mid], tolerance = 1e-3, label = paste(fam, link, "information"))
  }
  check("binomial", "logit", 0.3, 10, 1, function(mu) dbinom(3, 10, mu, log = TRUE))
  check("binomial", "probit", 0.3, 10, 1, function(mu) dbinom(3, 10, mu, log = TRUE))
  check("binomial", "cloglog", 0.3, 10, 1, function(mu) dbinom(3, 10, mu, log = TRUE))
  check("poisson", "log", 4, 1, 1, function(mu) dpois(4, mu, log = TRUE))
  check("nbinom2", "log", 4, 1, 1.7, function(mu) dnbinom(4, size = 1.7, mu = mu, log = TRUE))
  check("nbinom1", "log", 4, 1, 0.8, function(mu) dnbinom(4, size = mu / 0.8, mu = mu, log = TRUE))
  check("Gamma", "log", 2.5, 1, 0.7, function(mu) dgamma(2.5, shape = 1 / 0.49, rate = 1 / (0.49 * mu), log = TRUE))
  check("gaussian", "log", 2.5, 1, 0.7, function(mu) dnorm(2.5, mu, 0.7, log = TRUE))
  # the R-side family table and the C++ one are the same table
  expect_identical(glmmlab:::family_codes(poisson())$family, match("poisson", tab$family) - 1L)
})

test_that("a zero count with a tiny exposure (offset -300) fits as glmmTMB fits it", {
  # Before: obs_derivs() formed 2 y / mu^3 = 0/0 = NaN for y = 0 once mu^3 underflowed (eta below about -248),
  # so the analytic gradient and the Hessian were NaN: logLik -174.39, NA standard errors and a
  # false separation warning. Poisson and offsets down to about -100 were unaffected.
  d <- withr::with_seed(1, {
    d <- data.frame(g = factor(rep(letters[1:6], each = 10)), x = rnorm(60))
    d$cnt <- rpois(60, exp(1 + 0.3 * d$x + rnorm(6)[d$g]))
    d
  })
  d$cnt[1] <- 0
  d$o <- 0
  d$o[1] <- -300
  expect_no_warning(m <- suppressMessages(glmm(cnt ~ x + offset(o) + (1 | g), d, family = "nbinom2")))
  # glmmTMB 1.1.5: glmmTMB(cnt ~ x + offset(o) + (1 | g), d, family = nbinom2()) -> logLik
  # -128.781539191818, sigma 138617352.6474 (the size runs off to infinity: Poisson data). The
  # Poisson limit is -128.781555889 (glmm(..., family = poisson) and glmmTMB agree on it); glmmTMB's
  # lgamma(y + theta) - lgamma(theta) loses ~1e-5 at theta = 1.4e8, we use lbeta() there.
  expect_lt(abs(m$loglik - (-128.781539191818)), 1e-4)
  expect_lt(abs(m$loglik - glmm(cnt ~ x + offset(o) + (1 | g), d, family = poisson)$loglik), 1e-6)
  expect_true(all(is.finite(sqrt(diag(m$vcov)))))
  expect_equal(unname(sqrt(diag(m$vcov))), c(0.3978167581, 0.0610705878), tolerance = 1e-3)   # glmmTMB's SEs
  # the separation check ignores a mean made tiny by the offset alone, even with diverging SEs
  blown <- m
  blown$vcov <- m$vcov * 1e6
  expect_null(glmmlab:::separation_problem(blown))
  blown$offset[] <- 0   # the same tiny fitted mean without an offset to explain it is flagged
  expect_match(glmmlab:::separation_problem(blown), "separation")
  # truly overdispersed counts: the tiny-exposure zero adds ~0 to the log-likelihood
  d2 <- withr::with_seed(2, {
    d2 <- data.frame(g = factor(rep(letters[1:8], each = 12)), x = rnorm(96))
    d2$cnt <- rnbinom(96, mu = exp(1 + 0.4 * d2$x + rnorm(8, sd = 0.7)[d2$g]), size = 1.5)
    d2
  })
  d2$cnt[1] <- 0
  d2$o <- 0
  d2$o[1] <- -300
  # glmmTMB 1.1.5: glmmTMB(cnt ~ x + offset(o) + (1 | g), d2, family = nbinom2()) (and nbinom1()),
  # the same as without row 1
  refs <- list(nbinom2 = list(logLik = -224.015989879584, sigma = 1.20699040106367),
               nbinom1 = list(logLik = -227.775370952655, sigma = 3.84031589758547))
  for (fam in names(refs)) {
    expect_no_warning(m2 <- suppressMessages(glmm(cnt ~ x + offset(o) + (1 | g), d2, family = fam)))
    expect_lt(abs(m2$loglik - refs[[fam]]$logLik), 1e-4)
    expect_equal(m2$dispersion, refs[[fam]]$sigma, tolerance = 1e-3)
    expect_lt(abs(m2$loglik - glmm(cnt ~ x + (1 | g), d2[-1, ], family = fam)$loglik), 1e-6)
  }
  skip_if_not_installed("glmmTMB")
  mt <- glmmTMB::glmmTMB(cnt ~ x + offset(o) + (1 | g), d, family = glmmTMB::nbinom2())
  expect_lt(abs(m$loglik - as.numeric(logLik(mt))), 1e-4)
  expect_equal(unname(m$beta), unname(glmmTMB::fixef(mt)$cond), tolerance = 1e-4)
  mt2 <- glmmTMB::glmmTMB(cnt ~ x + offset(o) + (1 | g), d2, family = glmmTMB::nbinom1())
  expect_lt(abs(glmm(cnt ~ x + offset(o) + (1 | g), d2, family = "nbinom1")$loglik - as.numeric(logLik(mt2))), 1e-4)
})

test_that("unsupported families and bad responses give clear errors", {
  dat <- data.frame(y = c(0, 1, 2, 3, 1, 0, 2, 5), g = rep(letters[1:4], 2))
  expect_error(glmm(y ~ 1 + (1 | g), data = dat, family = "tweedie"), "unknown family")
  expect_error(glmm(y ~ 1 + (1 | g), data = dat, family = quasipoisson()), "not supported")
  dat$neg <- dat$y - 3
  expect_error(glmm(neg ~ 1 + (1 | g), data = dat, family = poisson), "negative")
  expect_error(glmm(y ~ 1 + (1 | g), data = dat, family = binomial), "binomial response")
  expect_true(glmm(y ~ 1 + (1 | g), data = dat, family = poisson, REML = TRUE)$REML)   # glmmTMB's REML (test-reml_glmm.R)
})

test_that("adaptive Gauss-Hermite quadrature agrees with lme4's glmer(nAGQ = 9)", {
  # lme4 1.1-31: f <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial,
  #   data = cbpp, nAGQ = 9); logLik(f) = -50.0050180334, fixef(f) as below, getME(f, "theta") = 0.647517861083.
  # For nAGQ > 1 lme4 reports the log-likelihood less the saturated model's (sum of binomial
  # log-likelihoods at mu = y), -41.97835377 here; we report the full log-likelihood, as for nAGQ = 1.
  dat <- reference_data("lme4::cbpp")
  m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = dat, nAGQ = 9)
  k <- dat$incidence
  n <- dat$size
  saturated <- sum(lchoose(n, k) + ifelse(k > 0, k * log(k / n), 0) + ifelse(n > k, (n - k) * log((n - k) / n), 0))
  expect_lt(abs(m$loglik - saturated - (-50.0050180334)), 1e-4)
  expect_equal(unname(m$beta), c(-1.39921944386, -0.991408657433, -1.12781283714, -1.57948777358), tolerance = 1e-4)
  expect_equal(m$theta, 0.647517861083, tolerance = 1e-4)
  # more points change the answer less and less; one point is the Laplace approximation
  m1 <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = dat, nAGQ = 1)
  expect_lt(abs(m1$loglik - stored_references("core")$cbpp_binom_tmb$logLik), 1e-4)
  expect_error(glmm(TICKS ~ YEAR + (1 | BROOD) + (1 | INDEX), family = poisson, data = reference_data("lme4::grouseticks"), nAGQ = 5),
               "single scalar random-effect term")
  expect_error(glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = dat, nAGQ = 101), "nAGQ")   # nAGQ = 0: test-api2_lme4.R
})
