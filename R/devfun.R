# devfun.R: lme4's deviance function (stage 3 -> 4 boundary): the objective the optimizer would
# minimize, as a closure over the C++ core, for getME(m, "devfun") of a fit and for
# glmm(..., devFunOnly = TRUE) (lme4's argument) without fitting. Its argument is lme4's: theta
# with the random-effect terms in lme4's order (decreasing number of levels) for LMMs; c(theta,
# beta) for GLMMs (the Laplace approximation, lme4's second stage).

# The deviance function of `core` (R/core.R) for random-effect terms `re` (R/re_terms.R): of theta
# for LMMs (ML or REML as `reml`), of c(theta, beta) (p fixed effects) for GLMMs, the dispersion
# held at `dispersion` for families that have one.
core_devfun <- function(core, re, lmm, reml, p, dispersion = NULL) {
  core_re <- core_terms(re)
  lme4_order <- order(-vapply(core_re, function(t) as.numeric(t$nlev), numeric(1)))
  lens <- theta_lengths(core_re)[lme4_order]
  ntheta <- sum(lens)
  theta_pieces <- function(theta) {   # lme4's order -> the core's (the formula's)
    pieces <- split(theta, rep(seq_along(lens), lens))
    unlist(pieces[order(lme4_order)], use.names = FALSE) %||% numeric(0)
  }
  if (lmm) {
    return(function(theta) {
      if (length(theta) != ntheta) stop(sprintf("the deviance function takes %d values of theta", ntheta), call. = FALSE)
      core_objective(core, theta_pieces(theta), reml)
    })
  }
  function(pars) {
    if (length(pars) != ntheta + p) stop(sprintf("the deviance function takes %d values: theta, then beta", ntheta + p), call. = FALSE)
    par <- map_internal(core$map, theta_pieces(pars[seq_len(ntheta)]), pars[ntheta + seq_len(p)], dispersion)
    core_objective(core, par, reml = FALSE)
  }
}

# glmm(..., devFunOnly = TRUE): the deviance function of the model glmm() would fit, without
# fitting it (lme4's lmer()/glmer() with devFunOnly = TRUE; for GLMMs lme4's second stage, of
# c(theta, beta)). GLMMs of families without a dispersion parameter only.
devfun_only <- function(X, y, weights, offset, re, family, REML, control, nAGQ, has_components) {
  if (has_components) stop("`devFunOnly = TRUE` is not available with `ziformula` or `dispformula`", call. = FALSE)
  if (!length(re)) stop("`devFunOnly = TRUE` needs random effects (the deviance function is of theta)", call. = FALSE)
  if (is_gaussian_identity(family)) {
    core <- new_core(lmm_parameter_map(core_terms(re), X, weights), core_terms(re), X, y, weights, offset, reml = REML,
                     max_memory = control_max_memory(control))
    return(core_devfun(core, re, lmm = TRUE, reml = REML, p = ncol(X)))
  }
  if (REML) stop("`devFunOnly = TRUE` with REML = TRUE is available for linear mixed models only", call. = FALSE)
  if (family_codes(family)$has_dispersion) {
    stop(sprintf("`devFunOnly = TRUE` is not available for the %s family (its dispersion parameter has no value before a fit): fit the model and use getME(m, \"devfun\")",
                 family$family), call. = FALSE)
  }
  nAGQ <- check_nagq(nAGQ, re)
  if (nAGQ == 0L) stop("`devFunOnly = TRUE` with nAGQ = 0 is not available: lme4's first stage (theta only) has no counterpart", call. = FALSE)
  core <- new_core(glmm_parameter_map(core_terms(re), X, family), core_terms(re), X, y, weights, offset, family = family,
                   nAGQ = nAGQ, max_memory = control_max_memory(control))
  core_devfun(core, re, lmm = FALSE, reml = FALSE, p = ncol(X))
}
