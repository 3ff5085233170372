# inference_core.R: the one place where the inference methods (conditional prediction standard
# errors, vcov(full = TRUE), intervals in glmmTMB's parameters, sandwich scores, ddf) read the C++
# core. They need, at a parameter vector phi: the deviance (-2 log L; the Laplace approximation
# for GLMMs) and its Hessian, the conditional modes b(phi), and half-solves with the conditional
# precision of the random effects. It reads the cores through R/core.R's interface only.
#
# phi is the GLMM core's packed vector: theta of the scaled columns, the conditioned fixed effects
# z (beta = A z) and the log dispersion. A linear mixed model gets a gaussian GLMM core of its own
# for this view (for gaussian data the Laplace approximation is exact, so that core's deviance is
# the ML deviance at any theta, beta and sigma, and its H is the LMM's A); a REML fit adds the LMM
# core's REML criterion in phi_reml = (theta relative to sigma, log sigma), beta integrated out.
# psi is glmmTMB's vector of parameters: beta, betad (log dispersion on glmmTMB 1.1.5's scale:
# log sigma^2 for gaussian, log of the shape for Gamma, log of sigma() otherwise), and per term the
# log SDs then the correlation parameters of its unit lower-triangular factor (row by row).

# The view of a fit the inference code works with (a list): core, phi, conditioning, scales, sizes.
inference_view <- function(object) {
  re <- core_terms(object$re)   # the terms as the core fits them: a "diag" term is one scalar term per column
  lmm <- is_gaussian_identity(object$family)
  if (!lmm && isTRUE(object$REML)) {
    stop("standard errors of conditional predictions, vcov(full = TRUE) and the other inference tools are not available for REML fits of GLMMs yet: refit with REML = FALSE",
         call. = FALSE)
  }
  if (!length(re)) stop("this model has no random effects: use vcov(m) and predict(m, re.form = NA, se.fit = TRUE)", call. = FALSE)
  if (lmm) {   # a gaussian GLMM core of the same design
    map <- glmm_parameter_map(re, object$X, stats::gaussian())
    core <- new_core(map, re, object$X, object$y, object$prior_weights, object$offset, family = stats::gaussian())
    phi <- map_internal(map, object$theta * object$sigma, object$beta, object$sigma)
  } else {
    core <- ensure_core(object)
    map <- core$map
    phi <- object$par
  }
  codes <- family_codes(if (lmm) stats::gaussian() else object$family)
  scale <- map$re_scale
  A <- map$A
  p <- length(object$beta)
  ntheta <- length(object$theta)
  view <- list(object = object, core = core, phi = phi, A = A, scale = scale, re = re, p = p, ntheta = ntheta,
               has_disp = isTRUE(codes$has_dispersion), lmm = lmm, reml = lmm && isTRUE(object$REML),
               nagq = if (is.null(object$nAGQ)) 1L else object$nAGQ, family = object$family$family)
  view$theta_idx <- seq_len(ntheta)
  view$z_idx <- ntheta + seq_len(p)
  view$disp_idx <- if (view$has_disp) ntheta + p + 1L else integer(0)
  if (view$reml) view$lmm_core <- ensure_core(object)
  view
}

# Hessian of the deviance in phi at the estimates. GLMMs: the Hessian glmmTMB reports standard
# errors from (R/fit_glmm.R's tmb_hessian(): steps of 1e-3 in glmmTMB's parameters, a secant for
# slopes of raw-scale predictors), so that these covariances agree with the fit's vcov() and with
# glmmTMB. Otherwise (linear mixed models, whose vcov() is exact, and singular fits, where
# glmmTMB's log SDs do not exist) central differences of the analytic gradient (Laplace) or of
# the deviance (adaptive quadrature).
view_hessian <- function(view) {
  phi <- view$phi
  singular <- any(theta_diagonal_mask(view$re) & phi[view$theta_idx] <= 1e-6)
  if (!view$lmm && !singular && view$p > 0L) {
    tmb <- tmb_hessian(view$core, phi, use_gradient = view$nagq == 1L)
    if (!is.null(tmb$H_z) && all(is.finite(tmb$H_z))) return((tmb$H_z + t(tmb$H_z)) / 2)
  }
  H <- if (view$nagq == 1L) {
    gradient_hessian(view$core, phi, 1e-4 * pmax(abs(phi), 1))
  } else {
    fd_hessian(function(x) core_objective(view$core, x), phi, 2e-4 * pmax(abs(phi), 1))
  }
  (H + t(H)) / 2
}

