# diagnose.R: glmmTMB's diagnose() for glmm fits: checks of a fit for the usual causes of
# convergence trouble, in glmmTMB's parameters psi (R/inference_core.R): large coefficients,
# badly scaled predictors, large Wald z statistics, a large gradient and a Hessian that is not
# positive definite (with the parameters along its flat directions).

#' Diagnose problems of a fitted model
#'
#' As glmmTMB's `diagnose()`: looks for the usual causes of convergence problems and unreliable
#' standard errors, in glmmTMB's parameters (the fixed effects; the log dispersion `d~(Intercept)`;
#' per random-effect term the log standard deviations and correlation parameters
#' `theta_<term>.<k>`, as `vcov(m, full = TRUE)` names them), and prints what it finds:
#' (1) unusually large coefficients (`|x| > big_coef`; fixed effects only under a log, logit,
#' probit or cloglog link, where they suggest complete separation; a large negative log standard
#' deviation is a variance going to zero); (2) predictors with very small or large standard
#' deviations (`|log10(sd)| > big_sd_log10`); (3) large Wald z statistics (`|z| > big_zstat`:
#' Wald intervals and p-values may be unreliable; or the parameter is simply well estimated);
#' (4) a gradient of the negative log-likelihood larger than `big_grad` at the estimates (the
#' optimizer stopped short; maximum-likelihood fits); (5) a Hessian that is not positive definite
#' (its Cholesky factorization fails), with its eigenvalues at most `eval_eps` relative to the
#' largest and the parameters that dominate (`|element| > evec_eps`) each of these flat directions. For REML fits the fixed effects are integrated
#' out, as in glmmTMB, and only the variance parameters are checked.
#'
#' @param fit a model fitted by [glmm()].
#' @param eval_eps relative size of an eigenvalue of the Hessian counted as zero.
#' @param evec_eps size of an eigenvector element that marks a parameter as part of a flat direction.
#' @param big_coef size of a coefficient counted as unusually large.
#' @param big_sd_log10 predictors whose standard deviation is below `10^-big_sd_log10` or above
#'   `10^big_sd_log10` are flagged.
#' @param big_zstat size of a Wald z statistic counted as unusually large.
#' @param big_grad size of a gradient element (of minus the log-likelihood) counted as large.
#' @param check_coefs,check_zstats,check_hessian,check_scales,check_gradient logical: run that check?
#' @param explain logical: print an explanation of each problem found?
#' @return `TRUE` if nothing questionable was found, else `FALSE` (invisibly).
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(1:10, each = 8)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(10)[d$g] + rnorm(80)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' diagnose(m)
#' d$x_big <- d$x * 1e5
#' diagnose(glmm(y ~ x_big + (1 | g), data = d), explain = FALSE)
#' @export
diagnose <- function(fit, eval_eps = 1e-5, evec_eps = 1e-2, big_coef = 10, big_sd_log10 = 3, big_zstat = 5,
                     big_grad = 1e-3, check_coefs = TRUE, check_zstats = TRUE, check_hessian = TRUE,
                     check_scales = TRUE, check_gradient = TRUE, explain = TRUE) {
  if (!inherits(fit, "glmmlab")) {
    if (inherits(fit, "glmmTMB") && requireNamespace("glmmTMB", quietly = TRUE)) {
      return(do.call(getExportedValue("glmmTMB", "diagnose"), as.list(match.call())[-1L], envir = parent.frame()))
    }
    stop("diagnose() needs a model fitted by glmm()", call. = FALSE)
  }
  check_no_components(fit, "diagnose()")
  if (isTRUE(fit$REML) && !is_gaussian_identity(fit$family)) {
    stop("diagnose() is not available yet for REML fits of GLMMs: refit with REML = FALSE", call. = FALSE)
  }
  for (nm in c("check_coefs", "check_zstats", "check_hessian", "check_scales", "check_gradient", "explain")) check_flag(get(nm), nm)
  for (nm in c("eval_eps", "evec_eps", "big_coef", "big_sd_log10", "big_zstat", "big_grad")) check_positive_number(get(nm), nm)
  say <- function(...) if (explain) cat(strwrap(paste0(...)), "", sep = "\n")
  pars <- diagnose_parameters(fit)
  ok <- TRUE
  if (check_coefs) ok <- diagnose_coefficients(pars, fit, big_coef, say) && ok
  if (check_scales) ok <- diagnose_scales(fit, big_sd_log10, say) && ok
  if (check_zstats) ok <- diagnose_zstats(pars, big_zstat, say) && ok
  if (check_gradient && !is.null(pars$gradient)) ok <- diagnose_gradient(pars, big_grad, say) && ok
  if (check_hessian) ok <- diagnose_hessian(pars, eval_eps, evec_eps, say) && ok
  if (ok) cat("model looks OK!\n")
  invisible(ok)
}

