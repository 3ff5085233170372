# ddf.R: denominator degrees of freedom for t and F tests of the fixed effects of linear mixed
# models. Satterthwaite's (as lmerTest computes them): for a contrast l, with Vb(v) = sigma^2
# (RX'RX)^{-1} the covariance of beta as a function of the variance parameters v = (theta,
# log sigma) and A = 2 H^{-1} their covariance from the Hessian H of the deviance (ML or REML, as
# the fit, beta profiled out), df = 2 (l'Vb l)^2 / (g'A g) with g = d(l'Vb l)/dv; F tests of
# several contrasts combine the df of the eigen-directions of L Vb L'. Kenward and Roger's (as
# pbkrtest computes them, REML fits): the covariance of beta adjusted for the variance parameters'
# uncertainty, Phi_A = Phi + 2 Phi U Phi, and the df of its approximate F distribution, from the
# marginal covariance Sigma = sum_r s_r G_r of the responses (dense n x n matrices, as pbkrtest).

#' Denominator degrees of freedom: Kenward-Roger and Satterthwaite
#'
#' Degrees of freedom for t tests of the fixed effects (or of contrasts of them) of a linear
#' mixed model: Kenward and Roger's, as 'pbkrtest' computes them, and Satterthwaite's, as
#' 'lmerTest' computes them. `dof_KR()` and `dof_satt()` have the names and results of
#' 'glmmTMB''s functions (1.1.13 and later); `summary(m, ddf = ...)` and `anova(m, ddf = ...)`
#' use them for tests laid out as 'lmerTest' prints them.
#'
#' Satterthwaite's method uses the deviance the model was fitted with (ML or REML) and the
#' covariance of the fixed effects given the variance parameters, \eqn{\sigma^2 (X'V^{-1}X)^{-1}}
#' ('lme4''s and 'lmerTest''s; for ML fits it is a little smaller than [vcov.glmmlab()]'s, which
#' also reflects the variance parameters' uncertainty, as 'glmmTMB''s). Kenward and Roger's
#' method needs a REML fit (as in 'lmerTest'; refit with `REML = TRUE`); it also adjusts the
#' covariance of the fixed effects (attribute `"vcov"`, standard errors `"se"`). It forms
#' \eqn{n \times n} matrices, as 'pbkrtest' does, so it is limited to 5000 observations.
#'
#' @param model a linear mixed model (gaussian family, identity link) fitted by [glmm()].
#' @param L a matrix of contrasts, one per row (one column per fixed effect); by default the
#'   identity: one test per fixed effect.
#' @return A numeric vector of degrees of freedom, one per row of `L` (`dof_KR()`: per fixed
#'   effect, with attributes `"vcov"`, the Kenward-Roger adjusted covariance, and `"se"`).
#' @seealso [summary.glmmlab()] and [anova.glmmlab()] with `ddf`.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(1:10, each = 6)), x = rep(1:6, 10))
#' d$y <- 2 + 0.3 * d$x + rnorm(10)[d$g] + rnorm(60, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d, REML = TRUE)
#' dof_KR(m)
#' dof_satt(m)
#' summary(m, ddf = "Kenward-Roger")
#' @export
dof_KR <- function(model) {
  ctx <- kenward_roger_context(model)
  p <- length(model$beta)
  dof <- vapply(seq_len(p), function(j) kenward_roger_test(ctx, diag(p)[j, , drop = FALSE])$ddf, numeric(1))
  names(dof) <- names(model$beta)
  attr(dof, "vcov") <- ctx$Phi_A
  attr(dof, "se") <- sqrt(diag(ctx$Phi_A))
  dof
}

#' @rdname dof_KR
#' @export
dof_satt <- function(model, L = diag(length(model$beta))) {
  ctx <- satterthwaite_context(model)
  L <- check_contrasts(L, length(model$beta))
  vapply(seq_len(nrow(L)), function(i) satterthwaite_df(ctx, L[i, ]), numeric(1))
}

