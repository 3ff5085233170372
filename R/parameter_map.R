# parameter_map.R: the one place where the cores' parameter vectors meet the user's scale, for
# both model kinds. A map is a plain list built once per model design (it does not depend on
# the response, so bootstrap refits and profiles reuse it with the core):
# Fields: kind, re (the terms' shapes: re_shapes()), ntheta, p, relative, has_dispersion (a dispersion in par), has_sigma (a
# residual SD or dispersion that sigma() reports), n_shape (the family's shape parameters in par:
# 0 or 1), unit (LMM), re_scale, A, A_inv, family_name (GLMM).
#   LMM:  the core's par is theta, lme4's relative covariance factors (lower triangles, column-
#         major); beta and sigma are profiled out and read off the core's state. The random
#         effects' covariances are sigma^2 T T' (`relative = TRUE`). The optimizer sees
#         theta / unit, unit = 1 / sqrt(mean(weights)).
#   GLMM: the core's par is (theta_s, z, log phi, psi): theta_s the factors of the random-effect columns
#         divided by their root mean squares s (T_s = S T per term), z the fixed effects of the
#         conditioned design X A (A = sqrt(n) R^-1 from X = Q R; beta = A z), log phi the log
#         dispersion (families with one), psi the family's shape parameter on glmmTMB's scale
#         (tweedie: power 1 + plogis(psi); t: df exp(psi)). Covariances are T T' (`relative = FALSE`).
# Other scales derived here: the natural parameters of confint()/bootstrap() (per term the SDs on
# the diagonal and correlations below it, then the residual SD or dispersion: .sig01, ...,
# .sigma), and glmmTMB's psi (raw beta, log SDs on the diagonal, log dispersion on glmmTMB's scale).

# The random-effect terms without their data: group, nlev, cnms and a 0-row Xt (its columns),
# all that theta's layout and the scales need.
re_shapes <- function(re) {
  lapply(re, function(t) list(group = t$group, nlev = t$nlev, cnms = t$cnms, Xt = t$Xt[0L, , drop = FALSE]))
}

# The map of a linear mixed model.
lmm_parameter_map <- function(re, X, weights) {
  list(kind = "lmm", re = re_shapes(re), ntheta = length(theta_start(re)), p = ncol(X), unit = theta_unit(weights),
       relative = TRUE, has_dispersion = FALSE, has_sigma = TRUE, n_shape = 0L)
}

# The map of a GLMM with design X (its columns conditioned here) and a family with or without a
# dispersion parameter.
glmm_parameter_map <- function(re, X, family) {
  cond <- condition_design(X)
  codes <- family_codes(family)
  has_dispersion <- codes$has_dispersion
  list(kind = "glmm", re = re_shapes(re), ntheta = length(theta_start(re)), p = ncol(X), re_scale = re_column_scales(re),
       A = cond$A, A_inv = cond$A_inv, relative = FALSE, has_dispersion = has_dispersion, has_sigma = has_dispersion,
       n_shape = as.integer(codes$n_shape), family_name = family$family)
}

# The core's par from the user's theta, beta, dispersion phi and shape psi (beta and phi unused by
# the LMM; beta unused by a GLMM read by REML, whose par is (theta, log phi, psi)).
map_internal <- function(map, theta, beta = NULL, phi = NULL, reml = FALSE, shape = NULL) {
  if (map$kind == "lmm") return(theta)
  unname(c(scale_theta(theta, map$re, map$re_scale), if (!reml) drop(map$A_inv %*% beta), if (map$has_dispersion) log(phi),
           if (isTRUE(map$n_shape > 0L)) shape))
}

# The user's estimates at the core's par: theta, beta, sigma (residual SD for LMMs; the
# dispersion for GLMMs that have one, else 1), dispersion (GLMMs), shape (glmmTMB's psi, families
# with one), the conditional modes b and u (formula order), from the core's state there.
map_user <- function(map, par, state, reml = FALSE) {
  if (map$kind == "lmm") {
    return(list(theta = par, beta = state$beta, sigma = state$sigma, dispersion = NULL, b = state$b, u = state$u))
  }
  k <- map$ntheta
  p_par <- if (reml) 0L else map$p
  phi <- if (map$has_dispersion) exp(par[k + p_par + 1L])   # the shape, where there is one, follows
  z <- if (reml) state$beta else par[k + seq_len(map$p)]   # REML: the joint mode's beta
  shape <- if (isTRUE(map$n_shape > 0L)) par[length(par)]
  list(theta = unscale_theta(par[seq_len(k)], map$re, map$re_scale), beta = drop(map$A %*% z),
       sigma = if (is.null(phi)) 1 else phi, dispersion = phi, shape = shape, b = unscale_b(state$b, map$re, map$re_scale),
       u = state$u)
}