# A single positive number, or a clear error naming the argument.
check_positive_number <- function(value, name) {
  if (!is.numeric(value) || length(value) != 1L || !is.finite(value) || value <= 0) {
    stop(sprintf("`%s` must be a positive number", name), call. = FALSE)
  }
}

# glmmTMB's parameters of a fit: list(est, se, names, is_beta, gradient (ML fits, of minus the
# log-likelihood in psi), hessian (of minus the log-likelihood in psi), singular).
diagnose_parameters <- function(fit) {
  if (!length(fit$re)) {   # no random effects: the fixed effects, with the exact covariance
    V <- fit$vcov
    return(list(est = fit$beta, se = sqrt(diag(V)), names = names(fit$beta), is_beta = rep(TRUE, length(fit$beta)),
                gradient = NULL, hessian = tryCatch(solve(V), error = function(e) NULL), singular = FALSE))
  }
  view <- inference_view(fit)
  nm <- tmb_parameter_names(fit, view$has_disp)
  V <- suppressWarnings(full_covariance(fit))
  if (view$reml) {   # beta integrated out: the variance parameters phi_reml = (theta, log sigma)
    phi_r <- reml_phi(view)
    est <- c(fit$beta, reml_psi(view, phi_r))
    J <- reml_psi_jacobian(view, phi_r)
    H_phi <- reml_hessian(view) / 2
    g_phi <- NULL
  } else {
    est <- view_psi(view, view$phi)
    J <- view_psi_jacobian(view)
    H_phi <- view_hessian(view) / 2
    g_phi <- if (view$nagq == 1L) core_gradient(view$core, view$phi) / 2
  }
  names(est) <- nm
  singular <- !all(is.finite(est)) || !all(is.finite(J))
  # minus the log-likelihood's derivatives in psi: g_psi = J^-T g_phi, H_psi = J^-T H_phi J^-1
  J_inv <- if (!singular) tryCatch(solve(J), error = function(e) NULL)
  H <- if (!is.null(J_inv)) crossprod(J_inv, H_phi %*% J_inv)
  g <- if (!is.null(J_inv) && !is.null(g_phi)) drop(crossprod(J_inv, g_phi))
  if (!is.null(H)) dimnames(H) <- list(utils::tail(nm, nrow(H)), utils::tail(nm, nrow(H)))
  if (!is.null(g)) names(g) <- nm
  is_beta <- seq_along(nm) <= length(fit$beta)
  list(est = est, se = suppressWarnings(sqrt(diag(V))), names = nm, is_beta = is_beta, reml = view$reml,
       gradient = g, hessian = H, singular = singular, H_phi = H_phi)
}

# Check (1): large coefficients (fixed effects only under links whose scale is unitless).
diagnose_coefficients <- function(pars, fit, big_coef, say) {
  unitless <- fit$family$link %in% c("log", "cloglog", "logit", "probit")
  checked <- (!pars$is_beta | unitless) & !(pars$is_beta & isTRUE(pars$reml))
  big <- pars$est[checked & is.finite(pars$est) & abs(pars$est) > big_coef]
  at_zero <- pars$est[checked & !is.finite(pars$est)]
  if (!length(big) && !length(at_zero)) return(TRUE)
  if (length(big)) { cat(sprintf("Unusually large coefficients (|x|>%g):\n\n", big_coef)); print(big); cat("\n") }
  if (length(at_zero)) {
    cat("Parameters at the edge of their range (a variance of 0 or a correlation of +-1: a singular fit):\n",
        paste(names(at_zero), collapse = ", "), "\n\n")
  }
  say("Large negative log standard deviations (theta_) or log dispersions suggest unnecessary components ",
      "(a variance converging to zero); large fixed effects under a log, logit, probit or cloglog link ",
      "suggest (quasi-)complete separation.")
  FALSE
}

