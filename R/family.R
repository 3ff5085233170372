# family.R: families and links accepted by glmm(), their codes in the C++ core (one table,
# read from C++ by cpp_family_table(): names, dispersion, response support), and the response
# for each family.

#' Negative binomial families for glmm()
#'
#' `nbinom2()`: variance `mu + mu^2 / theta` (theta is the size, reported as the dispersion);
#' `nbinom1()`: variance `mu * (1 + phi)`. Both with a log link by default, as in 'glmmTMB'.
#' Families can also be given by name: `family = "nbinom2"`.
#'
#' The unit deviances `dev.resids(y, mu, wt, theta)` (nbinom2) and `dev.resids(y, mu, wt, phi)`
#' (nbinom1) need the dispersion, e.g. `sigma(m)` of a fit `m`; `residuals(m, type = "deviance")`
#' passes it. For nbinom2 the deviance is that of [MASS::negative.binomial()]:
#' \eqn{2 w [y \log(y/\mu) - (y + \theta) \log((y + \theta)/(\mu + \theta))]}. For nbinom1 (size
#' \eqn{\mu/\phi}, so the mean enters the distribution's shape, not only its scale) it is
#' \eqn{2 w [l(y; \mu^*) - l(y; \mu)]}, where \eqn{l(y; m)} is the NB1 log-likelihood of mean
#' \eqn{m} at the fixed \eqn{\phi} and the saturated mean \eqn{\mu^*} maximizes it. Unlike for
#' the exponential families \eqn{\mu^*} is not \eqn{y}: it solves
#' \eqn{\psi(y + \mu/\phi) - \psi(\mu/\phi) = \log(1 + \phi)} and lies above \eqn{y} for
#' \eqn{y > 0} (\eqn{\mu^* = 0} for \eqn{y = 0}). With \eqn{\mu = y} as the saturated model the
#' "deviance" would be negative for \eqn{\mu} between \eqn{y} and \eqn{\mu^*}.
#' @param link the link function, `"log"` (the default) or `"sqrt"`/`"identity"`.
#' @return A family object of class `"family"`.
#' @examples
#' nbinom2()
#' nbinom1()$variance(2)
#' nbinom2()$dev.resids(c(0, 3, 10), mu = c(1, 3, 4), wt = 1, theta = 2)
#' @export
nbinom2 <- function(link = "log") make_nbinom_family("nbinom2", link)

#' @rdname nbinom2
#' @export
nbinom1 <- function(link = "log") make_nbinom_family("nbinom1", link)

# A family object for the negative binomial variants (variance uses the dispersion when given;
# dev.resids needs it).
make_nbinom_family <- function(name, link) {
  lk <- stats::make.link(link)
  variance <- if (name == "nbinom2") nbinom2_variance else nbinom1_variance
  dev.resids <- if (name == "nbinom2") nbinom2_family_dev_resids else nbinom1_family_dev_resids
  # each family object's functions get this call's (unlocked) frame as their environment, as
  # closures made here would: glmmTMB, given this family object, stores its .Theta there
  environment(variance) <- environment(dev.resids) <- environment()
  structure(list(family = name, link = link, linkfun = lk$linkfun, linkinv = lk$linkinv,
                 mu.eta = lk$mu.eta, valideta = lk$valideta, variance = variance,
                 dev.resids = dev.resids, aic = function(...) NA_real_),
            class = "family")
}

# The families' variance functions: nbinom2 mu + mu^2 / theta, nbinom1 mu (1 + phi).
nbinom2_variance <- function(mu, theta = Inf) mu + mu^2 / theta
nbinom1_variance <- function(mu, phi = 0) mu * (1 + phi)

# The families' dev.resids(): the unit deviances below, which need the dispersion.
nbinom2_family_dev_resids <- function(y, mu, wt, theta) {
  if (missing(theta)) stop("nbinom2 deviance residuals need the size theta: dev.resids(y, mu, wt, theta = sigma(fit))", call. = FALSE)
  nbinom2_dev_resids(y, mu, wt, theta)
}
nbinom1_family_dev_resids <- function(y, mu, wt, phi) {
  if (missing(phi)) stop("nbinom1 deviance residuals need the dispersion phi: dev.resids(y, mu, wt, phi = sigma(fit))", call. = FALSE)
  nbinom1_dev_resids(y, mu, wt, phi)
}

