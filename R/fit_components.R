# fit_components.R: stages 4-5 for GLMMs with a zero-inflation or dispersion model
# (R/components.R). The same core as fit_glmm() with the components set on it
# (cpp_core_set_components()); its par is (theta, beta of the conditioned design, beta_zi, gamma
# (log phi per observation = Xd gamma; or the single log phi), shape). L-BFGS with the core's exact
# gradient (BOBYQA as the fallback), a Newton polish on the finite-difference Hessian of that
# gradient, which also gives the covariance of every fixed effect as glmmTMB's sdreport() does.

# Fit; a list as fit_glmm()'s with `zi` and `disp` (each list(beta, vcov) on glmmTMB's scales) and
# the per-observation probability of the zero model (`zprob`) and dispersion (`disp_obs`).
fit_glmm_components <- function(X, y, weights, offset, re, family, comp, start, control) {
  map <- glmm_parameter_map(re, X, family)
  core <- new_core(map, re, X, y, weights, offset, family = family, max_memory = control_max_memory(control))
  cpp_core_set_components(core$ptr, comp$zero_model, comp$Xzi, comp$zi_offset, comp$disp_by_obs, comp$Xd, comp$disp_offset)
  re_zi <- comp$re_zi
  zi_scale <- if (!is.null(re_zi)) re_column_scales(re_zi)
  if (!is.null(re_zi)) cpp_core_set_zi_random(core$ptr, re_terms_for_core(re_zi, zi_scale))
  kz <- if (is.null(re_zi)) 0L else length(theta_start(re_zi))
  k <- map$ntheta
  p <- map$p
  pz <- ncol(comp$Xzi)
  pd <- if (comp$disp_by_obs) ncol(comp$Xd) else as.integer(map$has_dispersion)
  map <- c(map, list(components = TRUE, p_zi = pz, p_disp = pd, disp_by_obs = comp$disp_by_obs, ntheta_zi = kz,
                     re_zi = if (kz) re_shapes(re_zi), re_zi_scale = zi_scale))
  core$map <- map
  par0 <- c(components_start(X %*% map$A, y, weights, offset, family, comp, start, re, map), if (kz) theta_start(re_zi))
  lower <- core_lower(core)
  upper <- rep(Inf, length(par0))
  # fit_glmm()'s L-BFGS, which steps off variances on their bound 0 to test for a saddle there;
  # BOBYQA with random effects in the zero model (no exact gradient there)
  opt <- if (!kz) optimize_lbfgs(core, par0, lower, upper, control, re, NULL, map$has_dispersion)
  optimizer <- "lbfgs"
  if (is.null(opt) || !is.finite(opt$deviance)) {
    opt <- core_optimize(core, par0, lower, upper, control, gradient = FALSE)
    optimizer <- "bobyqa"
  }
  if (!is.finite(opt$deviance)) stop(not_finite_message(family), call. = FALSE)
  evaluations <- opt$evaluations
  polished <- newton_polish_components(core, opt$par, lower)
  par <- polished$par
  opt <- c(core_state(core, par), list(status = opt$status, message = opt$message))
  vc <- components_vcov(polished$hessian, par, map, comp, family)
  theta <- unscale_theta(par[seq_len(k)], re, map$re_scale)
  theta_zi <- if (kz) unscale_theta(par[length(par) - kz + seq_len(kz)], re_zi, zi_scale)
  beta <- drop(map$A %*% par[k + seq_len(p)])
  names(beta) <- colnames(X)
  zi_beta <- par[k + p + seq_len(pz)]
  names(zi_beta) <- colnames(comp$Xzi)
  gamma <- par[k + p + pz + seq_len(pd)]
  disp_scale <- map_disp_scale(map)
  disp_beta <- if (comp$disp_by_obs) stats::setNames(gamma / disp_scale, colnames(comp$Xd))
  log_phi <- if (comp$disp_by_obs) drop(comp$Xd %*% gamma) + comp$disp_offset else if (pd) rep(gamma, length(y))
  dispersion <- if (pd && !comp$disp_by_obs) exp(gamma) else if (comp$disp_by_obs) NA_real_
  shape <- if (map$n_shape > 0L) par[length(par) - kz]
  singular <- is_singular(map_singular_theta(map, par), re, control$check_singular) ||
    (kz > 0L && is_singular(par[length(par) - kz + seq_len(kz)], re_zi, control$check_singular))
  status <- if (polished$converged) opt$status else -10L
  list(theta = theta, beta = beta, sigma = if (is.null(dispersion)) 1 else dispersion, dispersion = dispersion, shape = shape,
       vcov = vc$cond, b = unscale_b(opt$b, re, map$re_scale), u = opt$u, deviance = opt$deviance,
       loglik = -opt$deviance / 2, df = length(par), evaluations = evaluations + polished$evaluations, status = status,
       message = if (polished$converged) opt$message else "the gradient at the end point is not zero",
       singular = singular, par = par, core = core, map = map, nAGQ = 1L, optimizer = optimizer,
       zi = if (pz) list(beta = zi_beta, vcov = vc$zi), disp = if (comp$disp_by_obs && pd > 0L) list(beta = disp_beta, vcov = vc$disp),
       zprob = if (comp$zero_model > 0L) stats::plogis(drop(comp$Xzi %*% zi_beta) + comp$zi_offset + if (kz) zi_re_contribution(unscale_b(opt$b_zi, re_zi, zi_scale), re_zi) else 0),
       disp_obs = if (!is.null(log_phi)) exp(log_phi), components = comp, vcov_par = vc$par,
       theta_zi = theta_zi, b_zi = if (kz) unscale_b(opt$b_zi, re_zi, zi_scale))
}

