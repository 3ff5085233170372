# simulate_new.R: responses simulated from a one-sided formula, covariate data, a family and
# parameter values, without fitting anything (glmmTMB's simulate_new(), with its argument names
# and parameters): the power analysis of a study not yet run. Random effects are drawn as glmmTMB
# draws them (for each term, level by level, sd * chol(R) z), then one response per row, so a seed
# gives glmmTMB's numbers.

#' Simulate responses from a model formula and parameter values
#'
#' Draws responses for the rows of `newdata` from the model given by a formula without a
#' response, a family and values of its parameters, as 'glmmTMB''s `simulate_new()`; nothing is
#' fitted. Use it to plan a study: simulate data under the effect you expect, fit them with
#' [glmm()], and count how often the effect is detected.
#'
#' The parameters are given as in 'glmmTMB' (see its `vignette("covstruct")`):
#' * `beta`: the fixed effects, one per column of the model matrix (the intercept first);
#' * `theta`: per random-effect term, the log standard deviations of its columns, then, for a
#'   term with several columns, its correlation parameters: the entries below the diagonal, row
#'   by row, of a unit lower-triangular \eqn{L} whose \eqn{LL'}, scaled to unit diagonal, is the
#'   correlation matrix (for two columns the correlation is \eqn{\theta_3 / \sqrt{1 +
#'   \theta_3^2}}, so `theta = c(log(sd1), log(sd2), rho / sqrt(1 - rho^2))`);
#' * `betadisp` (or `betad`): the log dispersion on the scale of current 'glmmTMB': the log
#'   residual standard deviation for gaussian, the log shape (\eqn{-2 \log} of `sigma()`) for
#'   Gamma, the log size \eqn{\theta} for nbinom2 and the log \eqn{\phi} for nbinom1;
#' * `b` (optional): the random effects themselves (all of them, in the order term, level,
#'   column; or a named list with one vector per term, named like `"Days|Subject"`), instead of
#'   drawing them.
#' Parameters not given take 'glmmTMB''s default values: `beta` 0 (1 for identity, inverse and
#' square-root links), `theta` 0 (SDs of 1, no correlation), `betadisp` 0.
#'
#' @param object a one-sided formula with the fixed and random effects, e.g. `~ x + (1 | g)`.
#' @param nsim number of simulated response vectors.
#' @param seed optional seed for the random-number generator.
#' @param family the family (as in [glmm()]); default gaussian.
#' @param newdata a data frame with the variables of the formula (a response is not needed).
#' @param newparams a list of parameter values (see Details).
#' @param ... `weights` (the number of trials of each row for binomial models, precision
#'   weights for gaussian ones) or `offset`, as in [glmm()].
#' @param return_val `"sim"` (a list of `nsim` response vectors), `"pars"` (the parameter vector
#'   with the random effects `b` of one draw, named as 'glmmTMB' names them) or `"object"` (a
#'   model object of class `"glmmlab"` at these parameters, holding the simulated response of one
#'   draw and its random effects, for [VarCorr()], [ranef()], [predict()] or [simulate()]; it is
#'   not a fit, so it has no standard errors or likelihood).
#' @return See `return_val`. Binomial responses are numbers of successes out of `weights` trials.
#' @seealso [simulate.glmmlab()] to simulate from a fitted model.
#' @examples
#' d <- expand.grid(x = 1:10, g = factor(1:12))
#' sims <- simulate_new(~ x + (1 | g), newdata = d, family = poisson, seed = 1, nsim = 2,
#'                      newparams = list(beta = c(0.5, 0.1), theta = log(0.4)))
#' str(sims)
#' d$y <- sims[[1]]
#' fixef(glmm(y ~ x + (1 | g), data = d, family = poisson))
#' # correlated intercepts and slopes: SDs 3 and 0.5, correlation 0.3, residual SD 2
#' pars <- list(beta = c(10, 1), theta = c(log(3), log(0.5), 0.3 / sqrt(1 - 0.3^2)), betadisp = log(2))
#' head(simulate_new(~ x + (x | g), newdata = d, newparams = pars, seed = 2)[[1]])
#' @export
simulate_new <- function(object, nsim = 1, seed = NULL, family = gaussian, newdata, newparams = NULL, ...,
                         return_val = c("sim", "pars", "object")) {
  return_val <- match.arg(return_val)
  if (!inherits(object, "formula") || length(object) != 2L) {
    stop("`object` must be a one-sided formula such as ~ x + (1 | group) (simulate_new() draws the response)", call. = FALSE)
  }
  if (!is.numeric(nsim) || length(nsim) != 1L || is.na(nsim) || nsim < 1 || nsim != round(nsim)) {
    stop("`nsim` must be a whole number of at least 1", call. = FALSE)
  }
  if (missing(newdata) || !is.data.frame(newdata) || !nrow(newdata)) {
    stop("`newdata` must be a data frame with the variables of the formula, one row per observation to simulate", call. = FALSE)
  }
  family <- resolve_family(family)
  model <- simulation_model(object, newdata, family, list(...))
  pars <- simulation_parameters(model, newparams)
  if (!is.null(seed)) set.seed(seed)
  if (return_val == "sim") return(lapply(seq_len(nsim), function(i) simulate_once(model, pars)$y))
  draw <- simulate_once(model, pars)
  if (return_val == "pars") {
    return(c(stats::setNames(draw$b, rep("b", length(draw$b))), stats::setNames(pars$beta, rep("beta", length(pars$beta))),
             if (model$has_disp) c(betadisp = pars$betadisp), stats::setNames(pars$theta, rep("theta", length(pars$theta)))))
  }
  simulation_object(model, pars, draw, match.call())
}