# Conditional modes b(phi) on the user's scale, one vector in the formula's order (term, level, column).
view_modes <- function(view, phi) {
  st <- core_state(view$core, phi)
  unscale_b(st$b, view$re, view$scale)
}

# d b(phi) / d phi at the estimates (q x length(phi)), by central differences; PIRLS starts from
# the mode and converges to rounding, so steps of 1e-4 leave errors near 1e-8 relative.
view_modes_jacobian <- function(view) {
  phi <- view$phi
  unname(fd_jacobian(function(x) view_modes(view, x), phi, 1e-4 * pmax(abs(phi), 1)))
}

# L^{-1} P Lambda' V at the estimates for V (q x k, rows in the formula's order of the user's b):
# crossprod() of the result is V' Cov(b | y) V, the conditional covariance of V'b.
view_half_solve <- function(view, V) {
  s <- unlist(lapply(seq_along(view$re), function(i) rep(view$scale[[i]], view$re[[i]]$nlev)))
  core_half_solve(view$core, view$phi, V / s)   # b_user = b_core / s: V'b_user = (V / s)'b_core
}

# Fixed effects on the user's scale at phi.
view_beta <- function(view, phi) drop(view$A %*% phi[view$z_idx])

# d beta / d phi (p x length(phi)).
view_beta_jacobian <- function(view) {
  J <- matrix(0, view$p, length(view$phi))
  J[, view$z_idx] <- view$A
  J
}

# One cluster's log-likelihood and the gradient of its deviance in phi at the estimates: a core
# for its observations alone (all levels kept, those without observations add nothing).
cluster_score <- function(view, rows) {
  object <- view$object
  re <- lapply(view$re, function(t) {
    t$codes <- t$codes[rows]
    t$Xt <- t$Xt[rows, , drop = FALSE]
    t
  })
  family <- if (view$lmm) stats::gaussian() else object$family
  # the view's map (the full design's conditioning and column scales), so phi means the same
  core <- new_core(view$core$map, re, object$X[rows, , drop = FALSE], object$y[rows], object$prior_weights[rows],
                   object$offset[rows], family = family, nAGQ = view$nagq)
  gradient <- if (view$nagq == 1L) core_gradient(core, view$phi) else {
    drop(fd_jacobian(function(x) core_objective(core, x), view$phi, 1e-4 * pmax(abs(view$phi), 1)))
  }
  list(loglik = -core_objective(core, view$phi) / 2, gradient = gradient)
}

# ---- REML fits of linear mixed models: the REML criterion in phi_reml = (theta, log sigma).

# The LMM core's state at relative theta (REML: beta and b at their joint mode given theta).
reml_state <- function(view, theta) core_state(view$lmm_core, theta, reml = TRUE)

# phi_reml at the estimates.
reml_phi <- function(view) c(view$object$theta, log(view$object$sigma))

# Hessian of the REML criterion in (theta, s = log sigma) at the estimates.
reml_hessian <- function(view) {
  lmm_varpar_hessian(view$lmm_core, view$object$theta, view$object$sigma, TRUE, theta_unit(view$object$prior_weights))
}

