# fit_glmm.R: stages 4-5 for generalized linear mixed models. The C++ core (R/core.R) evaluates
# the Laplace approximation (PIRLS inside) and its exact gradient; L-BFGS minimizes it over the
# core's parameters (theta of scaled columns, beta of the conditioned design, log phi, and the
# family's shape parameter (tweedie's power, t's df, on glmmTMB's psi scale) where it has one: see
# R/parameter_map.R, which also converts the estimates back to the user's scale), with BOBYQA
# for quadrature (nAGQ > 1) and as the fallback.

# Fit a GLMM: returns theta, beta, dispersion, b, u, vcov, deviance, the core's par and the
# optimizer's report. `core` (R/core.R) may be given to reuse one for this design (bootstrap refits).
# REML: the criterion with beta integrated out (src/glmm_core.h), minimized by BOBYQA over
# (theta, log phi); beta is the joint mode.
fit_glmm <- function(X, y, weights, offset, re, family, start, control, nAGQ = 1L, core = NULL, REML = FALSE) {
  map <- if (is.null(core)) glmm_parameter_map(re, X, family) else core$map
  # the GLM start before the core: its n-vectors are garbage the core's construction collects
  init <- glm_start(X %*% map$A, y, weights, offset, family, eta_start = start$eta)
  if (is.null(core)) {
    core <- new_core(map, re, X, y, weights, offset, family = family, nAGQ = nAGQ, max_memory = control_max_memory(control))
  }
  core$reml <- isTRUE(REML)
  ntheta <- map$ntheta
  p <- map$p
  p_par <- if (core$reml) 0L else p   # fixed effects in the core's parameter vector
  has_dispersion <- map$has_dispersion
  if (!is.null(start$beta) && !core$reml) init$beta <- drop(map$A_inv %*% start$beta)   # a user's start (R/start_values.R)
  if (!is.null(start$phi)) init$phi <- start$phi
  theta0 <- if (is.null(start$theta)) theta_start(re) else scale_theta(start_theta(start, re), re, map$re_scale)
  par0 <- c(theta0, if (!core$reml) init$beta, if (has_dispersion) log(init$phi), if (map$n_shape > 0L) init$shape)
  lower <- core_lower(core)
  upper <- rep(Inf, length(par0))
  if (nAGQ == 0L) {
    if (core$reml) stop("`nAGQ = 0` is not available with REML = TRUE", call. = FALSE)
    return(fit_glmm_nagq0(core, par0, lower, re, X, y, weights, family, control))   # R/fit_glmm_nagq0.R
  }
  use_gradient <- !core$reml && nAGQ == 1L && control$optimizer %in% c("auto", "lbfgs")
  scale <- NULL
  if (use_gradient) {
    start_point <- em_start(core, par0, re, length(y), has_dispersion, step = is.null(start$theta), n_shape = map$n_shape)
    par0 <- start_point$par
    scale <- start_point$scale
  }
  opt <- if (use_gradient) optimize_lbfgs(core, par0, lower, upper, control, re, scale, has_dispersion)
  release_garbage(length(y))   # the optimizer's temporaries, before the standard errors' (R/core.R)
  if (is.null(opt) && use_gradient && control$optimizer == "lbfgs") {
    stop("L-BFGS failed on this model; use glmm_control(optimizer = \"auto\") to fall back to BOBYQA", call. = FALSE)
  }
  if (is.null(opt)) opt <- optimize_bobyqa(core, par0, lower, upper, control, ntheta, p_par, has_dispersion)
  if (!is.finite(opt$deviance)) stop(not_finite_message(family), call. = FALSE)
  finish <- function(opt) finish_glmm_opt(core, opt, lower, family, nAGQ, use_gradient)
  done <- finish(opt)
  if (done$opt$status == -10L && identical(done$opt$optimizer, "lbfgs") && control$optimizer == "auto") {
    # L-BFGS stopped short of the optimum (typically on a boundary saddle of a near-singular
    # covariance): BOBYQA from its end point, kept if it gets lower
    retry <- tryCatch(optimize_bobyqa(core, done$opt$par, lower, upper, control, ntheta, p_par, has_dispersion),
                      error = function(e) NULL)
    if (!is.null(retry) && is.finite(retry$deviance) && retry$deviance < done$opt$deviance) {
      retry$evaluations <- retry$evaluations + done$opt$evaluations
      redone <- finish(retry)
      if (redone$opt$deviance <= done$opt$deviance) done <- redone
    }
  }
  opt <- done$opt
  if (!is.finite(opt$deviance)) stop(not_finite_message(family), call. = FALSE)   # lost in the polish
  vc <- done$vcov
  est <- map_user(map, opt$par, opt, reml = core$reml)
  names(est$beta) <- colnames(X)
  dimnames(vc) <- list(colnames(X), colnames(X))
  list(theta = est$theta, beta = est$beta, sigma = est$sigma, dispersion = est$dispersion, shape = est$shape,
       vcov = vc, b = est$b, u = est$u, deviance = opt$deviance, loglik = -opt$deviance / 2,
       df = ntheta + p + has_dispersion + map$n_shape, evaluations = opt$evaluations, status = opt$status,
       message = opt$message, singular = is_singular(map_singular_theta(map, opt$par), re, control$check_singular),
       par = opt$par, core = core, map = map, nAGQ = nAGQ, optimizer = opt$optimizer,
       dispersion_limit = done$dispersion_limit)
}

