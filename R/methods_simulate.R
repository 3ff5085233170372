# methods_simulate.R: new responses from a fitted model, conditional on the estimated random
# effects or with new ones drawn from their fitted distribution.

#' Simulate responses from a fitted mixed model
#'
#' Draws new responses from the fitted model. With `re.form = NA` (the default, as lme4) new
#' random effects are drawn from their estimated distribution for every simulation; with
#' `re.form = NULL` the estimated conditional modes are used (simulation conditional on the
#' random effects). Diagnostic packages such as DHARMa call this method.
#'
#' @param object a fit from [glmm()].
#' @param nsim number of simulations.
#' @param seed optional seed for the random-number generator (as [stats::simulate()]).
#' @param re.form `NA` or `~0` for new random effects, `NULL` to condition on the fitted ones, or
#'   (as lme4) a formula naming the terms to condition on, e.g. `~ (1 | batch)`: the other terms
#'   get new draws.
#' @param newdata optional data frame: simulate for its rows (as 'lme4'), with prior weights 1;
#'   with `re.form = NA` new random effects are drawn for the levels of its grouping factors.
#' @param allow.new.levels passed to [predict.glmmlab()] when conditioning on the fitted random
#'   effects for new data.
#' @param use.u lme4's older argument: `TRUE` is `re.form = NULL`, `FALSE` is `re.form = NA`.
#' @param ... unused.
#' @return A data frame with `nsim` columns (`sim_1`, ...), one row per observation; for a
#'   binomial response given as `cbind(successes, failures)`, each column is a two-column matrix.
#'   The seed is in attribute `"seed"`.
#' @examples
#' set.seed(1)
#' g <- factor(rep(1:10, each = 5))
#' y <- rpois(50, exp(1 + rnorm(10, sd = 0.5)[g]))
#' m <- glmm(y ~ 1 + (1 | g), data = data.frame(y, g), family = poisson)
#' head(simulate(m, nsim = 2, seed = 1))
#' @export
simulate.glmmlab <- function(object, nsim = 1, seed = NULL, re.form = NA, newdata = NULL, allow.new.levels = FALSE,
                             use.u = NULL, ...) {
  re_form_given <- !missing(re.form)
  re.form <- deprecated_re_form(re.form, ...)   # lme4's ReForm/REForm, with its warning
  if (!is.null(use.u)) {   # lme4's older argument: use.u = TRUE conditions on the fitted random effects
    check_flag(use.u, "use.u")
    if (re_form_given) stop("should specify only one of `use.u` and `re.form`", call. = FALSE)
    re.form <- if (use.u) NULL else NA
  }
  if (!is.null(seed)) set.seed(seed)
  seed_used <- if (exists(".Random.seed", envir = globalenv())) get(".Random.seed", envir = globalenv())
  kept <- simulation_kept_terms(object, re.form)
  conditional <- all(kept)
  if (!is.null(newdata)) {
    if (any(kept) && !conditional) stop("with `newdata`, `re.form` must be NULL (all random effects) or NA / ~0 (none)", call. = FALSE)
    return(simulate_newdata(object, nsim, newdata, conditional, allow.new.levels, seed_used))
  }
  sims <- lapply(seq_len(nsim), function(i) {
    eta <- if (conditional) object$eta else {
      b <- draw_random_effects(object)
      b[kept] <- object$b[kept]   # the terms of re.form keep their fitted values (lme4's re.form)
      object$eta_fixed + re_contribution(b, object$re)
    }
    y <- simulate_response(object, object$family$linkinv(eta))
    zprob <- object$components$zprob
    if (!is.null(object$components$re) && !conditional) {   # new random effects of the zero model too
      comp <- object$components
      zi <- list(map = object$map, sigma = 1, theta = comp$theta, re = comp$re)
      zeta <- stats::qlogis(zprob) - re_contribution(comp$b, comp$re) + re_contribution(draw_random_effects(zi), comp$re)
      zprob <- stats::plogis(zeta)
    }
    if (!is.null(zprob)) y[stats::runif(length(y)) < zprob] <- 0   # zero model
    y
  })
  simulations_frame(sims, seed_used, rownames(object$frame))
}

