# prediction_se.R: standard errors of predictions, for predict(se.fit = TRUE). Population-level
# predictions (no random effects): sqrt(diag(X V X')) with V = vcov(). Conditional predictions
# eta = X beta + Z b, as glmmTMB computes them (TMB's sdreport() for a quantity that depends on
# the random effects):
#   Var(eta_i) = z_i' Cov(b | y) z_i + a_i' V_phi a_i,   a_i = d eta_i / d phi (total derivative,
# through the mode b(phi)), V_phi = 2 H^{-1} from the deviance's Hessian in phi
# (R/inference_core.R). The first term is the conditional variance of the random effects at the
# estimates, the second the parameters' uncertainty propagated through the mode. REML fits, as
# glmmTMB's: beta is integrated out like b, so a_i splits into the fixed effects' part (x_i + the
# shift of b with beta, with the covariance of beta given theta) and theta's (through the joint
# mode of beta and b). A level not in the fit has b = 0 at every phi and its prior covariance.

# Standard errors of the linear predictor of the rows with fixed-effects design X (NA rows give
# NA) and random-effect terms `terms_used` (selected_re_terms(): indices into object$re and the
# columns used) read from `newdata` (NULL: the fit's rows).
prediction_se <- function(object, X, terms_used, newdata = NULL) {
  se <- rep(NA_real_, nrow(X))
  if (!length(terms_used)) {
    ok <- stats::complete.cases(X)
    se[ok] <- sqrt(rowSums((X[ok, , drop = FALSE] %*% object$vcov) * X[ok, , drop = FALSE]))
    return(se)
  }
  rows <- prediction_re_rows(object, terms_used, newdata)
  ok <- stats::complete.cases(X) & !rows$missing
  if (!any(ok)) return(se)
  rows <- subset_re_rows(rows, ok)
  X <- X[ok, , drop = FALSE]
  view <- inference_view(object)
  variance <- conditional_variance(view, rows) + prior_variance(object, rows)
  variance <- variance + if (view$reml) reml_parameter_variance(view, X, rows) else parameter_variance(view, X, rows)
  se[ok] <- sqrt(pmax(variance, 0))
  se
}

# For each used term as the core has it (core_terms(): a "diag" term is one term per column): the
# row's level (1-based; NA for a level not in the fit) and its columns Z (zero where the grouping
# value is NA, and for columns re.form leaves out). `missing` marks rows whose columns are NA.
prediction_re_rows <- function(object, terms_used, newdata) {
  env <- environment(object$formula)
  nd <- if (!is.null(newdata)) as_newdata_frame(newdata)
  n <- if (is.null(nd)) object$nobs else nrow(nd)
  missing <- rep(FALSE, n)
  first_core <- cumsum(c(1L, core_term_counts(object$re)))
  terms <- unlist(lapply(terms_used, function(sel) {
    i <- sel$index
    term <- object$re[[i]]
    if (is.null(nd)) {
      code <- term$codes + 1L
      Z <- term$Xt
    } else {
      key <- group_keys_newdata(term, nd, env)
      Z <- re_columns_newdata(term, object$frame, nd, env)
      missing <<- missing | rowSums(is.na(Z)) > 0
      Z[is.na(key), ] <- 0   # no grouping value: the term adds nothing (a population-level row)
      code <- match(key, term$levels)
    }
    Z[, !sel$columns] <- 0
    if (!identical(term$structure, "diag")) return(list(list(index = first_core[i], code = code, Z = Z)))
    lapply(seq_len(ncol(Z)), function(k) list(index = first_core[i] + k - 1L, code = code, Z = Z[, k, drop = FALSE]))
  }), recursive = FALSE)
  list(terms = terms, missing = missing)
}

# The rows `keep` of prediction_re_rows()'s result.
subset_re_rows <- function(rows, keep) {
  rows$terms <- lapply(rows$terms, function(t) {
    t$code <- t$code[keep]
    t$Z <- t$Z[keep, , drop = FALSE]
    t
  })
  rows$missing <- rows$missing[keep]
  rows
}

# Position of each term's first element in the formula-ordered vector b (term, level, column).
re_offsets <- function(re) {
  sizes <- vapply(re, function(t) t$nlev * ncol(t$Xt), numeric(1))
  c(0, cumsum(sizes))[seq_along(re)]
}

# z_i' Cov(b | y) z_i for the known levels: |S z_i|^2 with S z_i the half-solve of z_i with the
# conditional precision. With more rows than random effects (q up to 6000), the half-solve S of
# the identity is taken once and each row needs only the entries C_ab = S_a'S_b at its few
# positions (each distinct pair computed once); otherwise the rows are half-solved in chunks.
# Dense blocks take at most ~4e6 numbers (the identity's q^2 aside).
conditional_variance <- function(view, rows) {
  q <- sum(vapply(view$re, function(t) t$nlev * ncol(t$Xt), numeric(1)))
  m <- length(rows$missing)
  if (m > q && q <= 6000) return(conditional_variance_by_entries(view_half_solve(view, diag(q)), re_row_positions(view, rows)))
  out <- numeric(m)
  chunk <- max(1L, floor(4e6 / q))
  for (start in seq(1L, m, by = chunk)) {
    idx <- start:min(m, start + chunk - 1L)
    out[idx] <- colSums(view_half_solve(view, re_rows_matrix(view, rows, idx))^2)
  }
  out
}