# A linear mixed model, or an error naming what is needed.
check_lmm_for_ddf <- function(model, method) {
  if (!inherits(model, "glmmlab")) stop("`model` must be a model fitted by glmm()", call. = FALSE)
  if (!is_gaussian_identity(model$family)) {
    stop(sprintf("%s degrees of freedom are for linear mixed models (gaussian family, identity link); this model is %s(%s)",
                 method, model$family$family, model$family$link), call. = FALSE)
  }
  if (!length(model$beta)) stop("the model has no fixed effects to test", call. = FALSE)
}

# Contrasts as a matrix with one column per fixed effect.
check_contrasts <- function(L, p) {
  if (is.numeric(L) && is.null(dim(L))) L <- matrix(L, nrow = 1L)
  if (!is.matrix(L) || !is.numeric(L) || ncol(L) != p || anyNA(L)) {
    stop(sprintf("`L` must be a numeric matrix of contrasts with %d columns (one per fixed effect)", p), call. = FALSE)
  }
  L
}

# ---- Satterthwaite

# What Satterthwaite's df need: beta, Vb, the covariance A of (theta, log sigma), dVb / d them.
satterthwaite_context <- function(model) {
  check_lmm_for_ddf(model, "Satterthwaite")
  reml <- isTRUE(model$REML)
  core <- ensure_core(model)
  unit <- theta_unit(model$prior_weights)
  s2 <- model$sigma^2
  H <- lmm_varpar_hessian(core, model$theta, model$sigma, reml, unit)   # R/inference_core.R
  prec <- lmm_beta_precision_inverse(core, model$theta, reml, unit)
  V <- s2 * prec$value
  dimnames(V) <- list(names(model$beta), names(model$beta))
  list(beta = model$beta, V = V, A = 2 * eigen_pseudo_inverse(H), jacobian = c(lapply(prec$jacobian, `*`, s2), list(2 * V)),
       sigma = model$sigma)
}

# H^{-1} from the eigenvalues above 1e-6 (as lmerTest), with a warning for the others.
eigen_pseudo_inverse <- function(H, tol = 1e-6) {
  e <- eigen(H, symmetric = TRUE)
  pos <- e$values > tol
  if (!all(pos)) {
    warning("the Hessian of the deviance in the variance parameters has eigenvalues at or below zero (a variance at 0?): their directions are left out of the degrees of freedom",
            call. = FALSE)
  }
  e$vectors[, pos, drop = FALSE] %*% (t(e$vectors[, pos, drop = FALSE]) / e$values[pos])
}

# Satterthwaite's df of the contrast l'beta.
satterthwaite_df <- function(ctx, l) {
  variance <- sum(l * (ctx$V %*% l))
  g <- vapply(ctx$jacobian, function(J) sum(l * (J %*% l)), numeric(1))
  2 * variance^2 / sum(g * (ctx$A %*% g))
}

# F test of L beta = 0 with Satterthwaite's df (lmerTest's combination of the eigen-directions).
satterthwaite_ftest <- function(ctx, L) {
  VL <- L %*% ctx$V %*% t(L)
  e <- eigen(VL, symmetric = TRUE)
  q <- sum(e$values > max(sqrt(.Machine$double.eps) * e$values[1L], 0))
  if (q == 0L) return(list(F = NA_real_, ndf = 0L, ddf = NA_real_))
  PtL <- crossprod(e$vectors, L)[seq_len(q), , drop = FALSE]
  t2 <- drop(PtL %*% ctx$beta)^2 / e$values[seq_len(q)]
  nu <- vapply(seq_len(q), function(m) satterthwaite_df(ctx, PtL[m, ]), numeric(1))
  ddf <- if (q == 1L || all(abs(diff(nu)) < 1e-8)) mean(nu) else if (any(nu <= 2)) 2 else {
    E <- sum(nu / (nu - 2))
    2 * E / (E - q)
  }
  list(F = sum(t2) / q, ndf = q, ddf = ddf, scale = 1)
}

# ---- Kenward-Roger

