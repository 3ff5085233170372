# family.R: families and links accepted by glmm(), their codes in the C++ core (one table,
# read from C++ by cpp_family_table()), and the response for each family.

#' Negative binomial families for glmm()
#'
#' `nbinom2()`: variance `mu + mu^2 / theta` (theta is the size, reported as the dispersion);
#' `nbinom1()`: variance `mu * (1 + phi)`. Both with a log link by default, as in 'glmmTMB'.
#' Families can also be given by name: `family = "nbinom2"`.
#' @param link the link function, `"log"` (the default) or `"sqrt"`/`"identity"`.
#' @return A family object of class `"family"`.
#' @examples
#' nbinom2()
#' nbinom1()$variance(2)
#' @export
nbinom2 <- function(link = "log") make_nbinom_family("nbinom2", link)

#' @rdname nbinom2
#' @export
nbinom1 <- function(link = "log") make_nbinom_family("nbinom1", link)

# A family object for the negative binomial variants (variance uses the dispersion when given).
make_nbinom_family <- function(name, link) {
  lk <- stats::make.link(link)
  variance <- if (name == "nbinom2") function(mu, theta = Inf) mu + mu^2 / theta else function(mu, phi = 0) mu * (1 + phi)
  structure(list(family = name, link = link, linkfun = lk$linkfun, linkinv = lk$linkinv,
                 mu.eta = lk$mu.eta, valideta = lk$valideta, variance = variance,
                 dev.resids = function(y, mu, wt) stats::poisson()$dev.resids(y, mu, wt),
                 aic = function(...) NA_real_),
            class = "family")
}

# A family object from a family object, a family function or a name ("gaussian", "nbinom2", ...).
resolve_family <- function(family) {
  if (is.character(family)) {
    if (length(family) != 1L) stop("`family` must be a single name", call. = FALSE)
    fam_fun <- switch(family, gaussian = stats::gaussian, binomial = stats::binomial,
                      poisson = stats::poisson, Gamma = stats::Gamma, nbinom2 = nbinom2, nbinom1 = nbinom1,
                      stop(sprintf("unknown family %s; use gaussian, binomial, poisson, Gamma, nbinom2 or nbinom1",
                                   sQuote(family, FALSE)), call. = FALSE))
    family <- fam_fun()
  }
  if (is.function(family)) family <- family()
  if (!inherits(family, "family")) stop("`family` must be a family such as gaussian() or a family name", call. = FALSE)
  family_codes(family)   # checks that the core supports it
  family
}

# Integer codes of a family and its link in the C++ core; a clear error if unsupported.
family_codes <- function(family) {
  tab <- cpp_family_table()
  fam <- match(family$family, tab$family) - 1L
  lnk <- match(family$link, tab$link) - 1L
  if (is.na(fam)) stop(sprintf("family %s is not supported; use one of %s", sQuote(family$family, FALSE),
                               paste(tab$family, collapse = ", ")), call. = FALSE)
  if (is.na(lnk)) stop(sprintf("link %s is not supported; use one of %s", sQuote(family$link, FALSE),
                               paste(tab$link, collapse = ", ")), call. = FALSE)
  list(family = fam, link = lnk, has_dispersion = tab$has_dispersion[fam + 1L])
}

# The response (and binomial trials as weights) from the model frame, checked for the family.
model_response <- function(mf, family) {
  y <- stats::model.response(mf)
  yname <- paste(deparse(attr(mf, "formula")[[2L]], width.cutoff = 500L), collapse = "")
  if (is.null(y)) stop("the formula has no response", call. = FALSE)
  if (family$family == "binomial") return(binomial_response(y, yname, stats::model.weights(mf)))
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
  if (fam %in% c("gaussian", "Gamma") && length(unique(y)) < 2L) {
    stop(sprintf("response %s is constant (all %s): there is no variance to partition", sQuote(yname, FALSE), format(y[1L])), call. = FALSE)
  }
  if (fam %in% c("poisson", "nbinom1", "nbinom2")) {
    if (any(y < 0)) stop(sprintf("response %s has negative values: counts must be >= 0 for a %s model", sQuote(yname, FALSE), fam), call. = FALSE)
    if (all(y == 0)) stop(sprintf("response %s is all zeros: a %s model's mean would be estimated as 0 (log link: -Inf)", sQuote(yname, FALSE), fam), call. = FALSE)
    if (any(abs(y - round(y)) > 1e-8)) warning(sprintf("response %s has non-integer values for a %s model", sQuote(yname, FALSE), fam), call. = FALSE)
  }
  if (fam == "Gamma" && any(y <= 0)) stop(sprintf("response %s must be positive for a Gamma model", sQuote(yname, FALSE)), call. = FALSE)
  structure(y, trials = NULL)
}

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