# sum_jk z_j z_k C[a_j, a_k] per row, with C = S'S read entry by entry from S (q x q).
conditional_variance_by_entries <- function(S, at) {
  q <- nrow(S)
  pos <- at$pos
  z <- at$z
  out <- rowSums(z^2 * matrix(colSums(S^2)[pos], nrow(pos)), na.rm = TRUE)
  P <- ncol(pos)
  for (j in seq_len(P - 1L)) for (k in (j + 1L):P) {
    ok <- which(!is.na(pos[, j]) & !is.na(pos[, k]))
    if (!length(ok)) next
    key <- (pos[ok, j] - 1) * q + pos[ok, k]
    pairs <- unique(key)
    a <- (pairs - 1) %/% q + 1
    b <- (pairs - 1) %% q + 1
    entry <- numeric(length(pairs))
    chunk <- max(1L, floor(4e6 / q))
    for (start in seq(1L, length(pairs), by = chunk)) {
      i <- start:min(length(pairs), start + chunk - 1L)
      entry[i] <- colSums(S[, a[i], drop = FALSE] * S[, b[i], drop = FALSE])
    }
    out[ok] <- out[ok] + 2 * z[ok, j] * z[ok, k] * entry[match(key, pairs)]
  }
  out
}

# Each row's positions in b (NA for levels not in the fit) and values, one column per column of
# each used term: list(pos, z), m x P.
re_row_positions <- function(view, rows) {
  offsets <- re_offsets(view$re)
  cols <- unlist(lapply(rows$terms, function(t) {
    p <- ncol(t$Z)
    lapply(seq_len(p), function(j) list(pos = offsets[t$index] + (t$code - 1L) * p + j, z = t$Z[, j]))
  }), recursive = FALSE)
  list(pos = do.call(cbind, lapply(cols, `[[`, "pos")), z = do.call(cbind, lapply(cols, `[[`, "z")))
}

# For rows `idx`: the q x length(idx) matrix whose column i is z_i (known levels only).
re_rows_matrix <- function(view, rows, idx) {
  offsets <- re_offsets(view$re)
  q <- sum(vapply(view$re, function(t) t$nlev * ncol(t$Xt), numeric(1)))
  out <- matrix(0, q, length(idx))
  for (t in rows$terms) {
    known <- which(!is.na(t$code[idx]))
    p <- ncol(t$Z)
    for (j in seq_len(p)) {
      pos <- offsets[t$index] + (t$code[idx][known] - 1L) * p + j
      out[cbind(pos, known)] <- out[cbind(pos, known)] + t$Z[idx[known], j]
    }
  }
  out
}

# z_t' Sigma_t z_t for terms whose level is not in the fit (their b is a draw from the prior).
prior_variance <- function(object, rows) {
  out <- numeric(length(rows$missing))
  covs <- re_covariances(object$theta, if (is_gaussian_identity(object$family)) object$sigma else 1, core_terms(object$re))
  for (t in rows$terms) {
    new_level <- is.na(t$code)
    if (!any(new_level)) next
    Z <- t$Z[new_level, , drop = FALSE]
    out[new_level] <- out[new_level] + rowSums((Z %*% covs[[t$index]]) * Z)
  }
  out
}

# z_i' M for the known levels: rows of the q-row matrix M combined by each row's levels and columns.
re_rows_times <- function(view, rows, M) {
  offsets <- re_offsets(view$re)
  out <- matrix(0, length(rows$missing), ncol(M))
  for (t in rows$terms) {
    known <- which(!is.na(t$code))
    p <- ncol(t$Z)
    for (j in seq_len(p)) {
      pos <- offsets[t$index] + (t$code[known] - 1L) * p + j
      out[known, ] <- out[known, ] + t$Z[known, j] * M[pos, , drop = FALSE]
    }
  }
  out
}

# a_i' V_phi a_i with a_i = x_i' d beta / d phi + z_i' d b / d phi (ML and Laplace fits).
parameter_variance <- function(view, X, rows) {
  V <- view_covariance(view)
  G <- view_modes_jacobian(view)
  A <- X %*% view_beta_jacobian(view) + re_rows_times(view, rows, G)
  rowSums((A %*% V) * A)
}

# REML: (x_i + (d b / d beta)' z_i)' Cov(beta | theta) (...) + a_i' V a_i with a_i the derivative
# of x_i' beta + z_i' b at their joint mode in (theta, log sigma), V from the REML criterion.
reml_parameter_variance <- function(view, X, rows) {
  G <- view_modes_jacobian(view)
  db_dbeta <- G[, view$z_idx, drop = FALSE] %*% solve(view$A)
  Ax <- X + re_rows_times(view, rows, db_dbeta)
  beta_part <- rowSums((Ax %*% view$object$vcov) * Ax)
  V <- reml_covariance(view)
  d <- reml_modes_jacobian(view)
  A <- X %*% d$beta + re_rows_times(view, rows, d$b)
  beta_part + rowSums((A %*% V) * A)
}