# -log|A|^2: the GLMM's REML criterion, computed for z (beta = A z), is put on beta's scale by it.
map_reml_log_jacobian <- function(map) {
  if (map$p == 0L) return(0)
  -2 * as.numeric(determinant(map$A, logarithm = TRUE)$modulus)
}

# theta on the scale where a near-zero diagonal means a singular fit (the optimizer's scale).
map_singular_theta <- function(map, par) {
  theta <- par[seq_len(map$ntheta)]
  if (map$kind == "lmm") theta / map$unit else theta
}

# The conditional covariance blocks of term i from the core (p x p x nlev) on the user's scale.
map_condvar <- function(map, blocks, i) {
  if (map$kind == "lmm") return(blocks)
  s <- map$re_scale[[i]]   # the GLMM core works with Xt / s: S^-1 C S^-1
  sweep(sweep(blocks, 1L, s, "/"), 2L, s, "/")
}

# The SD the random effects' covariances are relative to: sigma for the LMM, 1 for GLMMs.
map_re_sigma <- function(map, sigma) if (isTRUE(map$relative)) sigma else 1

# The random-effect terms' data (codes, nlev, Xt) as the core sees them.
map_core_terms <- function(map, re) re_terms_for_core(re, map$re_scale)

# ---- Natural parameters (SDs and correlations) ---------------------------------------------------

# The natural parameters of each term (SDs, correlations; lower triangle) from theta and sigma.
theta_to_natural <- function(theta, sigma, re) {
  unlist(lapply(theta_to_factors(theta, re), function(Ti) {
    S <- sigma^2 * tcrossprod(Ti)
    sds <- sqrt(diag(S))
    M <- S / outer(sds, sds)
    M[!is.finite(M)] <- 0
    diag(M) <- sds
    M[lower.tri(M, diag = TRUE)]
  }))
}

# theta (lower triangles of the relative factors T_i) from natural parameters v and sigma.
natural_to_theta <- function(v, sigma, re) {
  pos <- 0L
  out <- vector("list", length(re))
  for (i in seq_along(re)) {
    p <- ncol(re[[i]]$Xt)
    k <- p * (p + 1L) / 2L
    if (p == 1L) {
      out[[i]] <- v[pos + 1L] / sigma
    } else {
      M <- matrix(0, p, p)
      M[lower.tri(M, diag = TRUE)] <- v[pos + seq_len(k)]
      sds <- diag(M)
      R <- M + t(M)
      diag(R) <- 1
      Ti <- semidefinite_cholesky(R * outer(sds, sds)) / sigma
      out[[i]] <- Ti[lower.tri(Ti, diag = TRUE)]
    }
    pos <- pos + k
  }
  unlist(out)
}

# Lower-triangular L with L L' = S for a positive semidefinite S (zero pivots give zero columns).
semidefinite_cholesky <- function(S) {
  p <- nrow(S)
  L <- matrix(0, p, p)
  for (j in seq_len(p)) {
    prev <- seq_len(j - 1L)
    L[j, j] <- sqrt(max(S[j, j] - sum(L[j, prev]^2), 0))
    for (i in seq_len(p - j) + j) {
      L[i, j] <- if (L[j, j] > 0) (S[i, j] - sum(L[i, prev] * L[j, prev])) / L[j, j] else 0
    }
  }
  L
}

# ---- glmmTMB's parameters psi (the scale of its standard errors' Hessian) ------------------------

# log phi = disp_scale * glmmTMB's dispersion parameter betad.
map_disp_scale <- function(map) switch(map$family_name, gaussian = 0.5, Gamma = -0.5, 1)

# psi = (beta, theta with log diagonals, betad, the family's shape) at the GLMM core's par (no beta
# for REML). The shape is glmmTMB's psi in the core's par already.
map_to_psi <- function(map, par, reml = FALSE) {
  k <- map$ntheta
  ns <- map_n_shape(map)
  th <- par[seq_len(k)]
  is_diag <- theta_diagonal_mask(map$re)
  th[is_diag] <- log(th[is_diag])
  disp <- if (map$has_dispersion) par[length(par) - ns] / map_disp_scale(map)
  unname(c(if (!reml) drop(map$A %*% par[k + seq_len(map$p)]), th, disp, par[length(par) - seq_len(ns) + 1L]))
}

