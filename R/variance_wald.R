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
  V <- tryCatch(variance_nu_covariance(object, rows), error = function(e) NULL)
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
  pieces <- lapply(seq_along(object$re), function(i) {
    S <- object$cov_re[[i]]
    cn <- object$re[[i]]$cnms
    sds <- sqrt(diag(S))
    cells <- which(lower.tri(S, diag = TRUE), arr.ind = TRUE)   # column-major, as theta_to_natural()
    is_sd <- cells[, 1L] == cells[, 2L]
    estimate <- ifelse(is_sd, sds[cells[, 1L]], S[cells] / (sds[cells[, 1L]] * sds[cells[, 2L]]))
    data.frame(group = object$re[[i]]$group,
               term = ifelse(is_sd, cn[cells[, 1L]], paste(cn[cells[, 2L]], cn[cells[, 1L]], sep = ".")),
               type = ifelse(is_sd, "sd", "cor"), estimate = unname(estimate),
               wald = is_sd | length(cn) == 2L, stringsAsFactors = FALSE)
  })
  rows <- do.call(rbind, pieces)
  dispersion <- if (is_gaussian_identity(object$family)) object$sigma else object$dispersion
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

# Covariance of nu for both model kinds: vcov(full = TRUE) (glmmTMB's psi: beta, betad, each
# term's theta on glmmTMB's scale, the shape; R/inference_core.R) carried to nu by the delta method
# (exact at the optimum).
variance_nu_covariance <- function(object, rows) {
  V_psi <- suppressWarnings(vcov.glmmlab(object, full = TRUE))
  psi <- tmb_psi(object)
  p <- length(object$beta)
  has_disp <- has_dispersion_parameter(object)
  # per term, the order of tmb_natural() (SDs, then correlations) -> the rows' (lower triangle, column-major)
  reorder <- unlist(lapply(object$re, function(t) {
    k <- length(t$cnms)
    cells <- which(lower.tri(diag(k), diag = TRUE), arr.ind = TRUE)
    cor_pos <- cumsum(cells[, 1L] != cells[, 2L])
    list(ifelse(cells[, 1L] == cells[, 2L], cells[, 1L], k + cor_pos))
  }), recursive = FALSE)
  to_nu <- function(x) {
    natural <- tmb_natural(object, x)[-seq_len(p)]
    sigma <- if (has_disp) natural[1L]
    terms <- if (has_disp) natural[-1L] else natural
    pos <- 0L
    per_term <- lapply(seq_along(object$re), function(i) {
      k <- length(object$re[[i]]$cnms)
      m <- k * (k + 1L) / 2L
      out <- terms[pos + reorder[[i]]]
      pos <<- pos + m
      out
    })
    natural_to_nu(c(unlist(per_term), sigma), rows$type)
  }
  J <- numeric_jacobian(to_nu, unname(psi), seq_along(psi))
  J %*% V_psi %*% t(J)
}

# Central-difference Hessian of f at x with relative steps h.
numeric_hessian <- function(f, x, h = 1e-3) {
  k <- length(x)
  step <- h * pmax(abs(x), 1)
  f0 <- f(x)
  H <- matrix(0, k, k)
  for (i in seq_len(k)) {
    ei <- replace(numeric(k), i, step[i])
    H[i, i] <- (f(x + ei) - 2 * f0 + f(x - ei)) / step[i]^2
    for (j in seq_len(i - 1L)) {
      ej <- replace(numeric(k), j, step[j])
      H[i, j] <- H[j, i] <- (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * step[i] * step[j])
    }
  }
  H
}

# Jacobian of f at x with respect to the coordinates `keep` (central differences).
numeric_jacobian <- function(f, x, keep) {
  step <- 1e-6 * pmax(abs(x), 1)
  k <- length(f(x))
  J <- vapply(keep, function(i) {
    e <- replace(numeric(length(x)), i, step[i])
    (f(x + e) - f(x - e)) / (2 * step[i])
  }, numeric(k))
  matrix(J, nrow = k)
}
