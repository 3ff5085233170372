# sandwich.R: cluster-robust ("sandwich") covariances, on the sandwich package's generics estfun(),
# bread() and vcovHC() (registered when sandwich loads, R/zzz.R) and on the generics sandwich() and
# meatHC() that glmmTMB (1.1.12 and later) exports. The clusters are independent groups of
# observations (by default the first grouping factor, getGroups()): the log-likelihood is the sum
# of the clusters' log-likelihoods l_c (each the Laplace approximation of its own observations,
# exact for gaussian models), the score of cluster c is d l_c / d psi at the estimates (psi:
# glmmTMB's parameters, as in vcov(full = TRUE)), and the sandwich is V (sum_c s_c s_c') V with V
# the model-based covariance.

#' Cluster-robust (sandwich) covariance of a mixed model
#'
#' Estimating functions, bread, meat and the cluster-robust sandwich covariance of an ML fit,
#' as 'glmmTMB' (1.1.12 and later) computes them. `estfun()` gives one row per cluster: the
#' gradient of the cluster's log-likelihood (its observations only, the random effects
#' integrated out) at the estimates, with respect to the fixed effects (`full = FALSE`) or all
#' parameters on 'glmmTMB''s scale (`full = TRUE`, the parameters of `vcov(m, full = TRUE)`).
#' Clusters must be independent: by default the levels of the first grouping factor
#' ([getGroups()]); a model with crossed random effects has no such clusters, and a warning says
#' so when the clusters' log-likelihoods do not add up to the model's.
#'
#' `sandwich()` and `vcovHC()` (type `"HC0"`) return \eqn{V M V}, with \eqn{V} = `vcov()` and
#' the meat \eqn{M = \sum_c s_c s_c'} (`meatHC()`, as 'glmmTMB': not divided by the number of
#' clusters); `vcovHC(m, sandwich = FALSE)` returns the meat. `bread()` follows the 'sandwich'
#' package's scaling, the number of clusters \eqn{G} times `vcov()`, so that
#' `sandwich::sandwich(m)` (which divides \eqn{B (M/G) B} by \eqn{G}) gives the same \eqn{V M V};
#' 'glmmTMB''s own `bread()` returns `vcov()` unscaled. `estfun()`, `bread()` and `vcovHC()` are
#' the 'sandwich' package's generics (methods registered when it is loaded); `sandwich()` and
#' `meatHC()` are generics of this package (as in 'glmmTMB') whose default methods call the
#' 'sandwich' package's functions. REML fits are not supported (as in 'glmmTMB').
#'
#' @param x a model fitted by [glmm()] with `REML = FALSE`.
#' @param full logical: all parameters (`TRUE`) or the fixed effects only?
#' @param cluster a factor with one value per observation of the fit: the independent clusters.
#' @param type only `"HC0"` (no small-sample adjustment).
#' @param sandwich logical: `vcovHC()` returns the sandwich (`TRUE`) or the meat?
#' @param ... further arguments: for the default methods of `sandwich()` and `meatHC()`, passed
#'   to the 'sandwich' package's functions; otherwise not used.
#' @return `estfun()`: a matrix with one row per cluster and one column per parameter.
#'   `bread()`, `meatHC()`, `sandwich()`, `vcovHC()`: square matrices named by the parameters.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(1:15, each = 8)), x = rnorm(120))
#' d$y <- rpois(120, exp(0.5 + 0.3 * d$x + rnorm(15, sd = 0.5)[d$g]))
#' m <- glmm(y ~ x + (1 | g), data = d, family = poisson)
#' sandwich(m)
#' sqrt(diag(sandwich(m)))   # robust standard errors
#' sqrt(diag(vcov(m)$cond))  # model-based ones
#' meatHC(m, full = TRUE)
#' if (requireNamespace("sandwich", quietly = TRUE)) {
#'   print(head(sandwich::estfun(m)))
#'   print(sandwich::vcovHC(m, full = TRUE))
#'   print(sandwich::sandwich(m))   # the sandwich package's own function: the same V M V
#' }
#' @name glmm-sandwich
NULL

