# refs_fam.R: reference fits of glmmTMB's further families (issue 16) for tests/testthat/test-fit_families.R.
# Run from the project root: Rscript tests/references/make_references.R fam
#
# Data: cbpp (betabinomial), Salamanders (genpois; truncated_poisson, truncated_nbinom1 and
# truncated_nbinom2 on the positive counts), and simulated beta, tweedie, Student t, lognormal and
# Gamma data (simulated below with set.seed; the simulated data are stored with the numbers, so
# the tests fit exactly these rows). Each entry holds glmmTMB 1.1.5's logLik, fixed effects,
# sigma(), family_params(), and at every 10th row its response-scale prediction and Pearson
# residual. glmmTMB 1.1.5 has no lognormal family (it came in 1.1.6): that entry comes from an
# independent Laplace approximation written below (R's dlnorm(); each group's mode by
# optimize(), its curvature by a second difference; maximized by nlminb() then BFGS), checked on
# the Gamma data against glmmTMB (entry `laplace_check`). For the truncated families the stored
# Pearson residuals use the variance of the truncated distribution at the untruncated mean
# (glmmTMB's variance functions at exp(eta)); glmmTMB 1.1.5's own residuals() evaluates those
# functions at the truncated mean.
library(glmmTMB)

# ---- simulated data ----
simulate_family_data <- function() {
  ng <- 15
  per <- 20
  n <- ng * per
  g <- factor(rep(seq_len(ng), each = per))
  out <- list()
  set.seed(1601)
  x <- round(rnorm(n), 3)
  mu <- plogis(-0.3 + 0.8 * x + rnorm(ng, sd = 0.5)[g])
  out$beta <- data.frame(y = rbeta(n, mu * 8, (1 - mu) * 8), x = x, g = g)
  set.seed(1602)   # compound Poisson-gamma, power 1.6, phi 1.5
  x <- round(rnorm(n), 3)
  mu <- exp(0.5 + 0.4 * x + rnorm(ng, sd = 0.4)[g])
  p <- 1.6
  phi <- 1.5
  count <- rpois(n, mu^(2 - p) / (phi * (2 - p)))
  y <- vapply(seq_len(n), function(i) {
    if (count[i] == 0) 0 else sum(rgamma(count[i], shape = (2 - p) / (p - 1), scale = phi * (p - 1) * mu[i]^(p - 1)))
  }, numeric(1))
  out$tweedie <- data.frame(y = y, x = x, g = g)
  set.seed(1603)   # t with 4 df, scale 0.8
  x <- round(rnorm(n), 3)
  out$t <- data.frame(y = 2 + 0.5 * x + rnorm(ng, sd = 0.7)[g] + 0.8 * rt(n, df = 4), x = x, g = g)
  set.seed(1604)   # lognormal with mean mu and SD 1.2 on the data scale
  x <- round(rnorm(n), 3)
  mu <- exp(1 + 0.3 * x + rnorm(ng, sd = 0.3)[g])
  s2 <- log1p(1.2^2 / mu^2)
  out$lognormal <- data.frame(y = rlnorm(n, log(mu) - s2 / 2, sqrt(s2)), x = x, g = g)
  set.seed(1605)   # Gamma with coefficient of variation 0.6 (fitted with ziGamma(link = "log"))
  x <- round(rnorm(n), 3)
  mu <- exp(0.7 + 0.5 * x + rnorm(ng, sd = 0.4)[g])
  out$gamma <- data.frame(y = rgamma(n, shape = 1 / 0.6^2, scale = mu * 0.6^2), x = x, g = g)
  out
}

# ---- an independent Laplace approximation (one random intercept) ----
# log L = sum_j [h_j(b^) + log(2 pi)/2 - log(-h_j''(b^))/2], h_j(b) = sum_i log f(y_i | eta_i + b) + log N(b; 0, s^2);
# par = (beta, log s, log sigma).
laplace_intercept_fit <- function(y, X, g, log_density, start) {
  groups <- split(seq_along(y), as.integer(g))
  p <- ncol(X)
  negative_loglik <- function(par) {
    beta <- par[seq_len(p)]
    sd_b <- exp(par[p + 1L])
    disp <- par[p + 2L]
    eta0 <- drop(X %*% beta)
    total <- 0
    for (rows in groups) {
      h <- function(b) sum(log_density(y[rows], eta0[rows] + b, disp)) + dnorm(b, 0, sd_b, log = TRUE)
      mode <- optimize(function(b) -h(b), c(-12 * sd_b - 1, 12 * sd_b + 1), tol = 1e-12)$minimum
      e <- 1e-4 * max(1, abs(mode))
      curvature <- (h(mode + e) - 2 * h(mode) + h(mode - e)) / e^2
      total <- total + h(mode) + 0.5 * log(2 * pi) - 0.5 * log(-curvature)
    }
    -total
  }
  fit <- nlminb(start, negative_loglik, control = list(rel.tol = 1e-14, x.tol = 1e-12, eval.max = 5000, iter.max = 2000))
  polish <- optim(fit$par, negative_loglik, method = "BFGS", control = list(reltol = 1e-15, maxit = 1000))
  if (polish$value < fit$objective) fit <- list(par = polish$par, objective = polish$value)
  list(par = fit$par, loglik = -fit$objective)
}