# The error for a Laplace approximation that is not finite at the end point; with a link that
# lets the mean leave the family's range (poisson's identity or sqrt, Gamma's inverse or
# identity; binomial's log), it says so and names a link that keeps the mean inside.
not_finite_message <- function(family) {
  inside <- list(binomial = c("logit", "probit", "cloglog"), poisson = "log", nbinom2 = "log", nbinom1 = "log", Gamma = "log")
  fam <- family$family
  hint <- if (fam %in% names(inside) && !(family$link %in% inside[[fam]])) {
    sprintf(": with the %s link the fitted means of the %s family reached the edge of their valid range (the %s link keeps them inside)",
            family$link, fam, inside[[fam]][1L])
  } else "; check the data for extreme values"
  paste0("the Laplace approximation is not finite at the optimum", hint)
}

# After the optimizer: Newton polish, the standard errors' Hessian (glmmTMB's, see tmb_hessian())
# and the gradient check at the end point; list(opt, vcov), vcov for the user's beta. Singular
# fits skip the polish and get their covariance from the Hessian in all parameters
# (glmm_vcov_beta()).
finish_glmm_opt <- function(core, opt, lower, family, nAGQ, use_gradient) {
  map <- core$map
  vc <- NULL
  H_z <- NULL
  g_end <- NULL   # the gradient at the end point, when the polish has it
  at_limit <- map$has_dispersion && dispersion_at_poisson_limit(family$family, opt$par, opt$eta)
  if (core$reml) return(finish_reml_opt(core, opt, lower))
  if (!is_singular(opt$par[seq_len(map$ntheta)], map$re, 1e-6) && map$p > 0L) {
    hessian_at <- function(par) tmb_hessian(core, par, use_gradient, fix_dispersion = at_limit)
    if (use_gradient) {
      polished <- polish_with_hessian(core, opt, lower, hessian_at)
      opt <- polished$opt
      tmb <- polished$hessian
      H_z <- tmb$H_z
      g_end <- polished$gradient
    } else {
      opt <- newton_polish(core, opt, lower)
      tmb <- hessian_at(opt$par)
    }
    vc <- tmb$vcov_beta
  }
  if (nAGQ == 1L) opt <- check_gradient(core, opt, lower, map$has_dispersion, H_z, dispersion_at_limit = at_limit, g = g_end)
  if (is.null(vc)) vc <- glmm_vcov_beta(core, opt$par, use_gradient, fix_dispersion = at_limit)
  list(opt = opt, vcov = vc, dispersion_limit = if (at_limit) poisson_limit_message(family$family, opt$par))
}

# After BOBYQA on the REML criterion: Newton polish in (theta, log phi), and the covariance of the
# fixed effects as glmmTMB's sdreport() gives it for parameters integrated out like random
# effects: the joint Hessian's part for beta, S_X^{-1}, plus the variance the estimated variance
# parameters pass on to the mode, G V G' with G = d beta^ / d psi (psi: glmmTMB's scale of
# (theta, phi)) and V the inverse Hessian of -log L_R in psi (finite differences of its gradient
# with steps 1e-3, as optimHess()).
finish_reml_opt <- function(core, opt, lower) {
  map <- core$map
  p <- map$p
  singular <- is_singular(opt$par[seq_len(map$ntheta)], map$re, 1e-6)
  if (!singular) opt <- newton_polish(core, opt, lower)
  vc <- if (p > 0L) reml_vcov_beta(core, opt$par, with_variance_parameters = !singular)
  list(opt = opt, vcov = if (is.null(vc)) matrix(NA_real_, p, p) else vc, dispersion_limit = NULL)
}