# Cluster scores: d l_c / d psi at the estimates (one row per cluster).
#' @rdname glmm-sandwich
estfun.glmmlab <- function(x, full = FALSE, cluster = getGroups(x), ...) {
  check_no_components(x, "estfun()")
  check_flag(full, "full")
  cluster <- check_cluster(x, cluster)
  view <- inference_view(x)
  J <- view_psi_jacobian(view)   # d psi / d phi
  dphi_dpsi <- tryCatch(solve(J), error = function(e) {
    stop("the scores need every variance parameter away from 0: this is a singular fit", call. = FALSE)
  })
  pieces <- lapply(levels(cluster), function(level) cluster_score(view, which(cluster == level)))
  total <- sum(vapply(pieces, `[[`, numeric(1), "loglik")) + loglik_shift(x)   # the core's constant -> glm()'s
  if (!isTRUE(all.equal(total, x$loglik, tolerance = 1e-6))) {
    warning(sprintf("the clusters' log-likelihoods add up to %s, not the model's %s: the clusters are not independent (are the random effects crossed?), so the scores and the sandwich are not valid",
                    format(total, digits = 8), format(x$loglik, digits = 8)), call. = FALSE)
  }
  scores <- t(vapply(pieces, function(piece) -0.5 * drop(crossprod(dphi_dpsi, piece$gradient)), numeric(length(view$phi))))
  dimnames(scores) <- list(levels(cluster), tmb_parameter_names(x, view$has_disp))
  if (!full) scores <- scores[, seq_along(x$beta), drop = FALSE]
  scores
}

# The bread, as the sandwich package scales it: the number of clusters times the covariance.
#' @rdname glmm-sandwich
bread.glmmlab <- function(x, full = FALSE, ...) {
  check_no_components(x, "bread()")
  check_flag(full, "full")
  V <- if (full) vcov.glmmlab(x, full = TRUE) else x$vcov
  nlevels(check_cluster(x, getGroups.glmmlab(x))) * V
}

#' @rdname glmm-sandwich
#' @export
meatHC <- function(x, ...) UseMethod("meatHC")

#' @rdname glmm-sandwich
#' @export
meatHC.default <- function(x, ...) {
  if (!requireNamespace("sandwich", quietly = TRUE)) stop("meatHC() for this object needs the 'sandwich' package", call. = FALSE)
  sandwich::meatHC(x, ...)
}

# The meat: the sum over clusters of the scores' outer products (as glmmTMB, not scaled).
#' @rdname glmm-sandwich
#' @export
meatHC.glmmlab <- function(x, full = FALSE, cluster = getGroups(x), ...) {
  crossprod(estfun.glmmlab(x, full = full, cluster = cluster))
}

#' @rdname glmm-sandwich
#' @export
sandwich <- function(x, ...) UseMethod("sandwich")

#' @rdname glmm-sandwich
#' @export
sandwich.default <- function(x, ...) {
  if (!requireNamespace("sandwich", quietly = TRUE)) stop("sandwich() for this object needs the 'sandwich' package", call. = FALSE)
  sandwich::sandwich(x, ...)
}

# V M V with the model-based covariance V (of all parameters when `full`, else the fixed effects).
#' @rdname glmm-sandwich
#' @export
sandwich.glmmlab <- function(x, full = FALSE, cluster = getGroups(x), ...) {
  check_flag(full, "full")
  V <- vcov.glmmlab(x, full = TRUE)
  M <- meatHC.glmmlab(x, full = TRUE, cluster = cluster)
  out <- V %*% M %*% V
  dimnames(out) <- dimnames(V)
  if (!full) out <- out[seq_along(x$beta), seq_along(x$beta), drop = FALSE]
  out
}

# vcovHC(): the sandwich (type "HC0"), or its meat.
#' @rdname glmm-sandwich
vcovHC.glmmlab <- function(x, type = "HC0", sandwich = TRUE, full = FALSE, cluster = getGroups(x), ...) {
  if (!identical(type, "HC0")) stop("only type = \"HC0\" is available for glmm fits (as in glmmTMB)", call. = FALSE)
  check_flag(sandwich, "sandwich")
  if (sandwich) sandwich.glmmlab(x, full = full, cluster = cluster) else meatHC.glmmlab(x, full = full, cluster = cluster)
}

# The clusters checked: a factor (or coercible) with one value per observation, no NA; not REML.
check_cluster <- function(x, cluster) {
  if (isTRUE(x$REML)) stop("the sandwich estimators need an ML fit (REML = FALSE), as in glmmTMB", call. = FALSE)
  if (length(cluster) != x$nobs) {
    stop(sprintf("`cluster` must have one value per observation of the fit (%d), not %d", as.integer(x$nobs), length(cluster)), call. = FALSE)
  }
  if (anyNA(cluster)) stop("`cluster` has missing values", call. = FALSE)
  droplevels(as.factor(cluster))
}