# The marginal covariance's pieces and the adjusted covariance Phi_A (REML fits).
kenward_roger_context <- function(model) {
  check_lmm_for_ddf(model, "Kenward-Roger")
  if (!isTRUE(model$REML)) {
    stop("Kenward-Roger's method needs a REML fit (as in lmerTest; pbkrtest refits by REML): refit with REML = TRUE", call. = FALSE)
  }
  n <- model$nobs
  if (n > 5000) {
    stop(sprintf("Kenward-Roger's method forms %d x %d matrices (as pbkrtest does); with %d observations use ddf = \"Satterthwaite\"",
                 n, n, n), call. = FALSE)
  }
  X <- model$X
  comps <- marginal_covariance_components(model)
  Sigma <- Reduce(`+`, Map(`*`, comps$value, comps$G))
  Sigma_inv <- chol2inv(chol(Sigma))
  Phi <- chol2inv(chol(crossprod(X, Sigma_inv %*% X)))
  k <- length(comps$G)
  SiX <- Sigma_inv %*% X
  GS <- lapply(comps$G, function(G) G %*% Sigma_inv)           # G_r Sigma^{-1}
  P <- lapply(comps$G, function(G) -crossprod(SiX, G %*% SiX))  # d Phi^{-1} / d s_r
  Q <- matrix(list(), k, k)
  for (r in seq_len(k)) for (s in seq_len(k)) Q[[r, s]] <- crossprod(SiX, GS[[r]] %*% comps$G[[s]] %*% SiX)
  info <- matrix(0, k, k)   # twice the REML information of the s_r
  for (r in seq_len(k)) for (s in seq_len(k)) {
    info[r, s] <- sum(t(GS[[r]]) * GS[[s]]) - 2 * sum(Phi * Q[[r, s]]) + sum((Phi %*% P[[r]]) * (P[[s]] %*% Phi))
  }
  ev <- eigen(info, symmetric = TRUE, only.values = TRUE)$values
  W <- if (min(abs(ev)) > 1e-10) 2 * solve(info) else 2 * svd_pseudo_inverse(info)
  W <- (W + t(W)) / 2
  U <- matrix(0, ncol(X), ncol(X))
  for (r in seq_len(k)) for (s in seq_len(k)) U <- U + W[r, s] * (Q[[r, s]] - P[[r]] %*% Phi %*% P[[s]])
  Phi_A <- Phi + 2 * Phi %*% U %*% Phi
  dimnames(Phi) <- dimnames(Phi_A) <- list(names(model$beta), names(model$beta))
  list(beta = model$beta, Phi = Phi, Phi_A = Phi_A, P = P, W = W, sigma = model$sigma)
}

# The variance components s_r of the responses' covariance Sigma = sum_r s_r G_r: for each term
# the lower triangle (by column) of its covariance matrix, G_r = Z_t (I (x) E_ij) Z_t'; then the
# residual variance, G = W^{-1} (prior weights).
marginal_covariance_components <- function(model) {
  value <- list()
  G <- list()
  core <- core_terms(model$re)   # a "diag" term: one variance per column, no covariances
  covs <- re_covariances(model$theta, model$sigma, core)
  for (i in seq_along(core)) {
    t <- core[[i]]
    same <- outer(t$codes, t$codes, "==")
    S <- covs[[i]]
    k <- ncol(t$Xt)
    for (b in seq_len(k)) for (a in b:k) {
      Gab <- same * outer(t$Xt[, a], t$Xt[, b])
      if (a != b) Gab <- Gab + t(Gab)
      value[[length(value) + 1L]] <- S[a, b]
      G[[length(G) + 1L]] <- Gab
    }
  }
  value[[length(value) + 1L]] <- model$sigma^2
  G[[length(G) + 1L]] <- diag(1 / model$prior_weights, model$nobs)
  list(value = value, G = G)
}

# Moore-Penrose inverse from the singular values above a relative 1e-10.
svd_pseudo_inverse <- function(M) {
  s <- svd(M)
  keep <- s$d > 1e-10 * max(s$d)
  s$v[, keep, drop = FALSE] %*% (t(s$u[, keep, drop = FALSE]) / s$d[keep])
}