# ---- the fits ----
sims <- simulate_family_data()
cbpp <- fixture("cbpp")
salamanders <- fixture("Salamanders")
positive <- subset(salamanders, count > 0)
models <- list(
  betabinomial = list(cbind(incidence, size - incidence) ~ period + (1 | herd), "cbpp", betabinomial()),
  genpois = list(count ~ spp + mined + (1 | site), "Salamanders", genpois()),
  truncated_poisson = list(count ~ spp + mined + (1 | site), "Salamanders_positive", truncated_poisson()),
  truncated_nbinom1 = list(count ~ spp + mined + (1 | site), "Salamanders_positive", truncated_nbinom1()),
  truncated_nbinom2 = list(count ~ spp + mined + (1 | site), "Salamanders_positive", truncated_nbinom2()),
  beta = list(y ~ x + (1 | g), "beta", beta_family()),
  tweedie = list(y ~ x + (1 | g), "tweedie", tweedie()),
  t = list(y ~ x + (1 | g), "t", t_family()),
  ziGamma = list(y ~ x + (1 | g), "gamma", ziGamma(link = "log")))
data_of <- function(name) switch(name, cbpp = cbpp, Salamanders = salamanders, Salamanders_positive = positive, sims[[name]])

# Pearson residuals with glmmTMB's variance function; the truncated families' at the untruncated mean.
pearson <- function(m, family) {
  if (!startsWith(family$family, "truncated_")) return(unname(residuals(m, type = "pearson")))
  y <- model.response(model.frame(m))
  mu <- exp(predict(m, type = "link"))
  v <- switch(family$family, truncated_poisson = family$variance(mu), truncated_nbinom2 = family$variance(mu, sigma(m)),
              truncated_nbinom1 = glmmlab_truncated_nbinom1_variance(mu, sigma(m)))
  unname((y - predict(m, type = "response")) / sqrt(v))
}
# glmmTMB 1.1.5's truncated_nbinom1()$variance stops ("not yet implemented"): the variance of the
# truncated NB1 (size mu/phi, P(0) = (1 + phi)^(-mu/phi)), written out here.
glmmlab_truncated_nbinom1_variance <- function(mu, phi) {
  p0 <- (1 + phi)^(-mu / phi)
  (mu * (1 + phi) + mu^2) / (1 - p0) - (mu / (1 - p0))^2
}

refs <- list()
for (name in names(models)) {
  spec <- models[[name]]
  d <- data_of(spec[[2]])
  m <- glmmTMB(spec[[1]], data = d, family = spec[[3]])
  rows <- seq(1, nobs(m), by = 10)
  refs[[name]] <- list(formula = paste(deparse(spec[[1]]), collapse = " "), data = spec[[2]],
                       family = spec[[3]]$family, link = spec[[3]]$link,
                       logLik = as.numeric(logLik(m)), df = attr(logLik(m), "df"), beta = fixef(m)$cond,
                       sigma = sigma(m), family_params = family_params(m), rows = rows,
                       response = unname(predict(m, type = "response"))[rows], pearson = pearson(m, spec[[3]])[rows],
                       sd_re = unname(sqrt(VarCorr(m)$cond[[1]][1, 1])))
}

# lognormal: the independent Laplace approximation, with glmmTMB's parametrization (mean and SD of y)
log_density_lognormal <- function(y, eta, log_sigma) {
  s2 <- log1p(exp(2 * log_sigma - 2 * eta))
  dlnorm(y, eta - s2 / 2, sqrt(s2), log = TRUE)
}
d <- sims$lognormal
X <- model.matrix(~ x, d)
fit <- laplace_intercept_fit(d$y, X, d$g, log_density_lognormal, c(1, 0, log(0.3), log(1)))
eta <- drop(X %*% fit$par[1:2])
refs$lognormal <- list(formula = "y ~ x + (1 | g)", data = "lognormal", family = "lognormal", link = "log",
                       logLik = fit$loglik, df = 4L, beta = c("(Intercept)" = fit$par[1], x = fit$par[2]),
                       sigma = exp(fit$par[4]), family_params = numeric(0), sd_re = exp(fit$par[3]))

# the same Laplace code on the Gamma data, against glmmTMB (validates the lognormal entry's method)
d <- sims$gamma
X <- model.matrix(~ x, d)
log_density_gamma <- function(y, eta, log_sigma) dgamma(y, shape = exp(-2 * log_sigma), scale = exp(eta + 2 * log_sigma), log = TRUE)
fit <- laplace_intercept_fit(d$y, X, d$g, log_density_gamma, c(0, 0, log(0.5), log(0.5)))
refs$laplace_check <- list(loglik_independent = fit$loglik, loglik_glmmTMB = refs$ziGamma$logLik,
                           beta_independent = fit$par[1:2], beta_glmmTMB = unname(refs$ziGamma$beta))
stopifnot(abs(fit$loglik - refs$ziGamma$logLik) < 1e-6)

# the simulated data (x has 3 decimals; y all its digits; g is rep(1:15, each = 20))
refs$sim_data <- lapply(sims, function(d) list(y = d$y, x = d$x))

write_references(refs, "fam", c("glmmTMB", "TMB"))
