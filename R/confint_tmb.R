# confint_tmb.R: confidence intervals as glmmTMB gives them (confint.glmmTMB): Wald intervals for
# the fixed effects, the random-effect SDs and correlations and sigma, and "uniroot" profile
# intervals for glmmTMB's internal parameters psi (R/inference_core.R). The parameters are indexed
# as in vcov(full = TRUE): the fixed effects, the dispersion ("d~(Intercept)"), then each term's
# log SDs and correlation parameters. Wald rows for the variance parameters are those of
# glmmTMB: "Std.Dev.(Intercept)|Subject", "Cor.Days.(Intercept)|Subject" (a term's SDs, then its
# correlations, lower triangle column by column), their limits the SDs and correlations at
# psi -+ z SE(psi), sorted; "sigma" at betad -+ z SE(betad).

# Wald intervals (with an "Estimate" column when `estimate`) for the parameters `parm` selects.
wald_intervals_tmb <- function(object, parm, level, component, estimate, full) {
  psi_names <- tmb_parameter_names(object, has_dispersion_parameter(object))
  which <- select_tmb_parameters(object, parm, psi_names, full)
  p <- length(object$beta)
  z <- stats::qnorm((1 + level) / 2)
  rows <- tmb_interval_rows(object)
  if (all(which <= p)) {   # fixed effects only: no need for the variance parameters' covariance
    se <- sqrt(diag(object$vcov))
    lims <- cbind(object$beta - z * se, object$beta + z * se, object$beta)
  } else {
    V <- vcov.glmmlab(object, full = TRUE)
    psi <- tmb_psi(object)
    se <- sqrt(pmax(diag(V), 0))
    at <- function(x) tmb_natural(object, x)
    ends <- cbind(at(psi - z * se), at(psi + z * se))
    ends <- t(apply(ends, 1L, function(v) if (anyNA(v)) v * NA else sort(v)))
    lims <- cbind(ends, at(psi))
  }
  out <- lims[which, , drop = FALSE]
  rownames(out) <- rows[which]
  keep <- switch(component, all = rep(TRUE, length(which)), cond = which <= p | grepl("^theta_", psi_names[which]),
                 other = grepl("^d~", psi_names[which]))
  finish_tmb_intervals(out[keep, , drop = FALSE], level, estimate)
}

# Profile intervals for glmmTMB's parameters psi (its method = "uniroot"), on their internal scale:
# the profile-likelihood limits of the fixed effects, SDs, correlations and dispersion
# (R/confint.R's profiles, found by root finding), mapped through the same monotone transforms.
uniroot_intervals_tmb <- function(object, parm, level, estimate, full) {
  if (isTRUE(object$REML)) {
    stop("method = \"uniroot\" profiles the likelihood and needs an ML fit (REML = FALSE), as in glmmTMB; use method = \"profile\" (the ML profile, as lme4) or \"wald\"",
         call. = FALSE)
  }
  has_disp <- has_dispersion_parameter(object)
  psi_names <- tmb_parameter_names(object, has_disp)
  which <- select_tmb_parameters(object, parm, psi_names, full)
  targets <- lapply(which, function(k) tmb_profile_target(object, k, has_disp))
  z <- stats::qnorm((1 + level) / 2)
  ctx <- profile_context(object)
  lims <- t(vapply(targets, function(tg) {
    ends <- c(profile_endpoint(ctx, tg$name, -1, z), profile_endpoint(ctx, tg$name, 1, z))
    sort(tg$transform(ends), na.last = TRUE)
  }, numeric(2)))
  out <- cbind(lims, tmb_psi(object)[which])
  rownames(out) <- psi_names[which]
  finish_tmb_intervals(out, level, estimate)
}

# Column names (limits as percentages, "Estimate") and glmmTMB's "cond." prefix dropped when every
# row has it.
finish_tmb_intervals <- function(out, level, estimate) {
  colnames(out) <- c(format_percent(c((1 - level) / 2, (1 + level) / 2)), "Estimate")
  if (nrow(out) && all(startsWith(rownames(out), "cond."))) rownames(out) <- sub("^cond[.]", "", rownames(out))
  if (!estimate) out <- out[, 1:2, drop = FALSE]
  out
}

# Does the model have a dispersion parameter in glmmTMB's sense (gaussian, nbinom, Gamma ...)?
has_dispersion_parameter <- function(object) isTRUE(family_codes(object$family)$has_dispersion)

# psi at the estimates.
tmb_psi <- function(object) {
  has_disp <- has_dispersion_parameter(object)
  betad <- if (has_disp) log(sigma.glmmlab(object)) / betad_scale(object$family$family)
  core <- core_terms(object$re)   # a "diag" term: its log SDs only (one scalar term per column)
  scale <- if (is_gaussian_identity(object$family)) object$sigma else 1
  theta <- unlist(lapply(theta_to_factors(object$theta, core), function(Ti) covariance_to_tmb_theta(scale^2 * tcrossprod(Ti))))
  stats::setNames(c(object$beta, betad, theta, object$shape), tmb_parameter_names(object, has_disp))
}

# The interval rows' values at psi: fixed effects, sigma, each term's SDs then correlations.
tmb_natural <- function(object, psi) {
  p <- length(object$beta)
  has_disp <- has_dispersion_parameter(object)
  pos <- p + has_disp
  natural <- unlist(lapply(object$re, function(t) {
    k <- length(t$cnms)
    if (identical(t$structure, "diag")) {   # SDs only
      pos <<- pos + k
      return(exp(psi[pos - k + seq_len(k)]))
    }
    S <- tmb_theta_to_covariance(psi[pos + seq_len(k * (k + 1L) / 2L)], k)
    pos <<- pos + k * (k + 1L) / 2L
    sds <- sqrt(diag(S))
    c(sds, if (k > 1L) (S / outer(sds, sds))[lower.tri(S)])
  }))
  sigma <- if (has_disp) exp(betad_scale(object$family$family) * psi[p + 1L])
  unname(c(psi[seq_len(p)], sigma, natural))
}

