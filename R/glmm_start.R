# glmm_start.R: stage 4 for GLMMs, where the optimizer starts. Fixed effects and dispersion come
# from the GLM without random effects; the variance parameters from one EM step at theta = 1
# (each term's covariance := the mean over its levels of b b' + Var(b | y) at the mode), then on
# large models a Newton step for the fixed effects at that theta; L-BFGS gets a diagonal
# preconditioner from the curvature the same quantities predict.

# Starting fixed effects (for the columns of X as given) and dispersion from a GLM without random
# effects: Fisher scoring in C++ from the family's usual start (or from `eta_start`, lme4's
# etastart), glm.fit() when that fails.
glm_start <- function(X, y, weights, offset, family, eta_start = NULL) {
  fam <- family$family
  glm_family <- start_family(family)
  codes <- family_codes(glm_family)
  eta0 <- if (!is.null(eta_start)) eta_start else glm_eta_start(y, weights, glm_family)
  storage.mode(X) <- "double"
  fit <- if (!is.null(eta0)) tryCatch(cpp_glm_fit(X, as.numeric(y), as.numeric(weights), as.numeric(offset), eta0,
                                                  codes$family, codes$link, 1),
                                      error = function(e) NULL)
  if (!is.null(fit) && isTRUE(fit$converged) && all(is.finite(fit$beta))) {
    beta <- fit$beta
    mu <- glm_family$linkinv(fit$eta)
  } else {
    fit <- tryCatch(suppressWarnings(stats::glm.fit(X, y, weights = weights, offset = offset, family = glm_family)),
                    error = function(e) NULL)
    beta <- if (!is.null(fit) && all(is.finite(fit$coefficients))) fit$coefficients else rep(0, ncol(X))
    mu <- if (!is.null(fit)) fit$fitted.values else rep(mean(y), length(y))
  }
  phi <- switch(fam,
    gaussian = sqrt(sum(weights * (y - mu)^2) / length(y)),
    Gamma = sqrt(sum(((y - mu) / mu)^2) / length(y)),
    nbinom2 = , truncated_nbinom2 = { excess <- mean((y - mu)^2 - mu); if (excess > 0) mean(mu^2) / excess else 1 },
    nbinom1 = , truncated_nbinom1 = max(mean((y - mu)^2 / mu) - 1, 0.1),
    genpois = max(mean((y - mu)^2 / mu), 1),
    tweedie = mean((y - mu)^2 / mu^1.5),
    lognormal = sqrt(mean((y - mu)^2)),
    t = { r <- y - mu; s <- stats::mad(r); if (is.finite(s) && s > 0) s else sqrt(mean(r^2)) },
    beta = mean(mu * (1 - mu)) / mean((y - mu)^2) - 1,
    betabinomial = betabinomial_phi_start(y, mu, weights),
    NA_real_)
  list(beta = unname(beta), phi = if (is.finite(phi) && phi > 0.01) phi else 1, shape = shape_start(fam))
}

# The stats family whose GLM (without random effects) gives the fixed effects' start: the
# family itself, or the one of the same mean structure for glmmTMB's families.
start_family <- function(family) {
  link <- family$link
  switch(family$family,
    nbinom1 = , nbinom2 = , genpois = , tweedie = , truncated_poisson = , truncated_nbinom1 = ,
    truncated_nbinom2 = stats::poisson(link = link),
    beta = , betabinomial = stats::binomial(link = link),
    t = stats::gaussian(link = link),
    lognormal = stats::Gamma(link = link),
    family)
}

# The start of a family's shape parameter on glmmTMB's psi scale (NULL without one): Tweedie
# power 1.5 (psi = 0, as glmmTMB), t with 5 degrees of freedom.
shape_start <- function(family_name) {
  switch(family_name, tweedie = 0, t = log(5), NULL)
}

# Beta-binomial precision from the Pearson statistic of the binomial GLM: its mean is
# 1 + (n - 1) rho on average, rho = 1 / (phi + 1) the intra-class correlation.
betabinomial_phi_start <- function(y, mu, trials) {
  n_bar <- mean(trials)
  if (n_bar <= 1 + 1e-8) return(1)
  x2 <- mean((trials * (y - mu))^2 / (trials * mu * (1 - mu)))
  rho <- (x2 - 1) / (n_bar - 1)
  if (!is.finite(rho) || rho <= 0) return(100)
  if (rho >= 1) return(0.1)
  1 / rho - 1
}

# The linear predictor glm() starts from: the family's `initialize` expression (its mustart)
# through the link; when that is not valid (gaussian y <= 0 under a sqrt or log link), the link
# of the weighted mean response for every row; NULL when neither is valid (glm.fit() then decides).
# (Never eta = 0 by default: under the sqrt link mu = eta^2 is flat there, a stationary point.)
glm_eta_start <- function(y, weights, family) {
  env <- list2env(list(y = y, weights = weights, nobs = length(y), etastart = NULL, mustart = NULL, start = NULL))
  valid <- function(eta) length(eta) == length(y) && all(is.finite(eta)) && family$valideta(eta) &&
    family$validmu(family$linkinv(eta))
  eta <- tryCatch(suppressWarnings({
    eval(family$initialize, env)
    family$linkfun(env$mustart)
  }), error = function(e) NULL)
  if (valid(eta)) return(eta)
  eta <- tryCatch(suppressWarnings(rep(family$linkfun(stats::weighted.mean(y, weights)), length(y))), error = function(e) NULL)
  if (valid(eta)) eta
}