# Kenward-Roger F test of L beta = 0 (q rows of full rank): the unscaled F with Phi_A, its
# scaling and denominator df (Kenward and Roger 1997, as pbkrtest).
kenward_roger_test <- function(ctx, L) {
  Phi <- ctx$Phi
  q <- qr(L)$rank
  Theta <- t(L) %*% solve(L %*% Phi %*% t(L), L)
  u <- lapply(ctx$P, function(P) Theta %*% Phi %*% P %*% Phi)
  k <- length(u)
  A1 <- 0
  A2 <- 0
  for (r in seq_len(k)) for (s in seq_len(k)) {
    A1 <- A1 + ctx$W[r, s] * sum(diag(u[[r]])) * sum(diag(u[[s]]))
    A2 <- A2 + ctx$W[r, s] * sum(u[[r]] * t(u[[s]]))
  }
  B <- (A1 + 6 * A2) / (2 * q)
  g <- ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
  d <- 3 * q + 2 * (1 - g)
  c1 <- g / d
  c2 <- (q - g) / d
  c3 <- (q + 2 - g) / d
  V0 <- 1 + c1 * B
  if (abs(V0) < 1e-10) V0 <- 0
  V1 <- 1 - c2 * B
  V2 <- 1 - c3 * B
  ratio <- if (abs(1 - A2 / q) < 1e-14 && abs(V1) < 1e-14) 1 else (1 - A2 / q) / V1
  rho <- ratio^2 * V0 / (q * V2)
  ddf <- 4 + (q + 2) / (q * rho - 1)
  scale <- if (abs(ddf - 2) < 0.01) 1 else ddf * (1 - A2 / q) / (ddf - 2)
  Lb <- L %*% ctx$beta
  F_unscaled <- drop(crossprod(Lb, solve(L %*% ctx$Phi_A %*% t(L), Lb))) / q
  list(F = F_unscaled, ndf = q, ddf = ddf, scale = scale)
}

# ---- Tables

# Estimate, Std. Error, df, t value, Pr(>|t|) of each fixed effect with `method`'s df (and for
# Kenward-Roger its adjusted standard errors), as lmerTest's summary() shows them.
ddf_coefficient_table <- function(object, method) {
  p <- length(object$beta)
  if (method == "satterthwaite") {
    ctx <- satterthwaite_context(object)
    se <- sqrt(diag(ctx$V))
    df <- vapply(seq_len(p), function(j) satterthwaite_df(ctx, diag(p)[j, ]), numeric(1))
  } else {
    ctx <- kenward_roger_context(object)
    se <- sqrt(diag(ctx$Phi_A))
    df <- vapply(seq_len(p), function(j) kenward_roger_test(ctx, diag(p)[j, , drop = FALSE])$ddf, numeric(1))
  }
  t <- object$beta / se
  out <- cbind(Estimate = object$beta, "Std. Error" = se, df = df, "t value" = t, "Pr(>|t|)" = 2 * stats::pt(-abs(t), df))
  rownames(out) <- names(object$beta)
  out
}

# lmerTest's F-test table of the fixed-effect terms (hypotheses of `type`) with `method`'s df.
ddf_anova_table <- function(object, method, type) {
  hypotheses <- term_hypotheses(object, type)
  ctx <- if (method == "satterthwaite") satterthwaite_context(object) else kenward_roger_context(object)
  rows <- lapply(hypotheses, function(L) {
    test <- if (method == "satterthwaite") satterthwaite_ftest(ctx, L) else kenward_roger_test(ctx, L)
    mean_sq <- test$F * ctx$sigma^2
    F_value <- test$F * test$scale
    c("Sum Sq" = mean_sq * test$ndf, "Mean Sq" = mean_sq, NumDF = test$ndf, DenDF = test$ddf, "F value" = F_value,
      "Pr(>F)" = stats::pf(F_value, test$ndf, test$ddf, lower.tail = FALSE))
  })
  out <- as.data.frame(do.call(rbind, rows), check.names = FALSE)
  rownames(out) <- names(hypotheses)
  label <- c(satterthwaite = "Satterthwaite's", "kenward-roger" = "Kenward-Roger's")[[method]]
  structure(out, heading = sprintf("Type %s Analysis of Variance Table with %s method", type, label),
            class = c("anova", "data.frame"))
}