# The start: theta as for fit_glmm(), beta and the dispersion from the family's GLM (on the
# positive counts for a hurdle), the zero model at glmmTMB's 0 (a hurdle at the share of zeros).
# With a zero model the dispersion starts at glmmTMB's 0 too: the GLM's, which takes the excess
# zeros for overdispersion, leads to a different optimum (Salamanders' zinb2).
components_start <- function(XA, y, weights, offset, family, comp, start, re, map) {
  rows <- if (comp$zero_model == 2L) y > 0 else rep(TRUE, length(y))
  init <- glm_start(XA[rows, , drop = FALSE], y[rows], weights[rows], offset[rows], family)
  if (!is.null(start$beta)) init$beta <- drop(map$A_inv %*% start$beta)   # a user's start (R/start_values.R)
  theta0 <- if (is.null(start$theta)) theta_start(re) else scale_theta(start_theta(start, re), re, map$re_scale)
  # gaussian: the core's theta is on the response's scale (SDs, not relative to sigma)
  if (family$family == "gaussian" && is.null(start$theta)) theta0 <- theta0 * init$phi
  zi0 <- numeric(map$p_zi)
  intercept_of <- function(X) which(colnames(X) == "(Intercept)")
  if (comp$zero_model == 2L && length(intercept_of(comp$Xzi))) {
    zi0[intercept_of(comp$Xzi)] <- stats::qlogis(min(max(mean(y == 0), 0.01), 0.99))
  }
  log_phi0 <- if (!is.null(start$phi)) log(start$phi) else if (comp$zero_model > 0L) 0 else log(init$phi)
  disp0 <- if (comp$disp_by_obs) {
    d <- numeric(ncol(comp$Xd))
    if (length(intercept_of(comp$Xd))) d[intercept_of(comp$Xd)] <- log_phi0
    d
  } else if (map$has_dispersion) log_phi0
  c(theta0, init$beta, zi0, disp0, if (map$n_shape > 0L) init$shape)
}

