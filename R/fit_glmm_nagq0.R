# fit_glmm_nagq0.R: the fast, approximate GLMM fit of lme4's nAGQ = 0. For each value of the
# covariance parameters theta, the fixed effects beta are those of the penalized IRLS problem,
# minimizing the penalized deviance -2 log p(y | beta, u) + |u|^2 jointly over (beta, u)
# (the Laplace approximation's log-determinant plays no part in them); theta alone then
# minimizes the Laplace deviance at those beta. The core (R/core.R) gives, at (theta, beta), the
# conditional modes u, eta and the conditional log-likelihood; beta's gradient is X'(d l / d eta).

# Fit by nAGQ = 0 on the conditioned design: the same result list as optimize_bobyqa() (par,
# deviance, u, b, eta, status, message, evaluations, optimizer) plus vcov_z, the covariance of
# the conditioned beta from the penalized problem at the estimates (lme4's RX'RX inverse).
optimize_nagq0 <- function(core, par0, lower, ntheta, p, X, y, weights, family, control) {
  if (ntheta == 0L) stop("nAGQ = 0 needs random effects", call. = FALSE)
  beta_now <- par0[ntheta + seq_len(p)]
  evaluations <- 0L
  laplace <- function(theta) {
    beta_now <<- penalized_beta(core, theta, beta_now, X, y, weights, family)
    evaluations <<- evaluations + 1L
    core_objective(core, c(theta, beta_now))
  }
  theta0 <- pmax(par0[seq_len(ntheta)], lower[seq_len(ntheta)])
  opt <- nloptr::nloptr(theta0, laplace, lb = lower[seq_len(ntheta)], ub = rep(Inf, ntheta),
                        opts = list(algorithm = if (ntheta == 1L) "NLOPT_LN_SBPLX" else "NLOPT_LN_BOBYQA",
                                    xtol_rel = 1e-10, ftol_abs = 1e-12, maxeval = control$maxeval %||% 10000L))
  theta <- opt$solution
  beta <- penalized_beta(core, theta, beta_now, X, y, weights, family)
  par <- c(theta, beta)
  state <- core_state(core, par)
  H <- penalized_hessian(core, theta, beta, X, y, weights, family)
  vcov_z <- tryCatch(2 * solve(H), error = function(e) matrix(NA_real_, p, p))
  list(par = par, deviance = core_objective(core, par), u = state$u, b = state$b, eta = state$eta,
       status = opt$status, message = paste("nAGQ = 0:", opt$message), evaluations = evaluations + opt$iterations,
       optimizer = "nagq0", vcov_z = vcov_z)
}

# The fixed effects minimizing the penalized deviance at theta (Newton steps on the profiled
# penalized deviance, from `beta`, halving a step that does not lower it).
penalized_beta <- function(core, theta, beta, X, y, weights, family) {
  value <- function(b) penalized_deviance(core, theta, b)
  current <- value(beta)
  for (iter in 1:100) {
    g <- penalized_gradient(core, theta, beta, X, y, weights, family)
    H <- penalized_hessian(core, theta, beta, X, y, weights, family)
    step <- tryCatch(solve(H, g), error = function(e) g / max(1, sqrt(sum(g^2))))
    for (half in 0:30) {
      trial <- beta - step / 2^half
      v <- value(trial)
      if (is.finite(v) && v <= current) break
    }
    if (!is.finite(v) || v > current) break
    done <- current - v < 1e-12 * (1 + abs(v)) && max(abs(step / 2^half)) < 1e-9
    beta <- trial
    current <- v
    if (done) break
  }
  beta
}

# -2 log p(y | beta, u-hat) + |u-hat|^2 at (theta, beta): the penalized deviance, minimized over u.
penalized_deviance <- function(core, theta, beta) {
  s <- core_state(core, c(theta, beta))
  -2 * s$loglik_cond + sum(s$u^2)
}

# Its gradient in beta: at the conditional modes the u-part vanishes, leaving -2 X' (d l / d eta).
penalized_gradient <- function(core, theta, beta, X, y, weights, family) {
  eta <- core_state(core, c(theta, beta))$eta
  mu <- family$linkinv(eta)
  score <- weights * (y - mu) * family$mu.eta(eta) / family$variance(mu)
  -2 * drop(crossprod(X, score))
}

# Its Hessian in beta, by central differences of the gradient (symmetrized).
penalized_hessian <- function(core, theta, beta, X, y, weights, family) {
  p <- length(beta)
  h <- 1e-5 * pmax(abs(beta), 1)
  H <- vapply(seq_len(p), function(j) {
    e <- replace(numeric(p), j, h[j])
    (penalized_gradient(core, theta, beta + e, X, y, weights, family) -
       penalized_gradient(core, theta, beta - e, X, y, weights, family)) / (2 * h[j])
  }, numeric(p))
  H <- matrix(H, p, p)
  (H + t(H)) / 2
}

# fit_glmm()'s result for nAGQ = 0 (families without a dispersion parameter only).
fit_glmm_nagq0 <- function(core, par0, lower, re, X, y, weights, family, control) {
  map <- core$map
  if (map$has_dispersion) {
    stop(sprintf("`nAGQ = 0` is available for families without a dispersion parameter (binomial, poisson), not for %s; use nAGQ = 1",
                 family$family), call. = FALSE)
  }
  ntheta <- map$ntheta
  p <- map$p
  opt <- optimize_nagq0(core, par0, lower, ntheta, p, X %*% map$A, y, weights, family, control)
  if (!is.finite(opt$deviance)) stop(not_finite_message(family), call. = FALSE)
  est <- map_user(map, opt$par, opt)
  names(est$beta) <- colnames(X)
  vc <- map$A %*% opt$vcov_z %*% t(map$A)
  dimnames(vc) <- list(colnames(X), colnames(X))
  list(theta = est$theta, beta = est$beta, sigma = est$sigma, dispersion = est$dispersion,
       vcov = vc, b = est$b, u = est$u, deviance = opt$deviance, loglik = -opt$deviance / 2,
       df = ntheta + p, evaluations = opt$evaluations, status = opt$status,
       message = opt$message, singular = is_singular(map_singular_theta(map, opt$par), re, control$check_singular),
       par = opt$par, core = core, map = map, nAGQ = 0L, optimizer = opt$optimizer, dispersion_limit = NULL)
}