# The REML fixed effects' covariance (see finish_reml_opt()); conditional on the variance
# parameters (S_X^{-1} alone) when their Hessian is not positive definite or not asked for.
reml_vcov_beta <- function(core, par, with_variance_parameters = TRUE) {
  map <- core$map
  info <- cpp_core_beta_information(core$ptr, par, reml = TRUE)
  V_z <- tryCatch(solve(info), error = function(e) NULL)
  if (is.null(V_z)) return(NULL)
  V <- map$A %*% V_z %*% t(map$A)
  if (!with_variance_parameters || !length(par)) return(V)
  psi <- map_to_psi(map, par, reml = TRUE)
  to_par <- function(x) map_from_psi(map, x, reml = TRUE)
  f <- function(x) core_objective(core, to_par(x)) / 2
  gradient <- function(x) drop(fd_jacobian(f, x, 1e-3 * pmax(abs(x), 1), points = 4L))
  H <- fd_hessian_of_gradient(gradient, psi, 1e-3)
  V_psi <- tryCatch(solve(H), error = function(e) NULL)
  if (is.null(V_psi) || any(!is.finite(V_psi)) || any(diag(V_psi) <= 0)) return(V)
  beta_at <- function(x) drop(map$A %*% core_state(core, to_par(x))$beta)
  G <- fd_jacobian(beta_at, psi, 1e-5 * pmax(abs(psi), 1))
  V + G %*% V_psi %*% t(G)
}

# Has a negative binomial dispersion gone to its Poisson limit (no overdispersion beyond the
# random effects)? nbinom2: mu / theta below 1e-4 for every fitted mean (variance mu (1 + mu /
# theta)); nbinom1: phi below 1e-5 (variance mu (1 + phi)). The likelihood is then flat in the
# dispersion, which the optimizer walks towards infinity (or 0), and its curvature is noise.
dispersion_at_poisson_limit <- function(family_name, par, eta) {
  log_phi <- par[length(par)]
  switch(family_name,
         nbinom2 = length(eta) > 0L && all(is.finite(eta)) && max(eta) - log_phi < log(1e-4),
         nbinom1 = log_phi < log(1e-5),
         FALSE)
}

# The message for a dispersion at its Poisson limit.
poisson_limit_message <- function(family_name, par) {
  sprintf("the %s dispersion went to its Poisson limit (%s = %.3g): the data show no overdispersion beyond the random effects, so the fit is that of family = poisson; standard errors hold the dispersion fixed",
          family_name, if (family_name == "nbinom2") "theta" else "phi", exp(par[length(par)]))
}