# Which random-effect terms a simulation conditions on (keeps at their fitted values): all for
# re.form = NULL, none for NA or ~0, the whole terms a formula names (lme4's re.form); the others
# get new draws.
simulation_kept_terms <- function(object, re.form) {
  picked <- selected_re_terms(object, re.form)   # R/methods_predict.R: errors name unknown terms
  kept <- rep(FALSE, length(object$re))
  for (sel in picked) {
    if (!all(sel$columns)) {
      stop("in simulate(), `re.form` must name whole random-effect terms of the model, not some of a term's columns", call. = FALSE)
    }
    kept[sel$index] <- TRUE
  }
  kept
}

# The simulations as a data frame with columns sim_1, ... (two-column matrices for binomial counts).
simulations_frame <- function(sims, seed_used, rows) {
  names(sims) <- paste0("sim_", seq_along(sims))
  out <- as.data.frame(lapply(sims, function(s) if (is.matrix(s)) I(unname(s)) else unname(s)))
  names(out) <- names(sims)
  rownames(out) <- rows
  attr(out, "seed") <- seed_used
  out
}

# Responses for the rows of new data (as lme4's simulate(newdata = )): the fitted random effects
# (conditional) or new ones drawn for each level of the new data's grouping factors; prior weights 1.
simulate_newdata <- function(object, nsim, newdata, conditional, allow.new.levels, seed_used) {
  nd <- as_newdata_frame(newdata)
  if (conditional) {
    eta <- predict.glmmlab(object, nd, re.form = NULL, allow.new.levels = allow.new.levels)
  } else {
    eta_fixed <- predict.glmmlab(object, nd, re.form = NA)
    env <- environment(object$formula)
    keys <- lapply(object$re, function(term) group_keys_newdata(term, nd, env))
    Z <- lapply(object$re, function(term) re_columns_newdata(term, object$frame, nd, env))
  }
  w <- rep(1, nrow(nd))
  scale <- if (is_gaussian_identity(object$family)) object$sigma else 1
  factors <- theta_to_factors(object$theta, object$re)
  sims <- lapply(seq_len(nsim), function(i) {
    if (!conditional) {
      # new random effects for the fit's levels (drawn as for the fit's own data), then for the new
      # data's other levels
      b_fit <- draw_random_effects(object)
      eta <- eta_fixed
      for (k in seq_along(object$re)) {
        extra <- setdiff(unique(keys[[k]][!is.na(keys[[k]])]), object$re[[k]]$levels)
        b_new <- scale * matrix(stats::rnorm(length(extra) * ncol(Z[[k]])), length(extra), ncol(Z[[k]])) %*% t(factors[[k]])
        b <- rbind(b_fit[[k]], b_new)
        rows <- match(keys[[k]], c(object$re[[k]]$levels, extra))
        ok <- !is.na(rows)
        eta[ok] <- eta[ok] + rowSums(Z[[k]][ok, , drop = FALSE] * b[rows[ok], , drop = FALSE])
      }
    }
    simulate_response(object, object$family$linkinv(eta), w)
  })
  simulations_frame(sims, seed_used, rownames(nd))
}

# New random effects for every term: b_level = sigma_re * T_i z, z ~ N(0, I).
draw_random_effects <- function(object) {
  scale <- map_re_sigma(object$map, object$sigma)
  factors <- theta_to_factors(object$theta, object$re)
  out <- lapply(seq_along(object$re), function(i) {
    t <- object$re[[i]]
    z <- matrix(stats::rnorm(t$nlev * ncol(t$Xt)), t$nlev)
    scale * z %*% t(factors[[i]])
  })
  out
}