# The number of shape parameters in a map's par (0 for maps built before they existed).
map_n_shape <- function(map) if (is.null(map$n_shape)) 0L else map$n_shape

# The GLMM core's par at psi.
map_from_psi <- function(map, psi, reml = FALSE) {
  k <- map$ntheta
  p <- if (reml) 0L else map$p
  th <- psi[p + seq_len(k)]
  is_diag <- theta_diagonal_mask(map$re)
  th[is_diag] <- exp(th[is_diag])
  ns <- map_n_shape(map)
  unname(c(th, if (p > 0L) drop(map$A_inv %*% psi[seq_len(p)]), if (map$has_dispersion) map_disp_scale(map) * psi[p + k + 1L],
           psi[length(psi) - seq_len(ns) + 1L]))
}

# The Jacobian d par / d psi of map_from_psi() at psi.
map_psi_jacobian <- function(map, psi) {
  k <- map$ntheta
  p <- map$p
  J <- matrix(0, length(psi), length(psi))
  th <- psi[p + seq_len(k)]
  is_diag <- theta_diagonal_mask(map$re)
  J[seq_len(k), p + seq_len(k)] <- diag(ifelse(is_diag, exp(th), 1), k)
  J[k + seq_len(p), seq_len(p)] <- map$A_inv
  ns <- map_n_shape(map)
  if (map$has_dispersion) J[length(psi) - ns, length(psi) - ns] <- map_disp_scale(map)
  shape <- length(psi) - seq_len(ns) + 1L
  J[cbind(shape, shape)] <- 1
  J
}

# ---- The pieces of the GLMM's scales -------------------------------------------------------------

# Root mean square of each column of each term's model matrix: the core sees Xt / scale, so
# random slopes on raw scales (x * 100) start and step like slopes on unit scales.
re_column_scales <- function(re) {
  lapply(re, function(t) {
    s <- sqrt(colMeans(t$Xt^2))
    ifelse(is.finite(s) & s > 0, s, 1)
  })
}

# theta of the scaled terms -> theta of the user's terms: T = S^{-1} T_scaled per term.
unscale_theta <- function(theta, re, re_scale) {
  factors <- theta_to_factors(theta, re)
  unlist(lapply(seq_along(re), function(i) {
    Ti <- factors[[i]] / re_scale[[i]]
    Ti[lower.tri(Ti, diag = TRUE)]
  }))
}

# theta of the user's terms -> theta of the scaled terms: T_scaled = S T.
scale_theta <- function(theta, re, re_scale) unscale_theta(theta, re, lapply(re_scale, function(s) 1 / s))

# b of the scaled terms (formula order: term, level, column) -> b of the user's terms.
unscale_b <- function(b, re, re_scale) {
  b / unlist(lapply(seq_along(re), function(i) rep(re_scale[[i]], re[[i]]$nlev)))
}

# X = Q R -> list(X = X A, A, A_inv) with A = sqrt(n) R^{-1}; beta = A beta_scaled (A_inv exact,
# not solve(A), which fails on predictors scaled like x * 1e-30).
condition_design <- function(X) {
  p <- ncol(X)
  if (p == 0L) return(list(X = X, A = matrix(0, 0, 0), A_inv = matrix(0, 0, 0)))
  R <- qr.R(qr(X))
  A <- sqrt(nrow(X)) * backsolve(R, diag(p))
  list(X = X %*% A, A = A, A_inv = R / sqrt(nrow(X)))
}

# The theta positions of each column of each term's T (diagonal first), formula order.
theta_columns <- function(re) {
  out <- list()
  t <- 0L
  for (term in re) {
    p <- ncol(term$Xt)
    for (c in seq_len(p)) {
      out[[length(out) + 1L]] <- t + seq_len(p - c + 1L)
      t <- t + p - c + 1L
    }
  }
  out
}

# For each theta entry that is a diagonal element of its term's factor T_i, the theta entries
# below it in the same column (consecutive in the column-major packing); integer(0) otherwise.
theta_below_diagonal <- function(re) {
  columns <- theta_columns(re)
  out <- rep(list(integer(0)), sum(lengths(columns)))
  for (idx in columns) out[[idx[1L]]] <- idx[-1L]
  out
}

# Which theta entries are diagonal elements of their term's factor T_i.
theta_diagonal_mask <- function(re) {
  as.logical(unlist(lapply(re, function(t) {   # logical(0) for a model without random effects
    k <- ncol(t$Xt)
    m <- diag(k) == 1
    m[lower.tri(m, diag = TRUE)]
  })))
}