# L-BFGS with the analytic gradient from the start (em_start(): its point and its preconditioner,
# `scale`); NULL when it fails (BOBYQA takes over).
# A diagonal element of a term's factor that lands on its bound 0 can sit on a saddle (the
# deviance is even in it, so its gradient is 0 there), so a boundary end point is tested by
# stepping off the bound (by 0.001 to 1); where that lowers the deviance, L-BFGS restarts
# from there. While a diagonal element is 0 the sign of the entries below it in its column is
# free (u_j -> -u_j), but off the bound it is not, so both signs are tried.
optimize_lbfgs <- function(core, par0, lower, upper, control, re, scale = NULL, has_dispersion = FALSE) {
  is_diag <- theta_diagonal_mask(re)
  below <- theta_below_diagonal(re)
  lbfgs_control <- utils::modifyList(control, list(ftol_abs = 0, ftol_rel = 1e-12, xtol_abs = 0, xtol_rel = 1e-10))
  if (!is.null(scale)) lbfgs_control$scale <- scale
  run <- function(start) {
    opt <- tryCatch(core_optimize(core, start, lower, upper, lbfgs_control, gradient = TRUE), error = function(e) {
      if (inherits(e, "interrupt")) stop(e)
      NULL
    })
    # NLopt's L-BFGS often ends "roundoff-limited" (-4) at the optimum, and sometimes with a
    # generic failure (-1) when its line search cannot improve on a point that is already the
    # optimum (the gradient check says which); the Newton polish and the gradient check after it
    # decide about convergence.
    if (is.null(opt) || !is.finite(opt$deviance)) return(NULL)
    if (opt$status == -1L && check_gradient(core, opt, lower, has_dispersion)$status != -10L) opt$status <- -4L
    if (opt$status < 0 && opt$status != -4L) return(NULL)
    opt
  }
  opt <- run(par0)
  evaluations <- 0L
  for (restart in 1:3) {
    if (is.null(opt)) return(NULL)
    evaluations <- evaluations + opt$evaluations
    at_bound <- which(c(is_diag, rep(FALSE, length(par0) - length(is_diag))) & opt$par <= lower + 1e-8)
    if (!length(at_bound)) break
    flips <- unlist(below[at_bound])   # the column below a zero diagonal: its sign is free there
    steps <- expand.grid(delta = c(0.001, 0.01, 0.1, 1), sign = if (length(flips)) c(1, -1) else 1)
    trials <- lapply(seq_len(nrow(steps)), function(i) {
      x <- replace(opt$par, at_bound, lower[at_bound] + steps$delta[i])
      replace(x, flips, steps$sign[i] * x[flips])
    })
    values <- vapply(trials, function(x) core_objective(core, x), numeric(1))
    if (!any(is.finite(values)) || min(values) >= opt$deviance - 1e-6) break
    better <- run(trials[[which.min(values)]])
    if (is.null(better) || better$deviance >= opt$deviance) break
    opt <- better
  }
  opt$evaluations <- evaluations
  if (opt$status == -4L) opt$status <- 4L
  if (opt$status %in% 1:4) opt$message <- "converged (L-BFGS with the analytic gradient)"
  opt$optimizer <- "lbfgs"
  opt
}

# BOBYQA brings the objective to within ~1e-5 of the optimum; Newton steps do the rest. `p`: the
# fixed effects in the core's parameter vector (0 for REML).
optimize_bobyqa <- function(core, par0, lower, upper, control, ntheta, p, has_dispersion) {
  steps <- c(rep(0.5, ntheta), rep(0.2, p), if (has_dispersion) 0.5, rep(0.5, core$map$n_shape))
  bobyqa_control <- utils::modifyList(control, list(initial_steps = steps, ftol_abs = max(control$ftol_abs, 1e-5)))
  opt <- core_optimize(core, par0, lower, upper, bobyqa_control)
  opt$optimizer <- "bobyqa"
  opt
}

# Hessian of the Laplace deviance by central differences of its exact gradient (steps h).
gradient_hessian <- function(core, par, h) fd_hessian_of_gradient(function(x) core_gradient(core, x), par, h)

# Convergence from the gradient at the end point: the Newton step -H^{-1} g (the gradient on the
# scale of the parameters' uncertainty) must be small in every free coordinate. Parameters at
# their lower bound with a gradient pointing outwards are fine, and so is a log dispersion
# beyond +-7 still drifting outwards (the optimum is at infinity: nbinom2 with size -> Inf is
# Poisson), as is a dispersion that dispersion_at_poisson_limit() found at its limit, and a shape
# parameter beyond +-7 drifting outwards (a Tweedie power at 1 or 2, t's df to infinity). Marks
# the fit as not converged (status -10, with the step's size) otherwise. `g`: the gradient at
# opt$par when the caller has it.
check_gradient <- function(core, opt, lower, has_dispersion, H = NULL, dispersion_at_limit = FALSE, g = NULL) {
  par <- opt$par
  n_shape <- core$map$n_shape
  if (is.null(g)) g <- core_gradient(core, par)
  free <- !(par <= lower + 1e-8 & g >= 0)
  drifting <- function(k) abs(par[k]) > 7 && sign(g[k]) == -sign(par[k])
  if (has_dispersion) {
    last <- length(par) - n_shape
    if (dispersion_at_limit || drifting(last)) free[last] <- FALSE
  }
  if (n_shape > 0L && drifting(length(par))) free[length(par)] <- FALSE
  if (!all(is.finite(g[free]))) return(opt)
  if (is.null(H)) H <- tryCatch(gradient_hessian(core, par, 1e-4 * pmax(abs(par), 1)), error = function(e) NULL)
  if (!is.null(H)) H <- H[free, free, drop = FALSE]
  step <- if (!is.null(H)) tryCatch(solve(H, g[free]), error = function(e) NULL)
  size <- if (is.null(step)) max(abs(g[free])) else max(abs(step))
  if (is.finite(size) && size > 1e-3) {
    opt$status <- -10L
    opt$message <- sprintf("the gradient at the end point is not zero: a Newton step of size %.2g remains", size)
  }
  opt
}