# Unit deviances of nbinom2 (size theta): 2 wt [y log(y/mu) - (y + theta) log((y + theta)/(mu + theta))],
# MASS::negative.binomial(theta)$dev.resids for whole-number y; the Poisson deviance for theta = Inf.
nbinom2_dev_resids <- function(y, mu, wt, theta) {
  stopifnot(length(theta) == 1L, theta > 0)
  if (is.infinite(theta)) return(stats::poisson()$dev.resids(y, mu, wt))
  n <- max(length(y), length(mu))
  y <- rep_len(y, n); mu <- rep_len(mu, n); wt <- rep_len(wt, n)
  term_y <- ifelse(y > 0, y * log(y / mu), 0)
  2 * wt * (term_y - (y + theta) * log1p((y - mu) / (mu + theta)))
}

# Unit deviances of nbinom1 (size mu / phi): 2 wt [l(y; mu*) - l(y; mu)], l the NB1 log-likelihood at
# fixed phi and mu* = nbinom1_saturated_mean(y, phi) its maximizer (see ?nbinom1; a caller that has
# mu* already passes it); Poisson for phi = 0.
nbinom1_dev_resids <- function(y, mu, wt, phi, mu_sat = NULL) {
  stopifnot(length(phi) == 1L, phi >= 0)
  if (phi == 0) return(stats::poisson()$dev.resids(y, mu, wt))
  n <- max(length(y), length(mu))
  y <- rep_len(y, n); mu <- rep_len(mu, n); wt <- rep_len(wt, n)
  L <- log1p(phi)
  s <- mu / phi
  s_sat <- (if (is.null(mu_sat)) nbinom1_saturated_mean(y, phi) else rep_len(mu_sat, n)) / phi
  d <- (lgamma_ratio(y, s_sat) - lgamma_ratio(y, s)) - (s_sat - s) * L
  pmax(2 * wt * d, 0)   # >= 0 up to rounding: mu* maximizes l
}

# lgamma(y + s) - lgamma(s) for y >= 0, s > 0, through lbeta() where s > y so that large s does not cancel.
lgamma_ratio <- function(y, s) {
  out <- numeric(length(y))
  big <- y > 0 & s > y
  mid <- y > 0 & !big
  out[big] <- lgamma(y[big]) - lbeta(y[big], s[big])
  out[mid] <- lgamma(y[mid] + s[mid]) - lgamma(s[mid])
  out
}

# The saturated mean of nbinom1: the mu maximizing the NB1 log-likelihood of y at fixed phi, i.e.
# phi s with g(s) = digamma(y + s) - digamma(s) - log(1 + phi) = 0 (0 for y = 0). g falls from +Inf
# and is convex in s, so Newton steps from a point with g > 0 rise monotonically to the root; y / phi
# is such a point for whole-number y (the sum 1/s + ... + 1/(s + y - 1) exceeds its integral).
nbinom1_saturated_mean <- function(y, phi) {
  L <- log1p(phi)
  out <- numeric(length(y))
  pos <- which(y > 0)
  if (!length(pos)) return(out)
  yy <- y[pos]
  s <- yy / phi
  g <- function(s, yy) digamma(yy + s) - digamma(s) - L
  for (k in 1:60) {   # halve s until g > 0 (needed only for non-integer y)
    low <- g(s, yy) <= 0
    if (!any(low)) break
    s[low] <- s[low] / 2
  }
  active <- rep(TRUE, length(s))
  for (it in 1:100) {
    idx <- which(active)
    if (!length(idx)) break
    step <- -g(s[idx], yy[idx]) / (trigamma(yy[idx] + s[idx]) - trigamma(s[idx]))
    step[!is.finite(step)] <- 0
    s[idx] <- s[idx] + step
    active[idx] <- abs(step) > 1e-13 * s[idx]
  }
  out[pos] <- phi * s
  out
}