# Newton steps on the finite-difference Hessian of the exact gradient (free parameters: not on
# a lower bound), each kept only if it lowers the objective; the Hessian at the end point.
# Without the exact gradient (random effects in the zero model) one Hessian of the values at
# BOBYQA's end point (no Newton step), the gradient from the same differences.
newton_polish_components <- function(core, par, lower, steps = if (isTRUE(core$map$ntheta_zi > 0L)) 0L else 4L) {
  value <- core_objective(core, par)
  evaluations <- 0L
  H <- NULL
  exact <- isTRUE(core$map$ntheta_zi == 0L)
  f <- function(x) core_objective(core, x)
  gradient_at <- function(x) {
    if (exact) return(core_gradient(core, x))
    h <- 1e-4 * pmax(abs(x), 1)
    h <- ifelse(x - lower < 2 * h, pmax((x - lower) / 2, 1e-8), h)   # stay inside the bounds
    drop(fd_jacobian(f, x, h, points = 4L))
  }
  hessian_at <- function(x) {
    if (exact) return(gradient_hessian(core, x, 1e-4 * pmax(abs(x), 1)))
    H <- fd_hessian(f, x, 1e-3 * pmax(abs(x), 1))
    (H + t(H)) / 2
  }
  for (it in seq_len(steps)) {
    g <- gradient_at(par)
    H <- hessian_at(par)
    evaluations <- evaluations + 2L * length(par) + 1L
    free <- !(par <= lower + 1e-8 & g >= 0)
    if (!all(is.finite(g[free])) || !all(is.finite(H[free, free]))) break
    step <- tryCatch(solve(H[free, free, drop = FALSE], g[free]), error = function(e) NULL)
    if (is.null(step) || max(abs(step)) < 1e-8) break
    trial <- par
    trial[free] <- pmax(par[free] - step, lower[free])
    v <- core_objective(core, trial)
    if (!is.finite(v) || v > value) break
    par <- trial
    value <- v
  }
  g <- gradient_at(par)
  free <- !(par <= lower + 1e-8 & g >= 0)
  if (is.null(H)) H <- hessian_at(par)
  step <- if (!is.null(H)) tryCatch(solve(H[free, free, drop = FALSE], g[free]), error = function(e) NULL)
  converged <- !is.null(step) && all(is.finite(step)) && max(abs(step)) < 1e-3
  list(par = par, hessian = H, evaluations = evaluations, converged = converged)
}

# The covariances of the fixed effects of each component from the Hessian of the Laplace
# deviance in all parameters (glmmTMB's sdreport(); theta left out where its Hessian is singular,
# as on a boundary): list(cond, zi, disp) on the user's (glmmTMB's) scales.
components_vcov <- function(H, par, map, comp, family) {
  k <- map$ntheta
  p <- map$p
  pz <- map$p_zi
  pd <- map$p_disp
  ns <- map$n_shape
  idx_beta <- k + seq_len(p)
  idx_zi <- k + p + seq_len(pz)
  idx_disp <- k + p + pz + seq_len(pd)
  nas <- function(m) matrix(NA_real_, m, m)
  V <- NULL
  if (!is.null(H) && all(is.finite(H))) {
    V <- tryCatch(solve(H / 2), error = function(e) NULL)
    if (is.null(V) || any(diag(V) <= 0)) {
      keep <- setdiff(seq_along(par), seq_len(k))
      V <- matrix(NA_real_, length(par), length(par))
      Vk <- tryCatch(solve(H[keep, keep] / 2), error = function(e) NULL)
      if (!is.null(Vk)) V[keep, keep] <- Vk
    }
  }
  if (is.null(V)) return(list(cond = nas(p), zi = nas(pz), disp = nas(pd)))
  scale <- map_disp_scale(map)
  cond <- map$A %*% V[idx_beta, idx_beta, drop = FALSE] %*% t(map$A)
  zi <- V[idx_zi, idx_zi, drop = FALSE]
  disp <- V[idx_disp, idx_disp, drop = FALSE] / scale^2
  dimnames(zi) <- list(colnames(comp$Xzi), colnames(comp$Xzi))
  if (comp$disp_by_obs) dimnames(disp) <- list(colnames(comp$Xd), colnames(comp$Xd))
  list(cond = cond, zi = zi, disp = disp, par = V)
}