# The model's pieces for the rows of newdata: model frame, fixed design, random-effect terms,
# weights (trials for binomial), offset.
simulation_model <- function(formula, newdata, family, dots) {
  unknown <- setdiff(names(dots), c("weights", "offset"))
  if (length(unknown) || (length(dots) && is.null(names(dots)))) {
    stop(sprintf("simulate_new() takes `weights` and `offset` in `...`; unknown: %s",
                 paste(if (length(unknown)) sQuote(unknown, FALSE) else "unnamed arguments", collapse = ", ")), call. = FALSE)
  }
  env <- new.env(parent = environment(formula))   # holds the data and `...`; model.frame() looks there
  two_sided <- stats::as.formula(call("~", quote(..y), formula[[2L]]), env = env)
  data <- newdata
  data$..y <- 1
  env$..data <- data
  mc <- call("glmm", formula = two_sided, data = quote(..data))
  for (nm in names(dots)) {
    env[[paste0("..", nm)]] <- dots[[nm]]
    mc[[nm]] <- as.name(paste0("..", nm))
  }
  mf <- build_model_frame(mc, two_sided, env)
  if (nrow(mf) < nrow(newdata)) {
    stop(sprintf("`newdata` has missing values (NA) in %d rows in variables of the formula: simulate_new() needs them all",
                 nrow(newdata) - nrow(mf)), call. = FALSE)
  }
  fixed <- build_fixed_design(two_sided, mf)
  re <- build_re_terms(two_sided, mf, gaussian_family = FALSE)
  weights <- model_weights(mf)
  if (family$family %in% c("poisson", "nbinom1", "nbinom2", "Gamma") && any(weights != 1)) {
    stop(sprintf("`weights` are the numbers of trials of binomial models and precision weights of gaussian ones; the %s family does not take them",
                 family$family), call. = FALSE)
  }
  if (family$family == "binomial" && any(weights != round(weights))) stop("binomial `weights` (numbers of trials) must be whole numbers", call. = FALSE)
  list(formula = two_sided, frame = mf, fixed = fixed, re = re, family = family, weights = weights,
       has_disp = has_dispersion_parameter(list(family = family)), n = nrow(mf))
}