# A family object from a family object, a family function, a name ("gaussian", "nbinom2", ...) or
# a list with elements `family` and `link` (glmmTMB accepts that form too).
resolve_family <- function(family) {
  if (is.list(family) && !inherits(family, "family")) {
    family <- family_from_list(family)
    warning("specifying `family` as a plain list is deprecated (as in glmmTMB); use e.g. ", family$family,
            "(link = \"", family$link, "\")", call. = FALSE)
  }
  if (is.character(family)) {
    if (length(family) != 1L) stop("`family` must be a single name", call. = FALSE)
    family <- family_constructor(family)()
  }
  if (is.function(family)) family <- family()
  if (!inherits(family, "family")) stop("`family` must be a family such as gaussian() or a family name", call. = FALSE)
  family_codes(family)   # checks that the core supports it
  family
}

# The function making the family called `name`: a family of the core's table by its
# family$family name ("beta", "t") or its constructor's name ("beta_family", "t_family",
# "ziGamma"), from glmmlab's own constructors (nbinom2(), beta_family(), ...) or stats'
# (gaussian(), ...).
family_constructor <- function(name) {
  tab <- cpp_family_table()
  constructors <- c(beta = "beta_family", t = "t_family")
  known <- c(tab$family, constructors, "ziGamma")
  if (name %in% known) {
    fun <- if (name %in% names(constructors)) constructors[[name]] else name
    for (env in list(asNamespace("glmmlab"), asNamespace("stats"))) {
      if (exists(fun, envir = env, mode = "function", inherits = FALSE)) return(get(fun, envir = env, mode = "function"))
    }
  }
  names_shown <- unique(c(setdiff(tab$family, names(constructors)), constructors, "ziGamma"))
  stop(sprintf("unknown family %s; use %s", sQuote(name, FALSE),
               paste(c(paste(utils::head(names_shown, -1L), collapse = ", "), utils::tail(names_shown, 1L)), collapse = " or ")),
       call. = FALSE)
}

# list(family = "poisson", link = "log") -> poisson(link = "log"), checked.
family_from_list <- function(family) {
  name <- family$family
  link <- if (is.null(family$link)) NULL else family$link
  if (!is.character(name) || length(name) != 1L) {
    stop("`family` given as a list needs an element `family` naming the family, e.g. list(family = \"poisson\", link = \"log\")", call. = FALSE)
  }
  fun <- family_constructor(name)
  if (is.null(link)) return(fun())
  if (!is.character(link) || length(link) != 1L) stop("`family$link` must be the name of a link, such as \"log\"", call. = FALSE)
  tryCatch(do.call(fun, list(link = link)), error = function(e) {
    stop(sprintf("`family$link` %s is not available for the %s family", sQuote(link, FALSE), name), call. = FALSE)
  })
}

# Integer codes of a family and its link in the C++ core, whether it has a dispersion parameter
# and the support of its response (the core's table); a clear error if unsupported.
family_codes <- function(family) {
  tab <- cpp_family_table()
  fam <- match(family$family, tab$family) - 1L
  lnk <- match(family$link, tab$link) - 1L
  if (is.na(fam)) stop(sprintf("family %s is not supported; use one of %s", sQuote(family$family, FALSE),
                               paste(tab$family, collapse = ", ")), call. = FALSE)
  if (is.na(lnk)) stop(sprintf("link %s is not supported; use one of %s", sQuote(family$link, FALSE),
                               paste(tab$link, collapse = ", ")), call. = FALSE)
  list(family = fam, link = lnk, has_dispersion = tab$has_dispersion[fam + 1L], support = tab$support[fam + 1L],
       n_shape = tab$n_shape[fam + 1L])
}