# The fixed effects' Newton step at par, given theta: the exact gradient there and the information
# on beta given theta at par (its curvature without the log-determinant's part); kept when it
# lowers the objective `value` at par; list(par, info), info the information used (NULL if none).
# The GLM's start is a marginal fit: its intercept is off by about half the random effects'
# variance on the link scale, which the EM step's theta alone does not correct, and the
# information at theta = 1 misjudges the fixed effects' curvature (L-BFGS's first step then
# overshoots). Measured: the 100,000-row crossed Poisson GLMM of inst/bench needs 7 L-BFGS
# evaluations instead of 13, the 200,000-row binomial 7 instead of 12; the chapter's and cbpp's
# GLMMs gain nothing and pay the step's two evaluations (up to 7% of their time), so em_start()
# takes it from 10,000 rows.
beta_newton_step <- function(core, par, value, ntheta) {
  info <- tryCatch(cpp_core_beta_information(core$ptr, par, reml = FALSE), error = function(e) NULL)
  if (is.null(info) || ncol(info) == 0L || !all(is.finite(info))) return(list(par = par, info = NULL))
  beta <- ntheta + seq_len(ncol(info))
  g <- core_gradient(core, par)
  delta <- tryCatch(solve(2 * info, g[beta]), error = function(e) NULL)
  if (is.null(delta) || !all(is.finite(delta))) return(list(par = par, info = info))
  moved <- replace(par, beta, par[beta] - delta)
  moved_value <- core_objective(core, moved)
  list(par = if (is.finite(moved_value) && moved_value < value) moved else par, info = info)
}

# One EM step for theta from par0 (when `step`), and the scales for L-BFGS: list(par, scale),
# scale NULL when the core cannot say. The scales are square roots of predicted curvatures of
# the deviance: 2 diag(information on beta given theta) for the fixed effects; for a diagonal
# element theta of a term, the sum over levels of 4 theta^2 / (theta^2 + v_l)^2, with v_l the
# level's sampling variance (the Hessian of -2 log L in sigma for b_l ~ N(0, sigma^2 + v_l));
# their geometric means for the entries below the diagonal; a finite difference of the gradient
# for the log dispersion. A step that does not lower the objective is not taken.
em_start <- function(core, par0, re, n, has_dispersion, step = TRUE, n_shape = 0L) {
  ntheta <- length(theta_start(re))
  info <- cpp_core_start_info(core$ptr, par0)
  # no information on beta (fitted values at the family's bounds, as under separation): the
  # moments say nothing either
  if (is.null(info$moments) || any(diag(info$beta_info) < 1e-8 * n)) return(list(par = par0, scale = NULL))
  factors <- theta_to_factors(par0[seq_len(ntheta)], re)
  theta <- numeric(0)
  scale <- numeric(0)
  col <- 0L
  u_pos <- 0L
  for (i in seq_along(re)) {
    k <- ncol(re[[i]]$Xt)
    nlev <- re[[i]]$nlev
    Ti <- factors[[i]]
    S <- Ti %*% info$moments[seq_len(k), col + seq_len(k), drop = FALSE] %*% t(Ti)
    L <- tryCatch(t(chol(S)), error = function(e) NULL)
    if (step && !is.null(L) && all(is.finite(L)) && all(diag(L) > 1e-4)) Ti <- L
    c_diag <- matrix(info$cond_diag[u_pos + seq_len(k * nlev)], k, nlev)   # level-major
    curvature <- vapply(seq_len(k), function(a) {
      v <- factors[[i]][a, a]^2 * c_diag[a, ] / pmax(1 - c_diag[a, ], 1e-12)
      sum(4 * Ti[a, a]^2 / (Ti[a, a]^2 + v)^2)
    }, numeric(1))
    s_diag <- sqrt(curvature)
    s_term <- sqrt(outer(s_diag, s_diag))
    theta <- c(theta, Ti[lower.tri(Ti, diag = TRUE)])
    scale <- c(scale, s_term[lower.tri(s_term, diag = TRUE)])
    col <- col + k
    u_pos <- u_pos + k * nlev
  }
  par <- replace(par0, seq_len(ntheta), theta)
  if (step) {
    value <- core_objective(core, par)
    if (!is.finite(value) || value > info$value) {
      par <- par0
    } else if (n >= 10000L) {   # see beta_newton_step(): on small models it costs more than it saves
      stepped <- beta_newton_step(core, par, value, ntheta)
      par <- stepped$par
      if (!is.null(stepped$info)) info$beta_info <- stepped$info   # the curvature at the new theta, for the scales
    }
  }
  scale <- c(scale, sqrt(2 * pmax(diag(info$beta_info), 0)))
  # the log dispersion, then the shape parameter (whose gradient is a difference itself: a wider step)
  extra <- c(if (has_dispersion) 1e-3, if (n_shape > 0L) 1e-2)
  for (k in seq_along(extra)) {
    last <- length(par) - length(extra) + k
    curvature <- drop(fd_jacobian(function(x) core_gradient(core, replace(par, last, x))[last], par[last], extra[k]))
    scale <- c(scale, if (is.finite(curvature) && curvature > 0) sqrt(curvature) else 1)
  }
  if (length(scale) != length(par) || !all(is.finite(scale)) || max(scale) <= 0) return(list(par = par, scale = NULL))
  list(par = par, scale = pmax(scale, 1e-3 * max(scale)))
}
