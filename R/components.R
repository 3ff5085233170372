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
  list(zi = if (!zi_trivial) zi, disp = if (!disp_trivial && !disp_fixed) disp, zero_model = zero_model, disp_fixed = disp_fixed)
}

# Does the spec ask for anything beyond the conditional model?
has_components <- function(spec) !is.null(spec) && (spec$zero_model > 0L || !is.null(spec$disp) || spec$disp_fixed)

# A component's formula checked: one-sided, without random-effect terms.
check_component_formula <- function(f, what) {
  if (is.character(f)) f <- stats::as.formula(f)
  if (!inherits(f, "formula")) stop(sprintf("`%s` must be a one-sided formula such as ~ x", what), call. = FALSE)
  if (length(f) == 3L) {
    stop(sprintf("`%s` must be one-sided (no response), as ~ x: it has the response %s", what,
                 sQuote(paste(deparse(f[[2L]]), collapse = ""), FALSE)), call. = FALSE)
  }
  bars <- collect_bars(f[[2L]])
  if (length(bars) && what != "ziformula") {
    stop(sprintf("random effects in `%s` (%s) are not available yet: glmmlab fits the %s model with fixed effects only",
                 what, paste(vapply(bars, function(b) paste(deparse(b), collapse = ""), ""), collapse = ", "),
                 if (what == "ziformula") "zero-inflation" else "dispersion"), call. = FALSE)
  }
  f
}

# Is the one-sided formula ~0 (intercept = 0L) or ~1 (intercept = 1L) and nothing else?
is_intercept_only <- function(f, intercept) {
  if (length(collect_bars(f[[2L]]))) return(FALSE)
  tt <- stats::terms(f)
  !length(attr(tt, "term.labels")) && attr(tt, "intercept") == intercept && is.null(attr(tt, "offset"))
}

# The variables the components need in the model frame.
component_variables <- function(spec) unique(c(if (!is.null(spec$zi)) all.vars(spec$zi), if (!is.null(spec$disp)) all.vars(spec$disp)))

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
    d <- component_design(fixed_formula(spec$zi), mf, "ziformula")
    out$Xzi <- d$X
    out$zi_offset <- d$offset
    out$zi_terms <- d$terms
    # (x || g) in the zero model: its columns as scalar terms, as the core fits them (R/re_terms.R)
    if (length(find_re_terms(spec$zi))) out$re_zi <- core_terms(build_re_terms(spec$zi, mf, gaussian_family = FALSE))
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
                            zprob = fit$zprob, disp_obs = fit$disp_obs, vcov_par = fit$vcov_par,
                            re = if (!is.null(comp$re_zi)) lapply(comp$re_zi, function(t) t[c("group", "lhs", "codes", "nlev", "levels", "Xt", "cnms")]),
                            theta = fit$theta_zi, b = if (!is.null(comp$re_zi)) split_by_term(fit$b_zi, comp$re_zi),
                            cov_re = if (!is.null(comp$re_zi)) re_covariances(fit$theta_zi, 1, comp$re_zi))
  object$fitted <- components_mean(object$family, object$eta, fit$zprob, fit$disp_obs, comp$zero_model)
  if (is.null(dimnames(object$vcov))) dimnames(object$vcov) <- list(names(object$beta), names(object$beta))
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