# The response (and binomial trials as weights) from the model frame, checked against the
# support of the family's response (the core's table: real, proportion, count, positive,
# nonnegative, unit or positive_count).
# zeros_allowed: a hurdle model's zero-truncated family (its zeros are the hurdle's).
model_response <- function(mf, family, zeros_allowed = FALSE) {
  y <- frame_response(mf)
  yname <- paste(deparse(attr(mf, "formula")[[2L]], width.cutoff = 500L), collapse = "")
  if (is.null(y)) stop("the formula has no response", call. = FALSE)
  support <- family_codes(family)$support
  if (support == "proportion") {
    if (family$family == "betabinomial") return(betabinomial_response(y, yname, stats::model.weights(mf)))
    return(binomial_response(y, yname, stats::model.weights(mf)))
  }
  if (!is.numeric(y) || !is.null(dim(y))) {
    stop(sprintf("response %s must be a numeric vector for a %s model, not %s", sQuote(yname, FALSE), family$family,
                 class(y)[1L]), call. = FALSE)
  }
  if (any(!is.finite(y))) {
    stop(sprintf("response %s has non-finite values (Inf or NaN), first in row %d", sQuote(yname, FALSE), which(!is.finite(y))[1L]), call. = FALSE)
  }
  y <- as.numeric(y)
  check_magnitude(y, sprintf("response %s", sQuote(yname, FALSE)))
  fam <- family$family
  check_family_support(y, yname, if (zeros_allowed && support == "positive_count") "count" else support, fam)
  if (zeros_allowed && any(y < 0)) stop(sprintf("response %s has negative values: counts must be >= 0 for a %s hurdle model", sQuote(yname, FALSE), fam), call. = FALSE)
  if (support %in% c("real", "positive", "unit", "nonnegative") && length(unique(y)) < 2L) {
    stop(sprintf("response %s is constant (all %s): there is no variance to partition", sQuote(yname, FALSE), format(y[1L])), call. = FALSE)
  }
  if (support == "count") {
    if (any(y < 0)) stop(sprintf("response %s has negative values: counts must be >= 0 for a %s model", sQuote(yname, FALSE), fam), call. = FALSE)
    if (all(y == 0)) stop(sprintf("response %s is all zeros: a %s model's mean would be estimated as 0 (log link: -Inf)", sQuote(yname, FALSE), fam), call. = FALSE)
    if (any(abs(y - round(y)) > 1e-8)) warning(sprintf("response %s has non-integer values for a %s model", sQuote(yname, FALSE), fam), call. = FALSE)
  }
  if (support == "positive" && any(y <= 0)) stop(sprintf("response %s must be positive for a %s model", sQuote(yname, FALSE), fam), call. = FALSE)
  structure(y, trials = NULL)
}

# The response column of the model frame (NULL without one). A vector response is taken without
# model.response()'s names: they would turn the frame's row names into n strings, which every
# path below drops (as.numeric()); a matrix response (cbind()) keeps model.response()'s form.
frame_response <- function(mf) {
  if (!isTRUE(attr(attr(mf, "terms"), "response") > 0L)) return(NULL)
  y <- mf[[1L]]
  if (is.matrix(y)) stats::model.response(mf) else y
}

# The supports of glmmTMB's further families: a value outside them is an error naming the
# response and its first offending row (the C++ core would see an impossible observation).
check_family_support <- function(y, yname, support, fam) {
  fail <- function(what, bad, hint = "") {
    stop(sprintf("response %s %s for a %s model (%d value%s outside, the first %s)%s", sQuote(yname, FALSE), what, fam,
                 sum(bad), if (sum(bad) > 1L) "s" else "", format(y[which(bad)[1L]]), hint), call. = FALSE)
  }
  if (support == "unit" && any(y <= 0 | y >= 1)) {
    fail("must lie strictly between 0 and 1", y <= 0 | y >= 1,
         "; zeros and ones need zero/one-inflation, which glmmlab does not fit yet (or transform, e.g. (y (n - 1) + 0.5) / n)")
  }
  if (support == "nonnegative" && any(y < 0)) fail("must be >= 0", y < 0)
  if (support %in% c("positive_count", "count") && fam %in% c("genpois", "truncated_poisson", "truncated_nbinom1", "truncated_nbinom2")) {
    if (any(abs(y - round(y)) > 1e-8)) fail("must be whole numbers (counts)", abs(y - round(y)) > 1e-8)
  }
  if (support == "positive_count" && any(y < 1)) {
    fail("contains zeros (or values below 1), which a zero-truncated family cannot have", y < 1,
         "; model them with a hurdle: ziformula = ~1 (or a formula), or drop them")
  }
  invisible()
}