# Covariance of beta from the Hessian of the Laplace deviance in all parameters (as glmmTMB);
# conditional on the variance parameters when that Hessian is not positive definite (singular fits).
# `fix_dispersion`: leave out the dispersion (last parameter), as at its Poisson limit.
glmm_vcov_beta <- function(core, par, use_gradient = FALSE, fix_dispersion = FALSE) {
  map <- core$map
  p <- map$p
  if (p == 0L) return(matrix(0, 0, 0))
  h <- 2e-4 * pmax(abs(par), 1)
  H <- if (use_gradient) gradient_hessian(core, par, h) else fd_hessian(function(x) core_objective(core, x), par, h)
  if (fix_dispersion) H <- H[-length(par), -length(par), drop = FALSE]
  idx <- map$ntheta + seq_len(p)
  V <- tryCatch({
    ch <- chol(H)
    2 * chol2inv(ch)[idx, idx, drop = FALSE]
  }, error = function(e) NULL)
  if (is.null(V)) V <- tryCatch(2 * solve(H[idx, idx, drop = FALSE]), error = function(e) matrix(NA_real_, p, p))
  map$A %*% V %*% t(map$A)
}

# The Hessian glmmTMB reports standard errors from: TMB's sdreport() inverts optimHess() of the
# exact gradient with steps 1e-3 in glmmTMB's parameters psi (raw beta, log SDs, log dispersion
# on glmmTMB's scale; map_to_psi()). With predictors on raw scales (slopes near 1e-3) those steps
# are not small, so the printed SEs depend on them; we repeat the computation to print the same
# numbers. Our gradient is the exact one (or, for quadrature, a five-point stencil in the core's
# parameters z: a central difference is not accurate enough for the sixth printed digit).
# Returns psi, the Hessian of -log L there, H_z (the deviance's Hessian in z) and the covariance
# of beta (`fix_dispersion`: with the dispersion held fixed, as at its Poisson limit, where its
# curvature is noise).
tmb_hessian <- function(core, par, use_gradient = FALSE, fix_dispersion = FALSE) {
  map <- core$map
  p <- map$p
  gradient_z <- if (use_gradient) function(z) core_gradient(core, z) / 2 else {
    function(z) drop(fd_jacobian(function(x) core_objective(core, x) / 2, z, 1e-3 * pmax(abs(z), 1), points = 4L))
  }
  gradient <- function(psi) drop(crossprod(map_psi_jacobian(map, psi), gradient_z(map_from_psi(map, psi))))
  psi <- map_to_psi(map, par)
  near <- use_gradient && identical(core$kind, "glmm") && !core$reml
  H <- if (near) t(psi_gradient_differences(core, par, psi, 1e-3)) else t(fd_jacobian(gradient, psi, 1e-3))
  H <- (H + t(H)) / 2
  keep <- if (fix_dispersion) -length(psi) else seq_along(psi)
  V <- tryCatch(solve(H[keep, keep, drop = FALSE]), error = function(e) NULL)
  vcov_beta <- if (!is.null(V) && all(is.finite(diag(V))) && all(diag(V)[seq_len(p)] > 0)) V[seq_len(p), seq_len(p), drop = FALSE]
  J_inv <- tryCatch(solve(map_psi_jacobian(map, psi)), error = function(e) NULL)   # H_z: the deviance's Hessian in z
  H_z <- if (!is.null(J_inv)) 2 * crossprod(J_inv, H %*% J_inv)
  list(psi = psi, H = H, H_z = H_z, vcov_beta = vcov_beta)
}

# fd_jacobian() of the exact gradient in glmmTMB's parameters psi (at the core's par) with steps
# h: the same differences, with the gradients at the 2 length(psi) points read in one call near
# par (core_gradients_near(): on large models each PIRLS starts from par's mode).
psi_gradient_differences <- function(core, par, psi, h) {
  map <- core$map
  h <- rep_len(h, length(psi))
  shifts <- lapply(seq_along(psi), function(i) replace(numeric(length(psi)), i, h[i]))
  at <- unlist(lapply(shifts, function(e) list(psi + e, psi - e)), recursive = FALSE)
  G <- core_gradients_near(core, par, do.call(cbind, lapply(at, function(x) map_from_psi(map, x)))) / 2
  g <- lapply(seq_along(at), function(k) drop(crossprod(map_psi_jacobian(map, at[[k]]), G[, k])))
  do.call(cbind, lapply(seq_along(psi), function(i) (g[[2 * i - 1]] - g[[2 * i]]) / (2 * h[i])))
}