# Row names of the intervals, glmmTMB's: "cond.<beta>", "sigma", "cond.Std.Dev.<column>|<group>",
# "cond.Cor.<column>.<column>|<group>".
tmb_interval_rows <- function(object) {
  groups <- re_term_names(object$re)
  re_rows <- unlist(lapply(seq_along(object$re), function(i) {
    cn <- object$re[[i]]$cnms
    cors <- if (length(cn) > 1L && !identical(object$re[[i]]$structure, "diag")) {
      nn <- outer(cn, cn, paste, sep = ".")
      paste0("cond.Cor.", nn[lower.tri(nn)])
    }
    paste0(c(paste0("cond.Std.Dev.", cn), cors), "|", groups[i])
  }))
  c(paste0("cond.", names(object$beta)), if (has_dispersion_parameter(object)) "sigma", re_rows)
}

# Positions in psi selected by `parm`, as glmmTMB: NULL (all but the dispersion, unless `full`),
# positions, "beta_", "theta_", "disp_" or "sigma", or names of psi (vcov(full = TRUE)'s) or of
# the interval rows.
select_tmb_parameters <- function(object, parm, psi_names, full) {
  is_disp <- startsWith(psi_names, "d~")
  # the shape parameter (tweedie's, t's) is the last of psi and, as in glmmTMB, gets no interval
  is_shape <- seq_along(psi_names) > length(psi_names) - length(object$shape)
  if (is.null(parm)) return(if (full) which(!is_shape) else which(!is_disp & !is_shape))
  chosen <- select_tmb_parameters_given(object, parm, psi_names, is_disp)
  if (any(is_shape[chosen])) {
    stop(sprintf("confint() gives no interval for the %s family's shape parameter (%s), as glmmTMB", object$family$family,
                 psi_names[is_shape]), call. = FALSE)
  }
  chosen
}

# select_tmb_parameters() for a given `parm`.
select_tmb_parameters_given <- function(object, parm, psi_names, is_disp) {
  if (is.numeric(parm)) {
    if (anyNA(parm) || any(parm < 1) || any(parm > length(psi_names)) || any(parm != round(parm))) {
      stop(sprintf("`parm` positions must be whole numbers between 1 and %d (the parameters of vcov(m, full = TRUE): %s)",
                   length(psi_names), paste(psi_names, collapse = ", ")), call. = FALSE)
    }
    return(as.integer(parm))
  }
  if (!is.character(parm)) stop("`parm` must be parameter names, positions, \"beta_\", \"theta_\" or \"disp_\"", call. = FALSE)
  rows <- tmb_interval_rows(object)
  short_rows <- sub("^cond[.]", "", rows)
  unique(unlist(lapply(parm, function(nm) {
    group <- switch(nm, beta_ = seq_along(object$beta), theta_ = which(startsWith(psi_names, "theta_")),
                    disp_ = , sigma = which(is_disp), NULL)
    if (!is.null(group)) return(group)
    hit <- c(match(nm, psi_names), match(nm, rows), match(nm, short_rows))
    hit <- hit[!is.na(hit)]
    if (!length(hit)) {
      stop(sprintf("unknown parameter in `parm`: %s. Available: %s (or \"beta_\", \"theta_\", \"disp_\")", nm,
                   paste(unique(c(short_rows, psi_names)), collapse = ", ")), call. = FALSE)
    }
    hit[1L]
  })))
}

# For psi's k-th element: the profiled parameter of R/confint.R (".sigNN", ".sigma" or a fixed
# effect), the monotone map from its values to psi's scale (transform) and back (natural).
tmb_profile_target <- function(object, k, has_disp) {
  p <- length(object$beta)
  if (k <= p) return(list(name = names(object$beta)[k], transform = identity, natural = identity))
  if (has_disp && k == p + 1L) {
    s <- betad_scale(object$family$family)
    return(list(name = ".sigma", transform = function(x) log(x) / s, natural = function(x) exp(s * x)))
  }
  j <- k - p - has_disp   # position among the theta parameters
  first <- 0L
  natural_pos <- 0L
  for (t in core_terms(object$re)) {   # psi's and the profiles' order: a "diag" term's columns one by one
    m <- length(t$cnms)
    size <- m * (m + 1L) / 2L
    if (j <= first + size) {
      within <- j - first
      idx <- matrix(0L, m, m)
      idx[lower.tri(idx, diag = TRUE)] <- natural_pos + seq_len(size)   # .sigNN: lower triangle by column
      if (within <= m) {
        return(list(name = sprintf(".sig%02d", idx[within, within]), transform = log, natural = exp))
      }
      if (within == m + 1L) {   # the (2, 1) correlation: rho = x / sqrt(1 + x^2)
        return(list(name = sprintf(".sig%02d", idx[2L, 1L]), transform = function(r) r / sqrt(1 - r^2),
                    natural = function(x) x / sqrt(1 + x^2)))
      }
      stop(sprintf("glmmTMB's profiles (method = \"uniroot\", profile()) cover the correlation parameters of terms with more than 2 columns only for their first one (%s of %s has %d columns); use method = \"profile\" or profile(form = \"lme4\") for the correlations themselves",
                   sQuote(tmb_parameter_names(object, has_disp)[k], FALSE), sQuote(t$group, FALSE), m), call. = FALSE)
    }
    first <- first + size
    natural_pos <- natural_pos + size
  }
  stop("internal error: no such parameter", call. = FALSE)
}