# Parameter values from newparams (glmmTMB's names), checked, with glmmTMB's defaults for the rest.
simulation_parameters <- function(model, newparams) {
  p <- ncol(model$fixed$X)
  ntheta <- sum(theta_lengths(model$re))
  if (is.null(newparams)) newparams <- list()
  if (!is.list(newparams)) stop("`newparams` must be a list such as list(beta = c(1, 0.5), theta = log(2))", call. = FALSE)
  if (!is.null(newparams[["betad"]])) {
    if (!is.null(newparams[["betadisp"]])) stop("`newparams` has both `betadisp` and `betad` (its older name): give one", call. = FALSE)
    newparams[["betadisp"]] <- newparams[["betad"]]
    newparams[["betad"]] <- NULL
  }
  unknown <- setdiff(names(newparams), c("beta", "theta", "betadisp", "b"))
  if (length(unknown) || (length(newparams) && is.null(names(newparams)))) {
    stop(sprintf("unknown element%s of `newparams`: %s (use beta, theta, betadisp and b)", if (length(unknown) > 1L) "s" else "",
                 paste(sQuote(unknown, FALSE), collapse = ", ")), call. = FALSE)
  }
  beta0 <- if (model$family$link %in% c("identity", "inverse", "sqrt")) 1 else 0
  pars <- list(beta = rep(beta0, p), theta = rep(0, ntheta), betadisp = if (model$has_disp) 0)
  sizes <- c(beta = p, theta = ntheta, betadisp = as.integer(model$has_disp))
  for (nm in intersect(names(newparams), names(sizes))) {
    v <- newparams[[nm]]
    if (!is.numeric(v) || any(!is.finite(v))) stop(sprintf("`newparams$%s` must be numeric and finite", nm), call. = FALSE)
    if (length(v) != sizes[[nm]]) {
      stop(sprintf("`newparams$%s` has %d value%s, the model has %d%s", nm, length(v), if (length(v) == 1L) "" else "s", sizes[[nm]],
                   switch(nm, beta = sprintf(" (columns %s)", paste(colnames(model$fixed$X), collapse = ", ")),
                          theta = " (per term: log SDs, then correlation parameters)",
                          betadisp = if (!model$has_disp) sprintf(": the %s family has no dispersion", model$family$family) else "")),
           call. = FALSE)
    }
    pars[[nm]] <- as.numeric(v)
  }
  pars$b <- simulation_fixed_b(model, newparams[["b"]])
  pars
}

# Given random effects: NULL (draw them), a full vector, or a list by term ("Days|Subject").
simulation_fixed_b <- function(model, b) {
  if (is.null(b)) return(NULL)
  sizes <- vapply(model$re, function(t) t$nlev * ncol(t$Xt), numeric(1))
  labels <- vapply(model$re, function(t) gsub(" ", "", paste0(paste(deparse(t$lhs), collapse = ""), "|", t$group)), "")
  out <- lapply(sizes, function(k) rep(NA_real_, k))
  if (is.list(b)) {
    bad <- setdiff(names(b), labels)
    if (is.null(names(b)) || length(bad)) {
      stop(sprintf("`newparams$b` as a list needs one element per term, named %s", paste(sQuote(labels, FALSE), collapse = ", ")), call. = FALSE)
    }
    for (nm in names(b)) {
      i <- match(nm, labels)
      if (!is.numeric(b[[nm]]) || length(b[[nm]]) != sizes[i]) {
        stop(sprintf("`newparams$b[[\"%s\"]]` must have %d numbers (levels times columns)", nm, sizes[i]), call. = FALSE)
      }
      out[[i]] <- as.numeric(b[[nm]])
    }
    return(out)
  }
  if (!is.numeric(b) || length(b) != sum(sizes)) {
    stop(sprintf("`newparams$b` must have %d numbers (all random effects: term, level, column)", sum(sizes)), call. = FALSE)
  }
  split(as.numeric(b), rep(seq_along(sizes), sizes))
}

# One draw: random effects (those not given), then the response. list(b, b_core, y, eta): b as
# glmmTMB lays it out (term, level, column), b_core as the core does (a "diag" term column by column).
simulate_once <- function(model, pars) {
  pos <- 0L
  lengths <- theta_lengths(model$re)
  B <- lapply(seq_along(model$re), function(i) {
    t <- model$re[[i]]
    k <- ncol(t$Xt)
    theta <- pars$theta[pos + seq_len(lengths[i])]
    pos <<- pos + lengths[i]
    given <- if (!is.null(pars$b)) pars$b[[i]]
    if (!is.null(given) && !anyNA(given)) return(matrix(given, ncol = k, byrow = TRUE))
    sds <- exp(theta[seq_len(k)])
    R_chol <- if (identical(t$structure, "diag")) diag(k) else
      t(chol(stats::cov2cor(tmb_theta_to_covariance(c(rep(0, k), theta[-seq_len(k)]), k))))
    draws <- vapply(seq_len(t$nlev), function(l) sds * drop(R_chol %*% stats::rnorm(k)), numeric(k))
    matrix(draws, ncol = k, byrow = TRUE)
  })
  eta <- drop(model$fixed$X %*% pars$beta) + model$fixed$offset
  for (i in seq_along(model$re)) {
    t <- model$re[[i]]
    eta <- eta + rowSums(t$Xt * B[[i]][t$codes + 1L, , drop = FALSE])
  }
  b <- unlist(lapply(B, function(M) as.vector(t(M))))
  b_core <- unlist(lapply(seq_along(B), function(i) if (identical(model$re[[i]]$structure, "diag")) as.vector(B[[i]]) else as.vector(t(B[[i]]))))
  list(b = b, b_core = b_core, y = simulation_response(model, model$family$linkinv(eta), pars$betadisp), eta = eta)
}