# The beta-binomial response: as binomial_response() (cbind(successes, failures), proportions
# with the trials as `weights`, or 0/1), with whole numbers of successes. Weights that would
# multiply the log-likelihood rather than give the trials (with cbind() or a 0/1 response, as
# in glmmTMB) are an error: the core's weight of a beta-binomial observation is its trials.
betabinomial_response <- function(y, yname, weights = NULL) {
  binary <- !is.matrix(y) && (is.factor(y) || is.logical(y) || (is.numeric(y) && all(y %in% c(0, 1))))
  if (!is.null(weights) && (is.matrix(y) || binary) && any(weights != 1)) {
    stop(sprintf("`weights` with a %s response are not supported for the betabinomial family (glmmTMB would multiply the log-likelihood by them); give the trials through cbind(successes, failures) or proportions with `weights` = trials",
                 if (is.matrix(y)) "cbind()" else "0/1"), call. = FALSE)
  }
  out <- withCallingHandlers(binomial_response(y, yname, weights), warning = function(w) {
    if (grepl("non-integer numbers of successes", conditionMessage(w))) {
      stop(sprintf("betabinomial response %s gives non-integer numbers of successes (proportion x `weights`): the beta-binomial needs whole counts",
                   sQuote(yname, FALSE)), call. = FALSE)
    }
  })
  out
}

# glm() and glmmTMB read prior weights w on a cbind(successes, failures) response as replicates:
# a row's log-likelihood is w * log dbinom(s, n, p). The core sees one binomial of n * w trials,
# the same kernel with another constant (lchoose(n w, s w)); this is the difference of the
# constants summed over rows (0 without trials or with unit weights).
binomial_replicate_shift <- function(p, trials, weights) {
  if (is.null(trials) || all(weights == 1)) return(0)
  lchoose_smooth <- function(n, k) lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)   # as the core's
  total <- trials * weights
  sum(weights * lchoose_smooth(trials, p * trials)) - sum(lchoose_smooth(total, p * total))
}

# The core's fit with its log-likelihood and deviance moved by a constant `shift` (recorded).
shift_loglik <- function(fit, shift) {
  if (shift == 0) return(fit)
  fit$loglik <- fit$loglik + shift
  fit$deviance <- fit$deviance - 2 * shift
  fit$loglik_shift <- shift
  fit
}

# The constant added to the core's log-likelihood in object$loglik (binomial_replicate_shift()).
loglik_shift <- function(object) if (is.null(object$loglik_shift)) 0 else object$loglik_shift

# Binomial response: 0/1, logical, factor (first level = failure), proportions, or cbind(successes, failures).
binomial_response <- function(y, yname, weights = NULL) {
  trials <- NULL
  if (is.matrix(y)) {
    if (ncol(y) != 2L) stop(sprintf("binomial response %s must have two columns (successes, failures)", sQuote(yname, FALSE)), call. = FALSE)
    if (any(!is.finite(y)) || any(y < 0)) stop(sprintf("binomial response %s must have non-negative counts", sQuote(yname, FALSE)), call. = FALSE)
    trials <- y[, 1L] + y[, 2L]
    if (any(trials == 0)) stop(sprintf("binomial response %s has rows with zero trials", sQuote(yname, FALSE)), call. = FALSE)
    check_binomial_counts(y[, 1L], yname)
    check_binomial_spread(y[, 1L] / trials, yname)
    return(structure(y[, 1L] / trials, trials = trials))
  }
  if (is.factor(y)) y <- as.numeric(y != levels(y)[1L])
  if (is.logical(y)) y <- as.numeric(y)
  if (!is.numeric(y) || any(!is.finite(y)) || any(y < 0 | y > 1)) {
    stop(sprintf("binomial response %s must be 0/1, a factor, proportions between 0 and 1, or cbind(successes, failures)",
                 sQuote(yname, FALSE)), call. = FALSE)
  }
  check_binomial_counts(y * (if (is.null(weights)) 1 else weights), yname)
  check_binomial_spread(y, yname)
  structure(as.numeric(y), trials = NULL)
}

# One warning when the numbers of successes are not whole numbers (as glm() gives).
check_binomial_counts <- function(successes, yname) {
  if (any(abs(successes - round(successes)) > 1e-8)) {
    warning(sprintf("binomial response %s gives non-integer numbers of successes (proportion x `weights`)", sQuote(yname, FALSE)),
            call. = FALSE)
  }
  invisible()
}

# All successes or all failures: the intercept is infinite (complete separation).
check_binomial_spread <- function(p, yname) {
  if (all(p == 0) || all(p == 1)) {
    stop(sprintf("binomial response %s is all %s: the probability is estimated as %s, so the model cannot be fitted",
                 sQuote(yname, FALSE), if (p[1L] == 0) "failures (0)" else "successes (1)", p[1L]), call. = FALSE)
  }
  invisible()
}
