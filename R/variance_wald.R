# variance_wald.R: Wald intervals for the variance parameters (random-effect SDs and correlations,
# the residual SD or the family's dispersion), as glmmTMB's confint(method = "wald") gives them and
# 'parameters' reports them: each SD and the dispersion on the log scale, the correlation of a
# two-column term on glmmTMB's scale rho / sqrt(1 - rho^2), exp() or its inverse of estimate
# -+ z standard errors. The standard errors come from the inverse Hessian of -log L at the fit.
#
# Notation: nu = the transformed variance parameters in the order of the rows returned (per term:
# log SDs, then correlations on glmmTMB's scale; then log sigma or log dispersion). LMMs: the
# Hessian of the ML (or REML) deviance in nu, with beta profiled out (which leaves the nu block of
# the inverse unchanged at the optimum). GLMMs: the Hessian of the Laplace deviance in the core's
# parameters, carried to nu by the delta method (exact at the optimum).

# One row per variance parameter: group, term (e.g. "(Intercept)", "Days", "(Intercept).Days"),
# type ("sd", "cor", "sigma"), estimate, se (on the transformed scale) and the Wald limits.
variance_parameter_wald <- function(object, level = 0.95) {
  rows <- variance_parameter_rows(object)
  V <- tryCatch(if (object$map$kind == "lmm") lmm_nu_covariance(object, rows) else glmm_nu_covariance(object, rows),
                error = function(e) NULL)
  variances <- if (is.null(V)) rep(NA_real_, nrow(rows)) else diag(V)
  se <- sqrt(ifelse(is.finite(variances) & variances > 0, variances, NA_real_))
  se[!rows$wald] <- NA_real_
  z <- stats::qnorm((1 + level) / 2)
  rows$se <- se
  ends <- rbind(nu_to_natural(rows$nu - z * se, rows$type), nu_to_natural(rows$nu + z * se, rows$type))
  rows$lower <- apply(ends, 2L, min)
  rows$upper <- apply(ends, 2L, max)
  rows[c("group", "term", "type", "estimate", "se", "lower", "upper")]
}

# The variance parameters of the fit with their transformed values nu; `wald` is FALSE for the
# correlations of terms with three or more columns (glmmTMB shifts all its parameters at once there).
variance_parameter_rows <- function(object) {
  re <- core_terms(object$re)   # a "diag" term: its SDs only, one scalar core term per column
  covs <- re_covariances(object$theta, map_re_sigma(object$map, object$sigma), re)
  pieces <- lapply(seq_along(re), function(i) {
    S <- covs[[i]]
    cn <- re[[i]]$cnms
    sds <- sqrt(diag(S))
    cells <- which(lower.tri(S, diag = TRUE), arr.ind = TRUE)   # column-major, as theta_to_natural()
    is_sd <- cells[, 1L] == cells[, 2L]
    estimate <- ifelse(is_sd, sds[cells[, 1L]], S[cells] / (sds[cells[, 1L]] * sds[cells[, 2L]]))
    data.frame(group = re[[i]]$group,
               term = ifelse(is_sd, cn[cells[, 1L]], paste(cn[cells[, 2L]], cn[cells[, 1L]], sep = ".")),
               type = ifelse(is_sd, "sd", "cor"), estimate = unname(estimate),
               wald = is_sd | length(cn) == 2L, stringsAsFactors = FALSE)
  })
  rows <- do.call(rbind, pieces)
  dispersion <- if (object$map$kind == "lmm") object$sigma else object$dispersion
  if (!is.null(dispersion)) {
    rows <- rbind(rows, data.frame(group = "Residual", term = "sigma", type = "sigma", estimate = dispersion,
                                   wald = TRUE, stringsAsFactors = FALSE))
  }
  rows$nu <- natural_to_nu(rows$estimate, rows$type)
  rows
}

# SDs and dispersion to the log scale, correlations to rho / sqrt(1 - rho^2) (and back).
natural_to_nu <- function(x, type) {
  cor <- type == "cor"
  x[cor] <- x[cor] / sqrt(1 - x[cor]^2)
  x[!cor] <- log(x[!cor])
  x
}
nu_to_natural <- function(nu, type) {
  cor <- type == "cor"
  nu[cor] <- nu[cor] / sqrt(1 + nu[cor]^2)
  nu[!cor] <- exp(nu[!cor])
  nu
}

# theta (lme4's relative factors) and sigma from nu, for the LMM core.
nu_to_theta_sigma <- function(nu, rows, re) {
  natural <- nu_to_natural(nu, rows$type)
  sigma <- natural[rows$type == "sigma"]
  list(theta = natural_to_theta(natural[rows$type != "sigma"], sigma, re), sigma = sigma)
}

# Covariance of nu for an LMM: 2 H^{-1}, H the Hessian of the (ML or REML) deviance in nu with beta
# profiled out, by central differences (the deviance is a closed form in theta: no inner iteration).
lmm_nu_covariance <- function(object, rows) {
  core <- ensure_core(object)
  reml <- isTRUE(object$REML)
  n <- object$nobs
  p <- length(object$beta)
  deviance_at <- function(nu) {
    pars <- nu_to_theta_sigma(nu, rows, core_terms(object$re))
    st <- core_state(core, pars$theta, reml)
    dof <- if (reml) n - p else n
    st$logdet_L2 + (if (reml) st$logdet_RX2 else 0) + dof * log(2 * pi * pars$sigma^2) + st$pwrss / pars$sigma^2
  }
  H <- fd_hessian(deviance_at, rows$nu, 1e-3 * pmax(abs(rows$nu), 1))
  2 * solve(H)
}

# Covariance of nu for a GLMM: from the Hessian glmmTMB reports its standard errors from
# (tmb_hessian(): raw beta, log SDs, log dispersion on glmmTMB's scale, TMB's 1e-3 steps, which
# matter for slopes on raw scales such as the chapter's MAP), inverted and carried to nu.
glmm_nu_covariance <- function(object, rows) {
  core <- ensure_core(object)
  map <- core$map
  ntheta <- map$ntheta
  p <- map$p
  nagq <- if (is.null(object$nAGQ)) 1L else object$nAGQ
  tmb <- tmb_hessian(core, object$par, use_gradient = nagq == 1L)
  V_psi <- solve(tmb$H)
  to_nu <- function(psi) {
    par <- map_from_psi(map, psi)
    natural <- theta_to_natural(unscale_theta(par[seq_len(ntheta)], map$re, map$re_scale), 1, map$re)
    nu <- natural_to_nu(natural, rows$type[rows$type != "sigma"])
    if (map$has_dispersion) c(nu, map_disp_scale(map) * psi[length(psi)]) else nu
  }
  keep <- c(p + seq_len(ntheta), if (map$has_dispersion) length(tmb$psi))
  J <- fd_jacobian(to_nu, tmb$psi, 1e-6 * pmax(abs(tmb$psi), 1))[, keep, drop = FALSE]
  J %*% V_psi[keep, keep, drop = FALSE] %*% t(J)
}