# Hessian of the LMM deviance with beta profiled out (ML) or integrated out (REML) in
# (theta, s = log sigma), at theta and sigma. The deviance is g(theta) + c s + Q(theta) e^{-2s} +
# const, g = log|L|^2 (+ log|RX|^2 for REML), c = 2n (2(n - p)), Q the penalized residual sum of
# squares, so only the theta derivatives of g and Q take differences (1 + 2k + k(k - 1) states).
lmm_varpar_hessian <- function(lmm_core, theta, sigma, reml, unit = 1) {
  s2 <- sigma^2
  k <- length(theta)
  at <- function(th) {
    st <- core_state(lmm_core, th, reml = reml)
    c(g = st$logdet_L2 + if (reml) st$logdet_RX2 else 0, Q = st$pwrss)
  }
  h <- 1e-4 * pmax(abs(theta), 0.1 * unit)
  f0 <- at(theta)
  H <- matrix(0, k + 1L, k + 1L)
  H[seq_len(k), seq_len(k)] <- fd_hessian(function(th) sum(at(th) * c(1, 1 / s2)), theta, h, f0 = sum(f0 * c(1, 1 / s2)))
  H[seq_len(k), k + 1L] <- H[k + 1L, seq_len(k)] <- -2 * drop(fd_jacobian(function(th) at(th)[["Q"]], theta, h)) / s2
  H[k + 1L, k + 1L] <- 4 * f0[["Q"]] / s2
  H
}

# (RX'RX)^{-1} at theta and its derivatives in theta (central differences): the covariance of
# beta given theta is sigma^2 times it. list(value, jacobian = list of p x p, one per theta).
lmm_beta_precision_inverse <- function(lmm_core, theta, reml, unit = 1) {
  inv_at <- function(th) chol2inv(core_state(lmm_core, th, reml = reml)$RX)
  value <- inv_at(theta)
  J <- fd_jacobian(function(th) c(inv_at(th)), theta, 1e-4 * pmax(abs(theta), 0.1 * unit))
  list(value = value, jacobian = lapply(seq_along(theta), function(i) matrix(J[, i], nrow(value))))
}

# d (beta, b) / d phi_reml at the estimates for the joint mode given theta (it does not depend on
# sigma): list(beta = p x (k + 1), b = q x (k + 1)).
reml_modes_jacobian <- function(view) {
  theta <- view$object$theta
  k <- length(theta)
  h <- 1e-5 * pmax(abs(theta), 0.1 * theta_unit(view$object$prior_weights))
  J <- unname(fd_jacobian(function(th) { st <- reml_state(view, th); c(st$beta, st$b) }, theta, h))
  list(beta = cbind(J[seq_len(view$p), , drop = FALSE], 0), b = cbind(J[-seq_len(view$p), , drop = FALSE], 0))
}

# ---- Covariance of the parameters.

# 2 H^{-1} (the covariance of phi from the deviance's Hessian H), for the coordinates in `keep`
# (the others get zero rows and columns: held at their estimates). NULL when H is not positive
# definite there.
hessian_covariance <- function(H, keep = seq_len(nrow(H))) {
  V <- matrix(0, nrow(H), ncol(H))
  if (!length(keep)) return(V)
  ch <- tryCatch(chol(H[keep, keep, drop = FALSE]), error = function(e) NULL)
  if (is.null(ch)) return(NULL)
  V[keep, keep] <- 2 * chol2inv(ch)
  V
}

# The covariance of phi at the estimates, with a note when parameters had to be held fixed:
# a dispersion at its Poisson limit (as the fit's standard errors); at a singular fit (a variance
# at 0, where the deviance is flat and H not positive definite) the variance parameters at their
# bound, or failing that all variance parameters.
view_covariance <- function(view, H = view_hessian(view)) {
  keep <- seq_along(view$phi)
  note <- NULL
  object <- view$object
  if (view$has_disp && !view$lmm && dispersion_at_poisson_limit(view$family, view$phi, object$eta)) {
    keep <- setdiff(keep, view$disp_idx)
  }
  V <- hessian_covariance(H, keep)
  if (is.null(V)) {
    at_bound <- which(theta_diagonal_mask(view$re) & abs(view$phi[view$theta_idx]) < 1e-6)
    V <- if (length(at_bound)) hessian_covariance(H, setdiff(keep, at_bound))
    note <- "the Hessian is not positive definite (a singular fit): variance parameters at 0 are held fixed"
    if (is.null(V)) {
      V <- hessian_covariance(H, setdiff(keep, view$theta_idx))
      note <- "the Hessian is not positive definite: all variance parameters are held fixed"
    }
    if (is.null(V)) V <- matrix(NA_real_, nrow(H), ncol(H))
  }
  attr(V, "note") <- note
  V
}

