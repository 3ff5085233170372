# quantile_residuals.R: randomized quantile residuals (Dunn & Smyth 1996), residuals(m, type =
# "dunn-smyth"): qnorm(F(y)) for a continuous response, qnorm(U) with U uniform between
# F(y - 1) and F(y) for a discrete one, F the fitted conditional distribution of the observation
# (random effects at their conditional modes). If the model is right they are independent
# standard normal draws. The uniforms are drawn as glmmTMB draws them (one runif() call over the
# observations, in order), so set.seed() makes them reproducible and equal to glmmTMB's.

# Randomized quantile residuals of the fit's observations.
quantile_residuals <- function(object) {
  fam <- object$family$family
  y <- as.numeric(object$y)
  mu <- as.numeric(object$fitted)
  w <- object$prior_weights
  if (fam == "gaussian") return(stats::qnorm(stats::pnorm(y, mu, object$sigma / sqrt(w))))
  if (fam == "Gamma") {
    shape <- 1 / sigma.glmmlab(object)^2
    return(stats::qnorm(stats::pgamma(y, shape = shape, rate = shape / mu)))
  }
  if (!fam %in% c("poisson", "binomial", "nbinom1", "nbinom2")) {
    stop(sprintf("randomized quantile residuals are not available for family %s (they are for gaussian, Gamma, poisson, binomial, nbinom1 and nbinom2)",
                 sQuote(fam, FALSE)), call. = FALSE)
  }
  if (fam != "binomial" && any(w != 1)) {
    stop(sprintf("randomized quantile residuals need each observation's distribution; with prior weights the %s family has none", fam), call. = FALSE)
  }
  cdf <- switch(fam,
    poisson = function(k) stats::ppois(k, mu),
    binomial = {
      trials <- w   # the number of trials (weights times trials of a cbind() response)
      if (any(abs(trials - round(trials)) > 1e-8)) {
        stop("randomized quantile residuals of a binomial model need whole numbers of trials (the weights)", call. = FALSE)
      }
      y <- round(y * trials)
      function(k) stats::pbinom(k, round(trials), mu)
    },
    nbinom2 = function(k) stats::pnbinom(k, size = object$dispersion, mu = mu),
    nbinom1 = function(k) stats::pnbinom(k, size = mu / object$dispersion, mu = mu))
  lower <- cdf(y - 1)
  upper <- cdf(y)
  out <- rep(NA_real_, length(y))
  ok <- !is.na(lower) & !is.na(upper)
  out[ok] <- stats::qnorm(stats::runif(sum(ok), min = lower[ok], max = upper[ok]))
  out[is.infinite(out) | is.nan(out)] <- 0   # as glmmTMB: an observation at probability 0 or 1
  out
}