# predict() for the types of the model's components (and every type of a model with components;
# see predict.glmmlab()): the conditional model's linear predictor as predict(type = "link"), then
# the zero model's and dispersion model's predictors on the same rows.
predict_components <- function(object, newdata, re.form, allow.new.levels, type, se.fit, na.action) {
  if (se.fit && has_model_components(object)) {
    stop("standard errors (se.fit = TRUE) are not available yet for models with `ziformula` or `dispformula`", call. = FALSE)
  }
  if (se.fit && type != "conditional") stop(sprintf("se.fit = TRUE is not available for type = \"%s\"", type), call. = FALSE)
  eta <- predict.glmmlab(structure(object[setdiff(names(object), "components")], class = "glmmlab"), newdata, re.form,
                         allow.new.levels, type = "link", se.fit = se.fit, na.action = na.pass)
  if (se.fit) return(predict.glmmlab(object, newdata, re.form, allow.new.levels, type = "response", se.fit = TRUE, na.action = na.action))
  n <- length(eta)
  comp <- object$components
  zero_model <- if (is.null(comp)) 0L else comp$zero_model
  zlink <- if (zero_model > 0L) component_predictor(object, newdata, "zi", re.form) else rep(-Inf, n)
  log_disp <- if (!is.null(comp) && comp$disp_by_obs) component_predictor(object, newdata, "disp") else NULL
  # the dispersion per row on the core's scale (phi), and on glmmTMB's (as its predict(type = "disp"))
  phi <- if (!is.null(log_disp)) exp(log_disp) else rep(if (is.null(object$dispersion)) 1 else object$dispersion, n)
  if (!is.null(newdata) && length(phi) != n) phi <- rep_len(phi, n)
  if (is.null(newdata) && length(phi) != n) phi <- stats::napredict(attr(object$frame, "na.action"), phi)
  out <- switch(type,
    link = eta,
    zlink = zlink,
    zprob = stats::plogis(zlink),
    disp = disp_on_tmb_scale(object, phi),
    conditional = response_mean(object$family, eta, phi),
    response = components_mean(object$family, eta, stats::plogis(zlink), phi, zero_model))
  names(out) <- names(eta)
  if (!is.null(newdata)) out <- out[rows_kept_by_na_action(out, na.action)]
  out
}

# The dispersion as glmmTMB's predict(type = "disp") reports it: sigma for gaussian (the core's
# phi), the family's dispersion parameter otherwise.
disp_on_tmb_scale <- function(object, phi) phi

# A component's linear predictor (zi: logit p; disp: log phi on the core's scale) for the fit's
# rows (newdata NULL; NA rows of the fit restored) or for newdata.
component_predictor <- function(object, newdata, which, re.form = NULL) {
  comp <- object$components
  zi_re <- which == "zi" && !is.null(comp$re)
  if (zi_re && !is.null(re.form) && !(length(re.form) == 1L && !is.language(re.form) && is.na(re.form))) {
    stop("with random effects in the zero-inflation model, `re.form` must be NULL (all) or NA (none)", call. = FALSE)
  }
  if (zi_re && !is.null(newdata) && is.null(re.form)) {
    stop("predictions for `newdata` with the zero-inflation model's random effects are not available yet: use re.form = NA", call. = FALSE)
  }
  re_part <- if (zi_re && is.null(re.form)) re_contribution(comp$b, comp$re) else 0
  X <- if (which == "zi") comp$Xzi else comp$Xd
  offset <- if (which == "zi") comp$zi_offset else comp$disp_offset
  beta <- if (which == "zi") comp$zi$beta else comp$disp$beta * map_disp_scale(object$map)
  if (is.null(newdata)) {
    if (which == "disp" && is.null(comp$dispformula)) return(stats::napredict(attr(object$frame, "na.action"), offset))
    return(stats::napredict(attr(object$frame, "na.action"), drop(X %*% beta) + offset + re_part))
  }
  tt <- if (which == "zi") comp$zi_terms else comp$disp_terms
  if (which == "disp" && is.null(tt)) return(rep(offset[1L], NROW(as.data.frame(newdata))))
  newdata <- as.data.frame(newdata)
  mf <- stats::model.frame(tt, newdata, na.action = stats::na.pass, xlev = stats::.getXlevels(tt, object$frame))
  Xn <- stats::model.matrix(tt, mf, contrasts.arg = attr(X, "contrasts"))
  off <- stats::model.offset(mf)
  if (is.null(off)) off <- 0
  if (which == "disp") off <- off * map_disp_scale(object$map)
  drop(Xn %*% beta) + off
}

# fixef() of a model with components, as glmmTMB: list(cond, zi, disp); zi empty without a zero
# model, disp the dispersion model's coefficients on glmmTMB's scale (its intercept alone for a
# single dispersion; empty for families without one).
component_estimates <- function(object) {
  comp <- object$components
  disp <- if (!is.null(comp$disp)) comp$disp$beta else if (comp$disp_fixed) {
    c("(Intercept)" = log(sqrt(.Machine$double.eps)))   # glmmTMB's fixed value
  } else if (!is.null(object$dispersion)) {
    c("(Intercept)" = log(object$dispersion) / map_disp_scale(object$map))
  } else numeric(0)
  list(cond = object$beta, zi = if (is.null(comp$zi)) numeric(0) else comp$zi$beta, disp = disp)
}