# Responses at means mu, as glmmTMB draws them (betadisp on glmmTMB's current scale).
simulation_response <- function(model, mu, betadisp) {
  n <- length(mu)
  w <- model$weights
  phi <- if (!is.null(betadisp)) exp(betadisp)
  switch(model$family$family,
    gaussian = stats::rnorm(n, mu, phi / sqrt(w)),
    poisson = stats::rpois(n, mu),
    binomial = stats::rbinom(n, size = w, prob = mu),
    nbinom2 = stats::rnbinom(n, size = phi, mu = mu),
    nbinom1 = stats::rnbinom(n, size = mu / phi, mu = mu),
    Gamma = stats::rgamma(n, shape = phi, scale = mu / phi),
    stop(sprintf("simulate_new() does not support family %s", model$family$family), call. = FALSE))
}

# A "glmmlab" object at the given parameters (return_val = "object"): the simulated response and
# random effects of one draw, no likelihood and no standard errors (it was not fitted).
simulation_object <- function(model, pars, draw, call) {
  fam <- model$family
  lmm <- is_gaussian_identity(fam)
  scale <- if (model$has_disp) exp(betadisp_log_sigma(fam$family) * pars$betadisp) else 1
  pos <- 0L
  lengths <- theta_lengths(model$re)
  factors <- lapply(seq_along(model$re), function(i) {
    t <- model$re[[i]]
    k <- ncol(t$Xt)
    th <- pars$theta[pos + seq_len(lengths[i])]
    pos <<- pos + lengths[i]
    S <- if (identical(t$structure, "diag")) diag(exp(2 * th), k) else tmb_theta_to_covariance(th, k)
    t(chol(S)) / if (lmm) scale else 1
  })
  theta <- factors_to_theta(factors, model$re)
  p <- ncol(model$fixed$X)
  beta <- stats::setNames(pars$beta, colnames(model$fixed$X))
  frame <- model$frame
  y <- draw$y
  if (fam$family == "binomial") y <- y / model$weights
  frame$..y <- y
  fit <- list(theta = theta, beta = beta, sigma = scale, dispersion = if (!lmm && model$has_disp) scale,
              vcov = matrix(NA_real_, p, p), b = draw$b_core, u = rep(NA_real_, length(draw$b)),
              deviance = NA_real_, loglik = NA_real_, df = p + length(theta) + model$has_disp, evaluations = 0L,
              status = NA_integer_, message = "not fitted: parameters given to simulate_new()", singular = FALSE,
              optimizer = "none")
  # what a core needs to be rebuilt (ranef()'s conditional variances): the map and the core's par
  core_re <- core_terms(model$re)   # the terms as the core fits them (R/re_terms.R)
  fit$map <- if (lmm) lmm_parameter_map(core_re, model$fixed$X, model$weights) else glmm_parameter_map(core_re, model$fixed$X, fam)
  fit$par <- map_internal(fit$map, theta, beta, scale)
  if (!lmm) fit$nAGQ <- 1L
  new_glmm_fit(fit, call = call, formula = model$formula, family = fam, REML = FALSE, frame = frame,
               fixed = model$fixed, re = model$re, y = y, weights = model$weights)
}

# log sigma() = scale * betadisp on current glmmTMB's scale: the gaussian SD itself; Gamma's
# shape is 1 / sigma^2.
betadisp_log_sigma <- function(family_name) if (family_name == "Gamma") -0.5 else 1