# The hypothesis matrices of each fixed-effect term: type "I" (sequential: rows of the Cholesky
# factor of X'X, each term adjusted for those before it) or "III" (lmerTest's: each term's
# estimable functions made orthogonal to those of the terms containing it, computed with
# treatment contrasts and mapped to the fit's coding).
term_hypotheses <- function(object, type) {
  X <- object$X
  assign <- attr(X, "assign")
  labels <- attr(object$terms, "term.labels")
  if (is.null(assign) || !length(labels)) stop("the model has no fixed-effect terms to test", call. = FALSE)
  tested <- seq_along(labels)
  if (type == "I" || length(labels) == 1L) {   # lmerTest: type III of one term is type I
    R <- chol(crossprod(X))
    R <- R / diag(R)
    out <- lapply(tested, function(k) R[assign == k, , drop = FALSE])
  } else {
    out <- type3_hypotheses(object)
  }
  names(out) <- labels
  out[vapply(out, nrow, integer(1)) > 0L]
}

# lmerTest's type III hypotheses (see term_hypotheses()).
type3_hypotheses <- function(object) {
  tt <- object$terms
  labels <- attr(tt, "term.labels")
  frame <- object$frame
  X <- object$X
  treatment <- lapply(Filter(is.factor, frame[intersect(all.vars(stats::delete.response(tt)), names(frame))]),
                      function(f) "contr.treatment")
  Xt <- full_rank_columns(if (length(treatment)) stats::model.matrix(tt, frame, contrasts.arg = treatment) else X)
  # the indicator ("over-parameterized") design: every level of every term
  blocks <- lapply(labels, function(lab) stats::model.matrix(stats::as.formula(paste("~ 0 +", lab)), frame))
  rdX <- do.call(cbind, blocks)
  if (attr(tt, "intercept")) rdX <- cbind("(Intercept)" = 1, rdX)
  L <- zap(t(svd_pseudo_inverse(Xt) %*% rdX))
  columns <- split(seq_len(ncol(Xt)), attr(Xt, "assign"))
  term_cols <- lapply(seq_along(labels), function(k) columns[[as.character(k)]])
  containers <- term_containment(tt, frame)
  for (k in order(attr(tt, "order"), decreasing = TRUE)) {
    inside <- unlist(term_cols[containers[[k]]])
    if (length(inside) && length(term_cols[[k]])) {
      fit <- stats::lm.fit(x = L[, inside, drop = FALSE], y = L[, term_cols[[k]], drop = FALSE])
      L[, term_cols[[k]]] <- zap(as.matrix(fit$residuals))
    }
  }
  L <- L[colnames(Xt), , drop = FALSE]
  to_fit <- zap(svd_pseudo_inverse(Xt) %*% X)   # the fit's coding
  lapply(term_cols, function(cols) {
    H <- t(L[, cols, drop = FALSE]) %*% to_fit
    H[rowSums(abs(H)) > 1e-8, , drop = FALSE]
  })
}

# Columns of X up to full rank (those that are linear combinations of earlier ones dropped).
full_rank_columns <- function(X) {
  q <- qr(X)
  keep <- sort(q$pivot[seq_len(q$rank)])
  out <- X[, keep, drop = FALSE]
  attr(out, "assign") <- attr(X, "assign")[keep]
  out
}

# Round to zero what is zero to rounding (as zapsmall()).
zap <- function(M) {
  M[abs(M) < 1e-10 * max(1, max(abs(M)))] <- 0
  M
}

# For each term, the terms that contain it: all its variables and more, the same numeric ones.
term_containment <- function(tt, frame) {
  factors <- attr(tt, "factors")
  labels <- attr(tt, "term.labels")
  vars <- lapply(labels, function(lab) rownames(factors)[factors[, lab] > 0])
  numeric_vars <- lapply(vars, function(v) v[vapply(v, function(x) {
    col <- frame[[x]]
    !is.null(col) && is.numeric(col) && !is.factor(col)
  }, logical(1))])
  lapply(seq_along(labels), function(i) {
    which(vapply(seq_along(labels), function(j) {
      all(vars[[i]] %in% vars[[j]]) && length(setdiff(vars[[j]], vars[[i]])) > 0L && setequal(numeric_vars[[i]], numeric_vars[[j]])
    }, logical(1)))
  })
}