# One response vector drawn from the family at means mu (prior weights as in the fit, or `w`).
simulate_response <- function(object, mu, w = object$prior_weights) {
  n <- length(mu)
  phi <- if (!is.null(object$components$disp_obs)) object$components$disp_obs else object$dispersion   # per row with a dispformula
  switch(object$family$family,
    gaussian = mu + stats::rnorm(n, sd = if (!is.null(object$components$disp_obs)) phi / sqrt(w) else object$sigma / sqrt(w)),
    poisson = stats::rpois(n, mu),
    binomial = {
      k <- stats::rbinom(n, size = round(w), prob = mu)
      # counts of successes and failures (as glmmTMB) for cbind() responses and weighted proportions
      weighted <- !is.null(object$frame[["(weights)"]]) && any(round(w) != 1)
      if (is.matrix(stats::model.response(object$frame)) || weighted) cbind(k, round(w) - k) else k / round(w)
    },
    nbinom2 = stats::rnbinom(n, size = phi, mu = mu),
    nbinom1 = stats::rnbinom(n, size = mu / phi, mu = mu),
    Gamma = stats::rgamma(n, shape = 1 / phi^2, scale = mu * phi^2),
    beta = stats::rbeta(n, mu * phi, (1 - mu) * phi),
    betabinomial = {
      k <- stats::rbinom(n, size = round(w), prob = stats::rbeta(n, mu * phi, (1 - mu) * phi))
      if (is.matrix(stats::model.response(object$frame))) cbind(k, round(w) - k) else k / round(w)
    },
    genpois = rgenpois(mu / sqrt(phi), 1 - 1 / sqrt(phi)),
    tweedie = rtweedie(mu, phi, unname(family_params.glmmlab(object))),
    t = mu + phi * stats::rt(n, df = unname(family_params.glmmlab(object))),
    lognormal = { s2 <- log1p((phi / mu)^2); stats::rlnorm(n, log(mu) - s2 / 2, sqrt(s2)) },
    # Y | Y > 0 by the inverse survival function at V ~ U(0, P(Y > 0)), exact however small mu is
    truncated_poisson = stats::qpois(stats::runif(n) * -expm1(-mu), mu, lower.tail = FALSE),
    truncated_nbinom2 = stats::qnbinom(stats::runif(n) * -expm1(-phi * log1p(mu / phi)), size = phi, mu = mu, lower.tail = FALSE),
    truncated_nbinom1 = stats::qnbinom(stats::runif(n) * -expm1(-mu / phi * log1p(phi)), size = mu / phi, prob = 1 / (1 + phi),
                                       lower.tail = FALSE),
    stop(sprintf("simulate() does not support family %s", object$family$family), call. = FALSE))
}

# Tweedie draws (1 < power < 2) as compound Poisson-gamma sums: N ~ Poisson(mu^(2-p) / (phi (2-p)))
# gamma variables of shape (2-p)/(p-1) and scale phi (p-1) mu^(p-1), summed (0 when N = 0).
rtweedie <- function(mu, phi, power) {
  n <- length(mu)
  count <- stats::rpois(n, mu^(2 - power) / (phi * (2 - power)))
  out <- numeric(n)
  pos <- count > 0
  out[pos] <- stats::rgamma(sum(pos), shape = count[pos] * (2 - power) / (power - 1),
                            scale = phi * (power - 1) * mu[pos]^(power - 1))
  out
}

# Generalized Poisson draws (Consul: P(y) = theta (theta + lambda y)^(y-1) exp(-theta - lambda y) / y!)
# by inversion, all observations stepping through y = 0, 1, ... together; with lambda < 0 the
# support ends before theta + lambda y <= 0 and the probabilities are renormalized over it.
rgenpois <- function(theta, lambda) {
  n <- length(theta)
  lambda <- rep_len(lambda, n)
  log_p <- function(y) log(theta) + (y - 1) * suppressWarnings(log(theta + lambda * y)) - theta - lambda * y - lgamma(y + 1)
  top <- ifelse(lambda < 0, ceiling(-theta / lambda) - 1, Inf)   # the largest count with theta + lambda y > 0
  total <- rep(1, n)
  if (any(lambda < 0)) {
    neg <- which(lambda < 0)
    total[neg] <- vapply(neg, function(i) {
      y <- 0:top[i]
      sum(exp(log(theta[i]) + (y - 1) * log(theta[i] + lambda[i] * y) - theta[i] - lambda[i] * y - lgamma(y + 1)))
    }, numeric(1))
  }
  u <- stats::runif(n) * total
  out <- rep(NA_real_, n)
  cum <- numeric(n)
  y <- 0
  active <- seq_len(n)
  while (length(active) && y < 1e6) {
    p <- if (y == 0) exp(-theta[active]) else exp(log_p(y)[active])
    cum[active] <- cum[active] + p
    done <- active[cum[active] >= u[active] | y >= top[active]]
    out[done] <- y
    active <- setdiff(active, done)
    y <- y + 1
  }
  out[is.na(out)] <- y
  out
}