# Check (2): predictors with very small or large standard deviations (constant columns skipped).
diagnose_scales <- function(fit, big_sd_log10, say) {
  X <- fit$X
  if (!ncol(X)) return(TRUE)
  sds <- apply(X, 2L, stats::sd)
  sds <- sds[sds > 0 & abs(log10(sds)) > big_sd_log10]
  if (!length(sds)) return(TRUE)
  cat(sprintf("\npredictors with unusually large or small standard deviations (|log10(sd)|>%g):\n\n", big_sd_log10))
  print(sds)
  say("Predictors with very narrow or wide ranges give parameters of very large or small magnitude, which can ",
      "make the fit numerically unstable: centre and scale them (scale()).")
  FALSE
}

# Check (3): large Wald z statistics (REML fits: the variance parameters only, as glmmTMB).
diagnose_zstats <- function(pars, big_zstat, say) {
  keep <- !(pars$is_beta & isTRUE(pars$reml))
  z <- (pars$est / pars$se)[keep]
  bigz <- z[is.finite(z) & abs(z) > big_zstat]
  if (!length(bigz)) return(TRUE)
  cat(sprintf("Unusually large Z-statistics (|x|>%g):\n\n", big_zstat))
  print(bigz)
  cat("\n")
  say("Large Z-statistics (estimate / standard error) suggest a possible failure of the Wald approximation, ",
      "often for parameters near the edge of their range (a standard deviation approaching 0); or they are simply ",
      "well-estimated parameters (intercepts of uncentred models, log standard deviations). Profile intervals ",
      "(confint(m, method = \"profile\")) and likelihood-ratio tests (anova()) do not rely on it.")
  FALSE
}

# Check (4): the gradient of minus the log-likelihood at the estimates.
diagnose_gradient <- function(pars, big_grad, say) {
  big <- pars$gradient[abs(pars$gradient) > big_grad]
  if (!length(big)) return(TRUE)
  cat(sprintf("Large gradient of the negative log-likelihood at the estimates (|g|>%g):\n\n", big_grad))
  print(big)
  cat("\n")
  say("The optimizer stopped before reaching the optimum in these parameters: try other start values, ",
      "rescale predictors, or simplify the random effects.")
  FALSE
}

# Check (5): a Hessian of minus the log-likelihood that is not positive definite.
diagnose_hessian <- function(pars, eval_eps, evec_eps, say) {
  H <- pars$hessian
  if (is.null(H)) {   # at a singular fit glmmTMB's log SDs do not exist: look at the Hessian in the core's parameters
    ev <- eigen(pars$H_phi, symmetric = TRUE, only.values = TRUE)$values
    if (!pars$singular && all(ev / max(ev) > eval_eps)) return(TRUE)
    cat("Non-positive definite (NPD) Hessian: the fit is singular (a variance of 0 or a correlation of +-1)\n\n")
    say("Simplify the random effects: drop the terms whose variance is 0 or whose correlation is +-1.")
    return(FALSE)
  }
  if (!is.null(tryCatch(chol(H), error = function(e) NULL))) return(TRUE)   # positive definite (glmmTMB's pdHess)
  eig <- eigen(H, symmetric = TRUE)
  bad <- which(eig$values / max(eig$values) <= eval_eps)
  if (!length(bad)) {   # as glmmTMB: not positive definite numerically, but no flat direction
    cat("Hessian seems OK (its Cholesky factorization failed, but no eigenvalue is near zero: the model may be numerically unstable)\n")
    return(TRUE)
  }
  cat("Non-positive definite (NPD) Hessian\n\n")
  say("The Hessian is the curvature of the negative log-likelihood at the estimates; when it is not positive definite ",
      "the likelihood is flat (or curves upwards) in some direction: the model is overfitted or poorly posed. ",
      sprintf("Below, the 'bad elements' are the parameters that dominate (|element| > %g) each flat direction.", evec_eps))
  cat(sprintf("maximum Hessian eigenvalue = %1.3g\n", eig$values[1L]))
  for (b in bad) {
    cat(sprintf("Hessian eigenvalue %d = %1.3g (relative val = %1.3g)\n", b, eig$values[b], eig$values[b] / eig$values[1L]))
    cat("   bad elements:", rownames(H)[abs(eig$vectors[, b]) > evec_eps], "\n")
  }
  FALSE
}