# Newton steps from L-BFGS's end point. They use the Hessian that the standard errors need anyway
# (hessian_at(par): tmb_hessian() there, in the conditioned parameters). glmmTMB's 1e-3 steps make
# that a secant rather than a tangent for slopes on raw scales, so when its steps stop shrinking
# fast, an accurate Hessian (central differences of the exact gradient) takes over. Steps stop
# below 1e-8 relative (no printed digit moves); the standard errors' Hessian is recomputed only
# when the point moved more than 1e-7 relative (below that the standard errors change by less
# than about 1e-7 relative, and glmmTMB's own end point is no closer to the optimum).
# Returns the polished optimizer state, that Hessian and the gradient at the end point.
polish_with_hessian <- function(core, opt, lower, hessian_at) {
  par <- opt$par
  best <- opt$deviance
  g <- core_gradient(core, par)   # before the Hessian moves the core: the optimizer's end point, read already
  # on large models the state at par, read already too: no PIRLS at par again if no step is taken
  # (below 10,000 rows the state is read after the Hessian, as before: the same numbers, bit for bit)
  start_state <- if (length(opt$eta) >= 10000L) core_state(core, par)
  hessian <- hessian_at(par)
  H <- hessian$H_z
  accurate <- FALSE
  moved <- 0
  last_size <- Inf
  relative <- function(step) max(abs(step) / pmax(abs(par), 1))
  newton_step <- function(g) {
    step <- tryCatch(solve(H, g), error = function(e) NULL)
    if (is.null(step) || any(!is.finite(step)) || any(par - step < lower)) NULL else step
  }
  for (iter in seq_len(if (is.null(H) || any(!is.finite(g))) 0L else 8L)) {
    step <- newton_step(g)
    size <- if (is.null(step)) Inf else relative(step)
    if (size <= 1e-8) break   # no printed digit moves
    value <- if (is.finite(size)) core_objective(core, par - step) else Inf
    descent <- is.finite(value) && value <= best + 1e-9 + 1e-12 * abs(best)   # rounding noise
    if (!accurate && (!descent || size > 0.25 * last_size)) {   # a secant: switch to the tangent
      H <- gradient_hessian(core, par, 1e-4 * pmax(abs(par), 1))
      accurate <- TRUE
      next
    }
    if (!descent) break
    moved <- moved + size
    par <- par - step
    best <- min(best, value)
    last_size <- size
    g <- core_gradient(core, par)
    if (any(!is.finite(g))) break
  }
  if (moved > 1e-7) hessian <- hessian_at(par)
  state <- if (!is.null(start_state) && identical(par, opt$par)) start_state else core_state(core, par)
  state[c("evaluations", "status", "message", "optimizer")] <- opt[c("evaluations", "status", "message", "optimizer")]
  list(opt = state, hessian = hessian, gradient = g)
}

# Newton steps from BOBYQA's end point in the core's parameters (gradient by a five-point
# stencil, Hessian by central differences), so that the estimates are exact to the digits
# glmmTMB prints, whatever the order of the data. A step is kept when it does not raise the
# objective beyond its rounding noise.
newton_polish <- function(core, opt, lower) {
  par <- opt$par
  best <- opt$deviance
  f <- function(z) core_objective(core, z)
  H <- fd_hessian(f, par, 2e-4 * pmax(abs(par), 1))   # reused by every step
  for (iter in 1:3) {
    g <- drop(fd_jacobian(f, par, 1e-3 * pmax(abs(par), 1), points = 4L))
    step <- tryCatch(solve(H, g), error = function(e) NULL)
    if (is.null(step) || any(!is.finite(step)) || any(par - step < lower)) break
    value <- f(par - step)
    if (!is.finite(value) || value > best + 1e-9) break
    par <- par - step
    best <- min(best, value)
    if (max(abs(step)) < 1e-8) break
  }
  state <- core_state(core, par)
  state[c("evaluations", "status", "message", "optimizer")] <- opt[c("evaluations", "status", "message", "optimizer")]
  state
}
