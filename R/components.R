# components.R: the model's components besides the conditional mean, as glmmTMB names them: the
# zero-inflation model (`ziformula`, logit of the probability of a structural zero; with a
# zero-truncated family it is the hurdle: the probability of a zero) and the dispersion model
# (`dispformula`, log dispersion on glmmTMB's scale). Both are fixed-effect models here; the core
# (src/observation_model.h) evaluates them per observation inside the Laplace approximation.

# Families that take zero-inflation (count families) and those for which ziformula is a hurdle.
zi_families <- c("poisson", "nbinom1", "nbinom2", "genpois")
hurdle_families <- c("truncated_poisson", "truncated_nbinom1", "truncated_nbinom2")

# The checked specification of the components from glmm()'s arguments: list(zi, disp) with each
# a one-sided formula or NULL when trivial (ziformula ~0, dispformula ~1), zero_model (0 none, 1
# zero-inflation, 2 hurdle) and disp_fixed (dispformula ~0: gaussian's variance fixed near 0).
component_spec <- function(ziformula, dispformula, family) {
  zi <- check_component_formula(ziformula, "ziformula")
  disp <- check_component_formula(dispformula, "dispformula")
  fam <- family$family
  zi_trivial <- is_intercept_only(zi, 0L)
  zero_model <- 0L
  if (!zi_trivial) {
    if (fam %in% zi_families) zero_model <- 1L
    else if (fam %in% hurdle_families) zero_model <- 2L
    else stop(sprintf("zero-inflation (`ziformula`) is not available for family %s: it needs a count family (%s) or, as a hurdle, a zero-truncated one (%s)",
                      fam, paste(zi_families, collapse = ", "), paste(hurdle_families, collapse = ", ")), call. = FALSE)
  }
  has_disp <- family_codes(family)$has_dispersion
  disp_trivial <- is_intercept_only(disp, 1L)
  disp_fixed <- is_intercept_only(disp, 0L)
  if (!disp_trivial && !has_disp) {
    stop(sprintf("family %s has no dispersion parameter: `dispformula` must be ~1", fam), call. = FALSE)
  }
  if (disp_fixed && fam != "gaussian") {
    stop("`dispformula = ~0` (residual variance fixed near 0) is available for the gaussian family only", call. = FALSE)
  }
  list(zi = if (!zi_trivial) zi, disp = if (!disp_trivial) disp, zero_model = zero_model, disp_fixed = disp_fixed)
}

# Does the spec ask for anything beyond the conditional model?
has_components <- function(spec) !is.null(spec) && (spec$zero_model > 0L || !is.null(spec$disp))

# A component's formula checked: one-sided, without random-effect terms.
check_component_formula <- function(f, what) {
  if (is.character(f)) f <- stats::as.formula(f)
  if (!inherits(f, "formula")) stop(sprintf("`%s` must be a one-sided formula such as ~ x", what), call. = FALSE)
  if (length(f) == 3L) {
    stop(sprintf("`%s` must be one-sided (no response), as ~ x: it has the response %s", what,
                 sQuote(paste(deparse(f[[2L]]), collapse = ""), FALSE)), call. = FALSE)
  }
  bars <- collect_bars(f[[2L]])
  if (length(bars)) {
    stop(sprintf("random effects in `%s` (%s) are not available yet: glmmlab fits the %s model with fixed effects only",
                 what, paste(vapply(bars, function(b) paste(deparse(b), collapse = ""), ""), collapse = ", "),
                 if (what == "ziformula") "zero-inflation" else "dispersion"), call. = FALSE)
  }
  f
}

# Is the one-sided formula ~0 (intercept = 0L) or ~1 (intercept = 1L) and nothing else?
is_intercept_only <- function(f, intercept) {
  tt <- stats::terms(f)
  !length(attr(tt, "term.labels")) && attr(tt, "intercept") == intercept && is.null(attr(tt, "offset"))
}

