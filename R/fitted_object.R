# fitted_object.R: stage 6. Assemble the "glmm" object, one plain list (the S3 class "glmm").

# Build the fitted object from the core's results and the model's pieces.
new_glmm_fit <- function(fit, call, formula, family, REML, frame, fixed, re, y, weights) {
  b <- split_by_term(fit$b, re)
  u <- split_by_term(fit$u, re)
  X <- fixed$X
  eta_fixed <- drop(X %*% fit$beta) + fixed$offset
  eta <- eta_fixed + re_contribution(b, re)
  structure(list(
    call = call, formula = formula, family = family, REML = REML,
    frame = frame, terms = fixed$terms, X = X, y = y, prior_weights = weights, offset = fixed$offset,
    re = lapply(re, function(t) t[c("group", "lhs", "codes", "nlev", "levels", "Xt", "cnms")]),
    theta = fit$theta, beta = fit$beta, sigma = fit$sigma, vcov = fit$vcov,
    cov_re = re_covariances(fit$theta, fit$sigma, re), b = b, u = u,
    eta = eta, eta_fixed = eta_fixed, fitted = family$linkinv(eta),
    loglik = fit$loglik, deviance = fit$deviance, df = fit$df, nobs = length(y),
    dispersion = fit$dispersion,
    optinfo = list(optimizer = "bobyqa", evaluations = fit$evaluations, status = fit$status,
                   message = fit$message, singular = fit$singular, dropped = fixed$dropped),
    core = fit$core
  ), class = "glmm")
}

# Split a vector of length q (term-major, then level, then column) into nlev x p matrices.
split_by_term <- function(v, re) {
  out <- vector("list", length(re))
  pos <- 0L
  for (i in seq_along(re)) {
    p <- ncol(re[[i]]$Xt)
    k <- re[[i]]$nlev * p
    out[[i]] <- matrix(v[pos + seq_len(k)], nrow = re[[i]]$nlev, ncol = p, byrow = TRUE,
                       dimnames = list(re[[i]]$levels, re[[i]]$cnms))
    pos <- pos + k
  }
  names(out) <- vapply(re, `[[`, "", "group")
  out
}

# Z b without forming Z: sum over terms of rowSums(Xt * b[level, ]).
re_contribution <- function(b, re) {
  total <- 0
  for (i in seq_along(re)) {
    total <- total + rowSums(re[[i]]$Xt * b[[i]][re[[i]]$codes + 1L, , drop = FALSE])
  }
  total
}

# Covariance matrix of each term: sigma^2 T_i T_i', named by the term's columns.
re_covariances <- function(theta, sigma, re) {
  factors <- theta_to_factors(theta, re)
  out <- lapply(seq_along(re), function(i) {
    S <- sigma^2 * tcrossprod(factors[[i]])
    dimnames(S) <- list(re[[i]]$cnms, re[[i]]$cnms)
    S
  })
  names(out) <- vapply(re, `[[`, "", "group")
  out
}
