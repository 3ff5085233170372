# fit_glmm.R: stages 4-5 for generalized linear mixed models. The C++ core evaluates the
# Laplace approximation (PIRLS inside) and its analytic gradient; L-BFGS minimizes it over
# (theta, beta, log phi), with BOBYQA for quadrature (nAGQ > 1) and as the fallback.
# The fixed-effects design is conditioned first: X = Q R, and the core sees X A with
# A = sqrt(n) R^{-1} (orthogonal columns of norm sqrt(n)), so raw-scale predictors (the chapter's
# MAP is in the thousands) need no rescaling by the user; estimates return to the user's scale.

# Fit a GLMM: returns theta, beta, dispersion, b, u, vcov, deviance and the optimizer's report.
fit_glmm <- function(X, y, weights, offset, re, family, start, control, nAGQ = 1L) {
  codes <- family_codes(family)
  cond <- condition_design(X)
  re_scale <- re_column_scales(re)
  core <- glmm_core(cond$X, y, weights, offset, re, re_scale, codes, nAGQ)
  ntheta <- length(theta_start(re))
  p <- ncol(X)
  init <- glm_start(cond$X, y, weights, offset, family)
  if (!is.null(start$beta)) init$beta <- drop(cond$A_inv %*% start$beta)   # a user's start (R/start_values.R)
  if (!is.null(start$phi)) init$phi <- start$phi
  theta0 <- if (is.null(start$theta)) theta_start(re) else scale_theta(start_theta(start, re), re, re_scale)
  par0 <- c(theta0, init$beta, if (codes$has_dispersion) log(init$phi))
  lower <- c(cpp_glmm_theta_lower(core), rep(-Inf, p + codes$has_dispersion))
  upper <- rep(Inf, length(par0))
  if (nAGQ == 0L) return(fit_glmm_nagq0(core, par0, lower, re, X, cond, y, weights, family, codes, control, re_scale))
  use_gradient <- nAGQ == 1L && control$optimizer %in% c("auto", "lbfgs")
  scale <- NULL
  if (use_gradient) {
    start_point <- em_start(core, par0, re, length(y), codes$has_dispersion, step = is.null(start$theta))
    par0 <- start_point$par
    scale <- start_point$scale
  }
  opt <- if (use_gradient) optimize_lbfgs(core, par0, lower, upper, control, re, scale, codes$has_dispersion)
  if (is.null(opt) && use_gradient && control$optimizer == "lbfgs") {
    stop("L-BFGS failed on this model; use glmm_control(optimizer = \"auto\") to fall back to BOBYQA", call. = FALSE)
  }
  if (is.null(opt)) opt <- optimize_bobyqa(core, par0, lower, upper, control, ntheta, p, codes$has_dispersion)
  if (!is.finite(opt$deviance)) stop(not_finite_message(family), call. = FALSE)
  finish <- function(opt) finish_glmm_opt(core, opt, lower, re, p, cond, family, codes, nAGQ, use_gradient)
  done <- finish(opt)
  if (done$opt$status == -10L && identical(done$opt$optimizer, "lbfgs") && control$optimizer == "auto") {
    # L-BFGS stopped short of the optimum (typically on a boundary saddle of a near-singular
    # covariance): BOBYQA from its end point, kept if it gets lower
    retry <- tryCatch(optimize_bobyqa(core, done$opt$par, lower, upper, control, ntheta, p, codes$has_dispersion),
                      error = function(e) NULL)
    if (!is.null(retry) && is.finite(retry$deviance) && retry$deviance < done$opt$deviance) {
      retry$evaluations <- retry$evaluations + done$opt$evaluations
      redone <- finish(retry)
      if (redone$opt$deviance <= done$opt$deviance) done <- redone
    }
    cpp_glmm_objective(core, done$opt$par)   # leave the core at the end point
  }
  opt <- done$opt
  if (!is.finite(opt$deviance)) stop(not_finite_message(family), call. = FALSE)   # lost in the polish
  vc <- done$vcov
  theta_scaled <- opt$par[seq_len(ntheta)]
  theta <- unscale_theta(theta_scaled, re, re_scale)
  beta <- drop(cond$A %*% opt$par[ntheta + seq_len(p)])
  names(beta) <- colnames(X)
  phi <- if (codes$has_dispersion) exp(opt$par[ntheta + p + 1L]) else NULL
  dimnames(vc) <- list(colnames(X), colnames(X))
  list(theta = theta, beta = beta, sigma = if (is.null(phi)) 1 else phi, dispersion = phi,
       vcov = vc, b = unscale_b(opt$b, re, re_scale), u = opt$u, deviance = opt$deviance, loglik = -opt$deviance / 2,
       df = ntheta + p + codes$has_dispersion, evaluations = opt$evaluations, status = opt$status,
       message = opt$message, singular = is_singular(theta_scaled, re, control$check_singular),
       par = opt$par, core = core, conditioning = cond$A, re_scale = re_scale, theta_scaled = theta_scaled,
       nAGQ = nAGQ, optimizer = opt$optimizer, dispersion_limit = done$dispersion_limit)
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
finish_glmm_opt <- function(core, opt, lower, re, p, cond, family, codes, nAGQ, use_gradient) {
  ntheta <- length(theta_start(re))
  vc <- NULL
  H_z <- NULL
  at_limit <- codes$has_dispersion && dispersion_at_poisson_limit(family$family, opt$par, opt$eta)
  if (!is_singular(opt$par[seq_len(ntheta)], re, 1e-6) && p > 0L) {
    hessian_at <- function(par) tmb_hessian(core, par, re, p, cond$A, family$family, codes$has_dispersion, cond$A_inv,
                                            use_gradient, fix_dispersion = at_limit)
    if (use_gradient) {
      polished <- polish_with_hessian(core, opt, lower, hessian_at)
      opt <- polished$opt
      tmb <- polished$hessian
      H_z <- tmb$H_z
    } else {
      opt <- newton_polish(core, opt, lower)
      tmb <- hessian_at(opt$par)
      cpp_glmm_objective(core, opt$par)   # leave the core at the optimum
    }
    vc <- tmb$vcov_beta
  }
  if (nAGQ == 1L) opt <- check_gradient(core, opt, lower, codes$has_dispersion, H_z, dispersion_at_limit = at_limit)
  if (is.null(vc)) vc <- glmm_vcov_beta(core, opt$par, ntheta, p, cond$A, use_gradient, fix_dispersion = at_limit)
  list(opt = opt, vcov = vc, dispersion_limit = if (at_limit) poisson_limit_message(family$family, opt$par))
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

# The C++ core for a conditioned design, scaled random-effect columns and family codes, with
# the Gauss-Hermite rule when nAGQ > 1.
glmm_core <- function(X_conditioned, y, weights, offset, re, re_scale, codes, nAGQ = 1L) {
  core <- cpp_glmm_create(X_conditioned, y, weights, offset, re_terms_for_core(re, re_scale), codes$family, codes$link)
  if (nAGQ > 1L) {
    rule <- gauss_hermite(nAGQ)
    cpp_glmm_set_quadrature(core, rule$nodes, rule$weights)
  }
  core
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
    opt <- tryCatch(cpp_glmm_optimize(core, start, lower, upper, lbfgs_control, TRUE), error = function(e) {
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
    values <- vapply(trials, function(x) cpp_glmm_objective(core, x), numeric(1))
    if (!any(is.finite(values)) || min(values) >= opt$deviance - 1e-6) break
    better <- run(trials[[which.min(values)]])
    if (is.null(better) || better$deviance >= opt$deviance) break
    opt <- better
  }
  cpp_glmm_objective(core, opt$par)   # leave the core at the end point
  opt$evaluations <- evaluations
  if (opt$status == -4L) opt$status <- 4L
  if (opt$status %in% 1:4) opt$message <- "converged (L-BFGS with the analytic gradient)"
  opt$optimizer <- "lbfgs"
  opt
}

# BOBYQA brings the objective to within ~1e-5 of the optimum; Newton steps do the rest.
optimize_bobyqa <- function(core, par0, lower, upper, control, ntheta, p, has_dispersion) {
  steps <- c(rep(0.5, ntheta), rep(0.2, p), if (has_dispersion) 0.5)
  bobyqa_control <- utils::modifyList(control, list(initial_steps = steps, ftol_abs = max(control$ftol_abs, 1e-5)))
  opt <- cpp_glmm_optimize(core, par0, lower, upper, bobyqa_control, FALSE)
  opt$optimizer <- "bobyqa"
  opt
}

# The analytic gradient of the Laplace deviance at par (NaN where unavailable).
glmm_gradient <- function(core, par) {
  g <- cpp_glmm_gradient(core, par)
  attr(g, "value") <- NULL
  g
}

# Hessian of the Laplace deviance by central differences of its analytic gradient (steps h).
gradient_hessian <- function(core, par, h) {
  H <- vapply(seq_along(par), function(i) {
    e <- replace(numeric(length(par)), i, h[i])
    (glmm_gradient(core, par + e) - glmm_gradient(core, par - e)) / (2 * h[i])
  }, numeric(length(par)))
  cpp_glmm_objective(core, par)   # leave the core at par
  (H + t(H)) / 2
}

# Convergence from the gradient at the end point: the Newton step -H^{-1} g (the gradient on the
# scale of the parameters' uncertainty) must be small in every free coordinate. Parameters at
# their lower bound with a gradient pointing outwards are fine, and so is a log dispersion
# beyond +-7 still drifting outwards (the optimum is at infinity: nbinom2 with size -> Inf is
# Poisson), as is a dispersion that dispersion_at_poisson_limit() found at its limit. Marks the fit
# as not converged (status -10, with the step's size) otherwise.
check_gradient <- function(core, opt, lower, has_dispersion, H = NULL, dispersion_at_limit = FALSE) {
  par <- opt$par
  g <- glmm_gradient(core, par)
  free <- !(par <= lower + 1e-8 & g >= 0)
  if (has_dispersion) {
    last <- length(par)
    if (dispersion_at_limit || (abs(par[last]) > 7 && sign(g[last]) == -sign(par[last]))) free[last] <- FALSE
  }
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

# b of the scaled terms (Z's layout: term, level, column) -> b of the user's terms.
unscale_b <- function(b, re, re_scale) {
  b / unlist(lapply(seq_along(re), function(i) rep(re_scale[[i]], re[[i]]$nlev)))
}

# Gauss-Hermite rule for the integral of exp(-x^2) f(x) (Golub-Welsch: eigen-decomposition of
# the Jacobi matrix of the Hermite polynomials).
gauss_hermite <- function(n) {
  J <- matrix(0, n, n)
  off <- sqrt(seq_len(n - 1L) / 2)
  J[cbind(seq_len(n - 1L), 2:n)] <- off
  J[cbind(2:n, seq_len(n - 1L))] <- off
  e <- eigen(J, symmetric = TRUE)
  list(nodes = rev(e$values), weights = rev(sqrt(pi) * e$vectors[1L, ]^2))
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

# Covariance of beta from the Hessian of the Laplace deviance in all parameters (as glmmTMB);
# conditional on the variance parameters when that Hessian is not positive definite (singular fits).
# `fix_dispersion`: leave out the dispersion (last parameter), as at its Poisson limit.
glmm_vcov_beta <- function(core, par, ntheta, p, A, use_gradient = FALSE, fix_dispersion = FALSE) {
  if (p == 0L) return(matrix(0, 0, 0))
  h <- 2e-4 * pmax(abs(par), 1)
  H <- if (use_gradient) gradient_hessian(core, par, h) else cpp_glmm_hessian(core, par, h)
  if (fix_dispersion) H <- H[-length(par), -length(par), drop = FALSE]
  idx <- ntheta + seq_len(p)
  V <- tryCatch({
    ch <- chol(H)
    2 * chol2inv(ch)[idx, idx, drop = FALSE]
  }, error = function(e) NULL)
  if (is.null(V)) V <- tryCatch(2 * solve(H[idx, idx, drop = FALSE]), error = function(e) matrix(NA_real_, p, p))
  A %*% V %*% t(A)
}

# The Hessian glmmTMB reports standard errors from: TMB's sdreport() inverts optimHess() of the
# exact gradient with steps 1e-3 in glmmTMB's parameters psi (raw beta, log SDs, log dispersion
# on glmmTMB's scale). With predictors on raw scales (slopes near 1e-3) those steps are not
# small, so the printed SEs depend on them; we repeat the computation to print the same numbers.
# Our gradient is the analytic one (or, for quadrature, a five-point stencil in the conditioned
# parameters z: a central difference is not accurate enough for the sixth printed digit).
# Returns psi, the Hessian of -log L there, and the covariance of beta (`fix_dispersion`: with
# the dispersion held fixed, as at its Poisson limit, where its curvature is noise).
tmb_hessian <- function(core, par, re, p, A, family_name, has_dispersion, A_inv = solve(A), use_gradient = FALSE,
                        fix_dispersion = FALSE) {
  ntheta <- length(par) - p - has_dispersion
  is_diag <- theta_diagonal_mask(re)
  disp_scale <- switch(family_name, gaussian = 0.5, Gamma = -0.5, 1)   # log phi = disp_scale * betad
  to_z <- function(psi) {
    th <- psi[p + seq_len(ntheta)]
    th[is_diag] <- exp(th[is_diag])
    c(th, drop(A_inv %*% psi[seq_len(p)]), if (has_dispersion) disp_scale * psi[p + ntheta + 1L])
  }
  dz_dpsi <- function(psi) {   # Jacobian of to_z
    J <- matrix(0, length(psi), length(psi))
    th <- psi[p + seq_len(ntheta)]
    J[seq_len(ntheta), p + seq_len(ntheta)] <- diag(ifelse(is_diag, exp(th), 1), ntheta)
    J[ntheta + seq_len(p), seq_len(p)] <- A_inv
    if (has_dispersion) J[length(psi), length(psi)] <- disp_scale
    J
  }
  gradient <- function(psi) {
    z <- to_z(psi)
    if (use_gradient) return(drop(crossprod(dz_dpsi(psi), glmm_gradient(core, z))) / 2)
    hz <- 1e-3 * pmax(abs(z), 1)
    f <- function(x) cpp_glmm_objective(core, x) / 2
    gz <- vapply(seq_along(z), function(i) {   # five-point stencil: error O(h^4), ~1e-8 here
      e <- replace(numeric(length(z)), i, hz[i])
      (f(z - 2 * e) - 8 * f(z - e) + 8 * f(z + e) - f(z + 2 * e)) / (12 * hz[i])
    }, numeric(1))
    drop(crossprod(dz_dpsi(psi), gz))
  }
  th <- par[seq_len(ntheta)]
  th[is_diag] <- log(th[is_diag])
  psi <- c(drop(A %*% par[ntheta + seq_len(p)]), th, if (has_dispersion) par[length(par)] / disp_scale)
  H <- t(vapply(seq_along(psi), function(i) {
    e <- replace(numeric(length(psi)), i, 1e-3)
    (gradient(psi + e) - gradient(psi - e)) / 2e-3
  }, numeric(length(psi))))
  H <- (H + t(H)) / 2
  keep <- if (fix_dispersion) -length(psi) else seq_along(psi)
  V <- tryCatch(solve(H[keep, keep, drop = FALSE]), error = function(e) NULL)
  vcov_beta <- if (!is.null(V) && all(is.finite(diag(V))) && all(diag(V)[seq_len(p)] > 0)) V[seq_len(p), seq_len(p), drop = FALSE]
  J_inv <- tryCatch(solve(dz_dpsi(psi)), error = function(e) NULL)   # H_z: the deviance's Hessian in z
  H_z <- if (!is.null(J_inv)) 2 * crossprod(J_inv, H %*% J_inv)
  list(psi = psi, H = H, H_z = H_z, vcov_beta = vcov_beta)
}

# Newton steps from L-BFGS's end point. They use the Hessian that the standard errors need anyway
# (hessian_at(par): tmb_hessian() there, in the conditioned parameters). glmmTMB's 1e-3 steps make
# that a secant rather than a tangent for slopes on raw scales, so when its steps stop shrinking
# fast, an accurate Hessian (central differences of the exact gradient) takes over. Steps stop
# below 1e-8 relative (no printed digit moves); the standard errors' Hessian is recomputed only
# when the point moved more than 1e-7 relative (below that the standard errors change by less
# than about 1e-7 relative, and glmmTMB's own end point is no closer to the optimum).
# Returns the polished optimizer state and that Hessian.
polish_with_hessian <- function(core, opt, lower, hessian_at) {
  par <- opt$par
  best <- opt$deviance
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
  g <- if (!is.null(H)) glmm_gradient(core, par)
  for (iter in seq_len(if (is.null(H) || any(!is.finite(g))) 0L else 8L)) {
    step <- newton_step(g)
    size <- if (is.null(step)) Inf else relative(step)
    if (size <= 1e-8) break   # no printed digit moves
    value <- if (is.finite(size)) cpp_glmm_objective(core, par - step) else Inf
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
    g <- glmm_gradient(core, par)
    if (any(!is.finite(g))) break
  }
  if (moved > 1e-7) hessian <- hessian_at(par)
  state <- cpp_glmm_state(core, par)   # also leaves the core at the optimum
  state[c("evaluations", "status", "message", "optimizer")] <- opt[c("evaluations", "status", "message", "optimizer")]
  list(opt = state, hessian = hessian)
}

# Newton steps from BOBYQA's end point in the conditioned parameters (gradient by a five-point
# stencil, Hessian by central differences), so that the estimates are exact to the digits
# glmmTMB prints, whatever the order of the data. A step is kept when it does not raise the
# objective beyond its rounding noise.
newton_polish <- function(core, opt, lower) {
  par <- opt$par
  best <- opt$deviance
  f <- function(z) cpp_glmm_objective(core, z)
  H <- cpp_glmm_hessian(core, par, 2e-4 * pmax(abs(par), 1))   # reused by every step
  for (iter in 1:3) {
    h <- 1e-3 * pmax(abs(par), 1)
    g <- vapply(seq_along(par), function(i) {
      e <- replace(numeric(length(par)), i, h[i])
      (f(par - 2 * e) - 8 * f(par - e) + 8 * f(par + e) - f(par + 2 * e)) / (12 * h[i])
    }, numeric(1))
    step <- tryCatch(solve(H, g), error = function(e) NULL)
    if (is.null(step) || any(!is.finite(step)) || any(par - step < lower)) break
    value <- f(par - step)
    if (!is.finite(value) || value > best + 1e-9) break
    par <- par - step
    best <- min(best, value)
    if (max(abs(step)) < 1e-8) break
  }
  state <- cpp_glmm_state(core, par)   # also leaves the core at the optimum
  state[c("evaluations", "status", "message", "optimizer")] <- opt[c("evaluations", "status", "message", "optimizer")]
  state
}

# For each theta entry that is a diagonal element of its term's factor T_i, the theta entries
# below it in the same column (consecutive in the column-major packing); integer(0) otherwise.
theta_below_diagonal <- function(re) {
  out <- list()
  pos <- 0L
  for (t in re) {
    k <- ncol(t$Xt)
    for (j in seq_len(k)) {
      idx <- pos + seq_len(k - j + 1L)
      out[idx] <- list(integer(0))
      out[[idx[1L]]] <- idx[-1L]
      pos <- pos + length(idx)
    }
  }
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