# ---- glmmTMB's parameters psi.

# log dispersion = scale * betad: glmmTMB 1.1.5 keeps log sigma^2 for gaussian and the log shape
# (1 / sigma^2) for Gamma; other families log sigma().
betad_scale <- function(family_name) switch(family_name, gaussian = 0.5, Gamma = -0.5, 1)

# Per term: log SDs, then the correlation parameters (strict lower triangle, row by row, of the
# unit lower-triangular L with cov2cor(L L') the correlation matrix) from its covariance matrix.
covariance_to_tmb_theta <- function(S) {
  sds <- sqrt(diag(S))
  p <- length(sds)
  if (p == 1L) return(log(sds))
  R <- S / outer(sds, sds)
  C <- t(chol_or_nan(R))
  L <- C / diag(C)
  cor_par <- unlist(lapply(seq_len(p)[-1L], function(i) L[i, seq_len(i - 1L)]))
  c(log(sds), cor_par)
}

# chol() that gives NaNs for a matrix that is not positive definite (a correlation of +-1).
chol_or_nan <- function(R) {
  if (any(!is.finite(R))) return(matrix(NaN, nrow(R), ncol(R)))
  tryCatch(chol(R), error = function(e) matrix(NaN, nrow(R), ncol(R)))
}

# The covariance matrix of a term from its glmmTMB parameters (inverse of covariance_to_tmb_theta()).
tmb_theta_to_covariance <- function(theta, p) {
  sds <- exp(theta[seq_len(p)])
  if (p == 1L) return(matrix(sds^2, 1, 1))
  L <- diag(p)
  L[upper.tri(L)] <- 0
  cor_par <- theta[-seq_len(p)]
  pos <- 0L
  for (i in seq_len(p)[-1L]) {
    L[i, seq_len(i - 1L)] <- cor_par[pos + seq_len(i - 1L)]
    pos <- pos + i - 1L
  }
  R <- stats::cov2cor(tcrossprod(L))
  R * outer(sds, sds)
}

# glmmTMB's names of psi: beta's names, "d~(Intercept)", "theta_<lhs>|<group>.<k>" (a "diag"
# term has only its log SDs).
tmb_parameter_names <- function(object, has_disp) {
  theta_names <- unlist(lapply(seq_along(object$re), function(i) {
    t <- object$re[[i]]
    label <- gsub(" ", "", paste0(paste(deparse(t$lhs, width.cutoff = 500L), collapse = ""), "|", t$group))
    paste0("theta_", label, ".", seq_len(theta_lengths(object$re[i])))
  }))
  c(names(object$beta), if (has_disp) "d~(Intercept)", theta_names)
}

# The parameter names with glmmTMB's component labels as their names (as unlist() of
# list(cond =, disp =, theta =) makes them: "cond1", "cond2", "disp", "theta1", ...).
tmb_component_labels <- function(nm, p, has_disp) {
  parts <- list(cond = nm[seq_len(p)], disp = if (has_disp) nm[p + 1L], theta = nm[-seq_len(p + has_disp)])
  unlist(parts[lengths(parts) > 0L])
}

# psi from phi: beta, betad (when the family has a dispersion), theta of each term.
view_psi <- function(view, phi) {
  th <- unscale_theta(phi[view$theta_idx], view$re, view$scale)
  factors <- theta_to_factors(th, view$re)
  theta_tmb <- unlist(lapply(factors, function(Ti) covariance_to_tmb_theta(tcrossprod(Ti))))
  betad <- if (view$has_disp) phi[view$disp_idx] / betad_scale(view$family)
  c(view_beta(view, phi), betad, theta_tmb)
}

