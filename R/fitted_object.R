# fitted_object.R: stage 6. Assemble the "glmmlab" object, one plain list (the S3 class "glmmlab").
#
# Fields of a "glmmlab" object (methods read these; nothing else is stored):
#   call, formula, family (a stats family object), REML (logical)
#   frame          model frame (all variables, NA rows removed; attr "formula")
#   terms          terms of the fixed part; X its model matrix (n x p, rank-deficient columns dropped)
#   y, prior_weights, offset          numeric, length n
#   re             list of random-effect terms, formula order, each list(group = "patch:pop",
#                  lhs = language, structure = "us" or "diag" (`||`), codes = 0-based level of each
#                  row, nlev, levels, Xt = n x p_i model matrix, cnms = its column names); empty
#                  for a model without random effects. The C++ core fits core_terms(re) (a "diag"
#                  term as p scalar terms: R/re_terms.R)
#   theta          relative covariance factors (lower triangles, column-major; the diagonal of a
#                  "diag" term), lme4's theta
#   beta           named fixed effects; vcov their covariance (p x p)
#   sigma          residual SD (gaussian); dispersion: family dispersion (GLMMs), else NULL
#   shape          the family's shape parameter on glmmTMB's psi scale (tweedie, t), else absent
#   cov_re         named list per term: covariance matrix p_i x p_i (variances, covariances)
#   b, u           named lists per term: nlev x p_i matrices of conditional modes (b = Lambda u)
#   eta, eta_fixed linear predictor with and without random effects (offset included in both)
#   fitted         the mean response: family$linkinv(eta), the truncated mean for truncated families
#   loglik, deviance (-2 loglik; the REML criterion for REML fits), df (number of parameters), nobs
#   par            the core's parameter vector at the estimates (LMM: theta; GLMM: theta of the
#                  scaled columns, conditioned beta, log phi); map its parameter map
#                  (R/parameter_map.R), which converts it to and from the user's scale
#   nAGQ           GLMMs: quadrature points
#   loglik_shift   binomial cbind() responses with prior weights only: the constant added to the
#                  core's log-likelihood so that weights count replicates as in glm() (R/family.R)
#   trials         binomial cbind() responses only: the trials n of each row (prior_weights = n w)
#   optinfo        list(optimizer, evaluations, status, message, singular, dropped)
#   core           the C++ core (R/core.R; its pointer is NULL after saveRDS/readRDS: ensure_core())

# Build the fitted object from the core's results and the model's pieces.
new_glmm_fit <- function(fit, call, formula, family, REML, frame, fixed, re, y, weights, trials = NULL) {
  b <- split_by_term(fit$b, re)
  u <- split_by_term(fit$u, re)
  X <- fixed$X
  eta_fixed <- drop(X %*% fit$beta) + fixed$offset
  eta <- eta_fixed + re_contribution(b, re)
  fields <- list(
    call = call, formula = formula, family = family, REML = REML,
    frame = frame, terms = fixed$terms, X = X, y = y, prior_weights = weights, offset = fixed$offset,
    re = lapply(re, function(t) t[c("group", "lhs", "structure", "codes", "nlev", "levels", "Xt", "cnms")]),
    theta = if (is.null(fit$theta)) numeric(0) else fit$theta, beta = fit$beta, sigma = fit$sigma, vcov = fit$vcov,
    cov_re = re_covariances(fit$theta, map_re_sigma(fit$map, fit$sigma), re), b = b, u = u,
    eta = eta, eta_fixed = eta_fixed, fitted = response_mean(family, eta, fit$dispersion), shape = fit$shape,
    loglik = fit$loglik, deviance = fit$deviance, loglik_shift = fit$loglik_shift, trials = trials, df = fit$df, nobs = length(y),
    dispersion = fit$dispersion, par = fit$par, map = fit$map, nAGQ = fit$nAGQ,
    optinfo = list(optimizer = if (is.null(fit$optimizer)) "bobyqa" else fit$optimizer, evaluations = fit$evaluations, status = fit$status,
                   message = fit$message, singular = fit$singular, dropped = fixed$dropped),
    core = fit$core
  )
  # fields without a value (dispersion of a binomial fit, par of an LMM...) are left out rather than
  # stored as NULL: `$` reads them as NULL all the same, and list-cleaning helpers of other packages
  # (insight::compact_list()) drop a list with a NULL element instead of passing the model on
  structure(fields[!vapply(fields, is.null, logical(1))], class = "glmmlab")
}

# Is this the linear mixed model (gaussian, identity link), fitted by the LMM core? (glmm() decides
# the model kind with it; methods ask the fit's parameter map.)
is_gaussian_identity <- function(family) family$family == "gaussian" && family$link == "identity"

# Split a vector of length q into nlev x p matrices, one per term. The core's layout: term, then
# level, then column; a "diag" term is p scalar core terms, so column, then level.
split_by_term <- function(v, re) {
  out <- vector("list", length(re))
  pos <- 0L
  for (i in seq_along(re)) {
    p <- ncol(re[[i]]$Xt)
    k <- re[[i]]$nlev * p
    out[[i]] <- matrix(v[pos + seq_len(k)], nrow = re[[i]]$nlev, ncol = p, byrow = !identical(re[[i]]$structure, "diag"),
                       dimnames = list(re[[i]]$levels, re[[i]]$cnms))
    pos <- pos + k
  }
  names(out) <- re_term_names(re)
  out
}

# Names of the terms: the grouping factor, made unique as lme4 and glmmTMB do ("g", "g.1").
re_term_names <- function(re) make.unique(vapply(re, `[[`, "", "group"))

# Z b without forming Z: sum over terms of rowSums(Xt * b[level, ]), named as the first term's
# product would be (Xt's row names, else the levels). A one-column term is the product of two
# vectors, without the n x 1 temporaries and the per-row level names.
re_contribution <- function(b, re) {
  total <- 0
  for (i in seq_along(re)) {
    level <- re[[i]]$codes + 1L
    Xt <- re[[i]]$Xt
    values <- c(Xt)   # c(), not as.vector() or unname(): those duplicate Xt's row names, making n strings
    total <- total + if (ncol(Xt) == 1L) values * c(b[[i]])[level] else rowSums(array(values, dim(Xt)) * unname(b[[i]])[level, , drop = FALSE])
  }
  if (length(re)) names(total) <- if (is.null(rownames(re[[1L]]$Xt))) rownames(b[[1L]])[re[[1L]]$codes + 1L] else rownames(re[[1L]]$Xt)
  total
}

# Covariance matrix of each term: sigma^2 T_i T_i', named by the term's columns.
re_covariances <- function(theta, sigma, re) {
  factors <- theta_to_factors(theta, re)
  out <- lapply(seq_along(re), function(i) {
    S <- sigma^2 * tcrossprod(factors[[i]])
    dimnames(S) <- list(re[[i]]$cnms, re[[i]]$cnms)
    S
  })
  names(out) <- re_term_names(re)
  out
}