# vcov() of a model with components: list(cond, zi, disp) (disp only with a dispformula).
component_covariances <- function(object) {
  comp <- object$components
  list(cond = object$vcov, zi = if (!is.null(comp$zi)) comp$zi$vcov, disp = if (!is.null(comp$disp)) comp$disp$vcov)
}

# confint() of a model with components: Wald intervals as glmmTMB's confint(), rows named as its
# ("cond.x", "zi.x", "disp.x", "cond.Std.Dev.(Intercept)|g"); SDs of scalar random-effect terms
# on the log scale (from the covariance of all parameters); parm selects rows by name or number.
component_wald_intervals <- function(object, parm, level, estimate) {
  z <- stats::qnorm((1 + level) / 2)
  est <- component_estimates(object)
  V <- component_covariances(object)
  rows <- list()
  add <- function(prefix, b, Vb) {
    if (!length(b)) return()
    se <- sqrt(pmax(diag(as.matrix(Vb)), 0))
    rows[[prefix]] <<- cbind(b - z * se, b + z * se, b, deparse.level = 0)
    rownames(rows[[prefix]]) <<- paste0(prefix, ".", names(b))
  }
  add("cond", est$cond, V$cond)
  add("zi", est$zi, V$zi)
  add("disp", est$disp, if (!is.null(V$disp)) V$disp else component_disp_variance(object))
  sd_rows <- component_sd_intervals(object, z)
  out <- do.call(rbind, c(unname(rows), list(sd_rows)))
  colnames(out) <- c(format_percent(c((1 - level) / 2, (1 + level) / 2)), "Estimate")
  if (!is.null(parm)) {
    keep <- if (is.numeric(parm)) parm else match(parm, rownames(out))
    if (anyNA(keep) || any(keep < 1 | keep > nrow(out))) {
      stop(sprintf("`parm` must name rows of the intervals: %s", paste(rownames(out), collapse = ", ")), call. = FALSE)
    }
    out <- out[keep, , drop = FALSE]
  }
  if (!estimate) out <- out[, 1:2, drop = FALSE]
  out
}

# The variance of a single dispersion's log on glmmTMB's scale (from the covariance of all parameters).
component_disp_variance <- function(object) {
  map <- object$map
  j <- map$ntheta + map$p + map$p_zi + 1L
  Vp <- object$components$vcov_par
  matrix(if (is.null(Vp)) NA_real_ else Vp[j, j] / map_disp_scale(map)^2, 1L, 1L)
}

# Wald intervals of the SDs of scalar random-effect terms: exp(log sd +- z se(log sd)).
component_sd_intervals <- function(object, z) {
  map <- object$map
  Vp <- object$components$vcov_par
  # Wald rows on the log-SD scale of one model's scalar terms, its theta starting after `pos`
  sd_rows <- function(terms, pos, scales, prefix) {
    out <- NULL
    for (i in seq_along(terms)) {
      t <- terms[[i]]
      if (ncol(t$Xt) == 1L) {
        th <- object$par[pos + 1L]
        sd <- th / scales[[i]]
        se_log <- if (is.null(Vp) || th <= 0) NA_real_ else sqrt(max(Vp[pos + 1L, pos + 1L], 0)) / th
        row <- matrix(c(exp(log(sd) - z * se_log), exp(log(sd) + z * se_log), sd), 1L)
        rownames(row) <- sprintf("%s.Std.Dev.%s|%s", prefix, t$cnms, t$group)
        out <- rbind(out, row)
      }
      pos <- pos + ncol(t$Xt) * (ncol(t$Xt) + 1L) / 2L
    }
    out
  }
  rbind(sd_rows(core_terms(object$re), 0L, map$re_scale, "cond"),   # a "diag" term: one scalar core term per column
               sd_rows(object$components$re, length(object$par) - map$ntheta_zi, map$re_zi_scale, "zi"))
}

# The zero model's random-effect contribution per row (as re_contribution() for the conditional model).
zi_re_contribution <- function(b, re) re_contribution(split_by_term(b, re), re)