# d psi / d phi at the estimates, by central differences of view_psi() (a smooth map; steps
# 1e-6 relative leave errors near 1e-10).
view_psi_jacobian <- function(view) {
  phi <- view$phi
  unname(fd_jacobian(function(x) view_psi(view, x), phi, 1e-6 * pmax(abs(phi), 1)))
}

# The covariance of psi (glmmTMB's vcov(full = TRUE)), named as glmmTMB names it. ML fits: the
# delta method from the deviance's Hessian in phi. REML fits, as glmmTMB's (beta integrated out
# like the random effects): the variance parameters from the REML criterion's Hessian, beta's
# block the covariance of beta given them plus what their uncertainty adds through beta's mode.
full_covariance <- function(object) {
  view <- inference_view(object)
  if (!view$reml) {
    V_phi <- view_covariance(view)
    J <- view_psi_jacobian(view)
    V <- J %*% V_phi %*% t(J)
    note <- attr(V_phi, "note")
  } else {
    V_var <- reml_covariance(view)
    note <- attr(V_var, "note")
    phi_r <- reml_phi(view)
    J_var <- reml_psi_jacobian(view, phi_r)
    G_beta <- reml_modes_jacobian(view)$beta
    p <- view$p
    nv <- length(phi_r)
    V <- matrix(0, p + nv, p + nv)
    V[seq_len(p), seq_len(p)] <- object$vcov + G_beta %*% V_var %*% t(G_beta)
    V[seq_len(p), p + seq_len(nv)] <- G_beta %*% V_var %*% t(J_var)
    V[p + seq_len(nv), seq_len(p)] <- t(V[seq_len(p), p + seq_len(nv)])
    V[p + seq_len(nv), p + seq_len(nv)] <- J_var %*% V_var %*% t(J_var)
  }
  nm <- tmb_parameter_names(object, view$has_disp)
  labelled <- tmb_component_labels(nm, length(object$beta), view$has_disp)
  dimnames(V) <- list(labelled, labelled)
  at_zero <- !is.finite(view_psi(view, view$phi))
  if (any(at_zero)) {
    V[at_zero, ] <- NaN
    V[, at_zero] <- NaN
    note <- sprintf("a variance is estimated as 0 or a correlation as +-1 (a singular fit): %s %s no finite value on glmmTMB's scale, so %s NaN",
                    paste(nm[at_zero], collapse = ", "), if (sum(at_zero) > 1L) "have" else "has",
                    if (sum(at_zero) > 1L) "their rows and columns are" else "its row and column are")
  }
  attr(V, "note") <- note
  V
}

# Covariance of phi_reml from the REML criterion's Hessian (variance parameters at 0 held fixed
# when it is not positive definite).
reml_covariance <- function(view) {
  H <- reml_hessian(view)
  V <- hessian_covariance(H)
  note <- NULL
  if (is.null(V)) {
    at_bound <- which(theta_diagonal_mask(view$re) & abs(view$object$theta) < 1e-6)
    V <- hessian_covariance(H, setdiff(seq_len(nrow(H)), at_bound))
    note <- "the Hessian is not positive definite (a singular fit): variance parameters at 0 are held fixed"
    if (is.null(V)) V <- matrix(NA_real_, nrow(H), ncol(H))
  }
  attr(V, "note") <- note
  V
}

# (betad, theta_tmb) from phi_reml = (relative theta, log sigma).
reml_psi <- function(view, phi_r) {
  k <- length(phi_r) - 1L
  sigma <- exp(phi_r[k + 1L])
  factors <- theta_to_factors(phi_r[seq_len(k)] * sigma, view$re)
  c(2 * phi_r[k + 1L], unlist(lapply(factors, function(Ti) covariance_to_tmb_theta(tcrossprod(Ti)))))
}

# d (betad, theta_tmb) / d phi_reml.
reml_psi_jacobian <- function(view, phi_r) {
  unname(fd_jacobian(function(x) reml_psi(view, x), phi_r, 1e-6 * pmax(abs(phi_r), 1)))
}