# The variables the components need in the model frame.
component_variables <- function(spec) unique(c(all.vars(spec$zi), all.vars(spec$disp)))

# A component's design on the model frame: list(X, offset, terms).
component_design <- function(f, mf, what) {
  tt <- stats::terms(f, data = mf)
  cf <- stats::model.frame(tt, mf, na.action = stats::na.pass)
  X <- stats::model.matrix(tt, cf)
  if (any(!is.finite(X))) stop(sprintf("the `%s` predictors have non-finite values", what), call. = FALSE)
  if (ncol(X) > 0L && qr(X)$rank < ncol(X)) stop(sprintf("the `%s` model matrix is rank deficient: drop redundant terms", what), call. = FALSE)
  off <- stats::model.offset(cf)
  if (is.null(off)) off <- numeric(nrow(mf))
  if (any(!is.finite(off))) stop(sprintf("the offset in `%s` has non-finite values", what), call. = FALSE)
  list(X = X, offset = as.numeric(off), terms = stats::delete.response(tt))
}

# The designs of the components: Xzi, zi_offset, Xd, disp_offset (core scale: log phi) with the
# terms for prediction.
build_components <- function(spec, mf, family) {
  n <- nrow(mf)
  out <- list(zero_model = spec$zero_model, disp_by_obs = !is.null(spec$disp) || spec$disp_fixed,
              Xzi = matrix(0, n, 0), zi_offset = numeric(n), Xd = matrix(0, n, 0), disp_offset = numeric(n),
              zi_terms = NULL, disp_terms = NULL, disp_fixed = spec$disp_fixed)
  if (spec$zero_model > 0L) {
    d <- component_design(spec$zi, mf, "ziformula")
    out$Xzi <- d$X
    out$zi_offset <- d$offset
    out$zi_terms <- d$terms
  }
  if (!is.null(spec$disp)) {
    d <- component_design(spec$disp, mf, "dispformula")
    out$Xd <- d$X
    out$disp_offset <- map_disp_scale(list(family_name = family$family)) * d$offset
    out$disp_terms <- d$terms
  } else if (spec$disp_fixed) {
    # glmmTMB fixes its log residual variance at log(sqrt(.Machine$double.eps))
    out$disp_offset <- rep(map_disp_scale(list(family_name = family$family)) * log(sqrt(.Machine$double.eps)), n)
  }
  out
}

# The fitted object's component fields (after new_glmm_fit()): `components` (the specification,
# designs, terms and estimates) and the fitted means with the zero model.
add_components <- function(object, fit, spec) {
  comp <- fit$components
  object$components <- list(zero_model = comp$zero_model, ziformula = spec$zi, dispformula = spec$disp,
                            disp_fixed = comp$disp_fixed, disp_by_obs = comp$disp_by_obs,
                            zi_terms = comp$zi_terms, disp_terms = comp$disp_terms, Xzi = comp$Xzi, zi_offset = comp$zi_offset,
                            Xd = comp$Xd, disp_offset = comp$disp_offset, zi = fit$zi, disp = fit$disp,
                            zprob = fit$zprob, disp_obs = fit$disp_obs)
  object$fitted <- components_mean(object$family, object$eta, fit$zprob, fit$disp_obs, comp$zero_model)
  object
}

# The mean response with the zero model: (1 - p) times the conditional mean (the truncated mean
# for a hurdle's zero-truncated family).
components_mean <- function(family, eta, zprob, dispersion, zero_model) {
  cond <- response_mean(family, eta, dispersion)
  if (zero_model == 0L) cond else (1 - zprob) * cond
}

# Does the fit have a zero-inflation or dispersion model?
has_model_components <- function(object) !is.null(object$components)

# An error for a method that does not handle the components yet (never a silently wrong answer).
check_no_components <- function(object, what) {
  if (has_model_components(object)) {
    stop(sprintf("%s is not available yet for models with `ziformula` or `dispformula`", what), call. = FALSE)
  }
  invisible()
}
