# start_values.R: the `start` argument of glmm(), in glmmTMB's or lme4's form, checked and
# translated into the fitting stage's starting values: list(theta = lme4's theta (relative
# covariance factors), beta = fixed effects, phi = the core's dispersion), each NULL when not given.

# glmmTMB's names, lme4's names.
start_names_glmmTMB <- c("beta", "theta", "betad")
start_names_lme4 <- c("theta", "fixef")

# `start` -> list(theta, beta, phi) for fit_lmm()/fit_glmm(), or NULL. lme4's form is a numeric
# vector (its theta) or a list with `fixef`; any other list is glmmTMB's form (theta = log SDs
# and correlation parameters, betad = log dispersion).
translate_start <- function(start, re, X, y, weights, offset, family) {
  if (is.null(start)) return(NULL)
  if (is.numeric(start) && is.null(dim(start))) start <- list(theta = start, fixef = NULL)
  if (!is.list(start)) {
    stop("`start` must be a list such as list(beta = ..., theta = ...) (glmmTMB) or a numeric theta vector (lme4)", call. = FALSE)
  }
  unknown <- setdiff(names(start), c(start_names_glmmTMB, start_names_lme4))
  if (length(unknown) || (length(start) && is.null(names(start)))) {
    bad <- if (length(unknown)) unknown else "(unnamed)"
    stop(sprintf("unknown element of `start`: %s (unrecognized vector %s); glmm() takes beta, theta and betad (glmmTMB's names) or theta and fixef (lme4's)",
                 paste(bad, collapse = ", "), paste(sQuote(bad, FALSE), collapse = ", ")), call. = FALSE)
  }
  lme4_form <- "fixef" %in% names(start)
  if (lme4_form && !is.null(start$betad)) stop("`start` mixes lme4's `fixef` with glmmTMB's `betad`: use one form", call. = FALSE)
  if (lme4_form && !is.null(start$beta)) stop("`start` has both `beta` (glmmTMB) and `fixef` (lme4): use one", call. = FALSE)
  beta <- check_start_vector(if (lme4_form) start$fixef else start$beta, if (lme4_form) "fixef" else "beta", ncol(X), "fixed effects")
  theta <- check_start_vector(start$theta, "theta", sum(theta_lengths(re)), "variance parameters")
  betad <- check_start_vector(start$betad, "betad", 1L, "dispersion parameters")
  phi <- if (!is.null(betad)) exp(dispersion_scale(family) * betad)
  if (!is.null(theta) && !lme4_form) {
    sigma <- if (!is_gaussian_identity(family)) 1 else if (!is.null(phi)) phi else residual_sd(X, y, weights, offset)
    theta <- glmmTMB_theta_to_lme4(theta, re, sigma)
  } else if (!is.null(theta)) {
    theta <- lme4_order_to_formula_order(theta, re)
  }
  list(theta = theta, beta = beta, phi = phi)
}

# lme4's theta (its terms sorted by decreasing number of levels, as getME(m, "theta") gives it)
# -> the same values in the formula's order of the terms.
lme4_order_to_formula_order <- function(theta, re) {
  core <- core_terms(re)
  if (length(core) < 2L) return(theta)
  ord <- order(-vapply(core, `[[`, numeric(1), "nlev"))
  pieces <- split(theta, rep(seq_along(ord), theta_lengths(core)[ord]))
  unlist(pieces[order(ord)], use.names = FALSE)
}

# A numeric start element checked: finite and of the model's length (NULL stays NULL).
check_start_vector <- function(v, name, len, what) {
  if (is.null(v)) return(NULL)
  if (!is.numeric(v) || any(!is.finite(v))) stop(sprintf("`start$%s` must be a numeric vector of finite values", name), call. = FALSE)
  if (length(v) != len) {
    stop(sprintf("start$%s has length %d, the model has %d %s (parameter vector length mismatch: length(%s)==%d, should be %d)",
                 name, length(v), len, what, name, length(v), len), call. = FALSE)
  }
  unname(as.numeric(v))
}

# glmmTMB's dispersion parameter betad -> log of glmmlab's dispersion: sigma = exp(betad / 2)
# (gaussian), Gamma's sigma (coefficient of variation) = exp(-betad / 2), the negative binomials'
# size or phi = exp(betad).
dispersion_scale <- function(family) switch(family$family, gaussian = 0.5, Gamma = -0.5, 1)

# Residual SD of the weighted least-squares fit of y on X (the scale of an LMM's start).
residual_sd <- function(X, y, weights, offset) {
  fit <- stats::lm.wfit(X, y - offset, weights)
  sqrt(max(sum(weights * fit$residuals^2) / max(length(y) - ncol(X), 1), 1e-12))
}

# glmmTMB's theta (per term: log SDs, then for an unstructured term the parameters of its
# correlation matrix) -> lme4's theta: the lower-triangular Cholesky factor of each covariance
# matrix divided by `sigma` (the residual SD of LMMs, 1 for GLMMs).
glmmTMB_theta_to_lme4 <- function(theta, re, sigma) {
  factors <- vector("list", length(re))
  pos <- 0L
  for (i in seq_along(re)) {
    p <- length(re[[i]]$cnms)
    sds <- exp(theta[pos + seq_len(p)])
    pos <- pos + p
    if (identical(re[[i]]$structure, "diag") || p == 1L) {
      factors[[i]] <- diag(sds / sigma, p)
      next
    }
    k <- p * (p - 1L) / 2L
    C <- glmmTMB_correlation(theta[pos + seq_len(k)], p)
    pos <- pos + k
    factors[[i]] <- t(chol(C * outer(sds, sds))) / sigma
  }
  factors_to_theta(factors, re)
}

# glmmTMB's correlation matrix from its parameters: R unit upper-triangular holding them column
# by column, C = R'R scaled to a unit diagonal.
glmmTMB_correlation <- function(par, p) {
  R <- diag(p)
  R[upper.tri(R)] <- par
  C <- crossprod(R)
  s <- 1 / sqrt(diag(C))
  C * outer(s, s)
}
