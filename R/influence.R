# influence.R: leverage and influence diagnostics of a glmm fit with lme4's definitions:
# hatvalues() (the diagonal of the hat matrix of the penalized least-squares problem), rstudent()
# and cooks.distance() from them, and influence() by refitting with each observation (or each
# level of a grouping factor) deleted, with cooks.distance(), dfbeta() and dfbetas() of the result.

#' Leverage and influence of the observations of a mixed model
#'
#' `hatvalues()`: the leverages, the diagonal of the hat matrix \eqn{H} with
#' \eqn{\hat y = H y} of the penalized weighted least-squares problem that the fit solves,
#' \eqn{H = W^{1/2} [X\; Z\Lambda] M^{-1} [X\; Z\Lambda]' W^{1/2}} with
#' \eqn{M = [X\; Z\Lambda]' W [X\; Z\Lambda] + \mathrm{diag}(0, I)} (lme4's definition for linear
#' mixed models, computed from the Cholesky factors of [getME.glmmlab()]). For GLMMs \eqn{W}
#' holds the working weights at the fit (the last step of penalized iteratively reweighted least
#' squares), so the leverages are those of that linear approximation, as for a `glm()`; 'lme4'
#' combines the working weights in the factors with the prior weights outside them, so its
#' numbers for GLMMs differ (it warns that they may not make sense).
#'
#' `rstudent()`: \eqn{\mathrm{sign}(d_i)\sqrt{d_i^2 + h_i r_i^2/(1 - h_i)}/\sigma} with deviance
#' residuals \eqn{d_i}, Pearson residuals \eqn{r_i} and leverages \eqn{h_i}; `cooks.distance()`:
#' \eqn{(r_i/(1 - h_i))^2 h_i / (\sigma^2 p)} with \eqn{p} fixed effects (both lme4's formulas;
#' \eqn{\sigma = 1} for binomial and Poisson models).
#'
#' `influence()`: deletion diagnostics, as lme4's: the model is refitted with each observation
#' (`groups` missing) or each level of the grouping variables `groups` deleted, starting from the
#' fit's estimates; the result has the fixed effects (`fixed.effects`, and `fixed.effects[-case]`
#' or `fixed.effects[-group]` with one row per deletion), the variance components
#' (`var.cov.comps`: \eqn{\sigma^2} and each term's (co)variances), the covariance matrices of
#' the fixed effects, and whether each refit converged. `cooks.distance()` of it:
#' \eqn{D_i = \Delta\beta_i' V^{-1} \Delta\beta_i (n - p)/(n p)} with \eqn{V} the fit's
#' covariance of the fixed effects; `dfbeta()`: the changes \eqn{\Delta\beta_i}; `dfbetas()`:
#' those divided by the standard errors of each refit. `do.coef = FALSE` gives the leverages only.
#'
#' @param model a model fitted by [glmm()], or for `cooks.distance()`, `dfbeta()` and `dfbetas()`
#'   the result of `influence()`.
#' @param groups optional names of variables of `data` whose levels are deleted one at a time.
#' @param data the data the model was fitted to (by default its `data` argument).
#' @param maxfun unused (lme4's limit on its optimizer's evaluations).
#' @param do.coef logical: refit with deletions (`TRUE`) or only compute the leverages?
#' @param ncores number of cores (only 1 is used).
#' @param start unused (refits start from the fit's estimates).
#' @param which `"fixed"` (fixed effects) or `"var.cov"` (variance components).
#' @param ... unused.
#' @return `hatvalues()`, `rstudent()`, `cooks.distance()`: a numeric vector, one value per
#'   observation (padded with `NA` for rows dropped with `na.action = na.exclude`). `influence()`:
#'   a list of class `"influence.glmmlab"`. `dfbeta()`, `dfbetas()`: a matrix.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:6], each = 5)), x = rnorm(30))
#' d$y <- 1 + 0.5 * d$x + rnorm(6)[d$g] + rnorm(30, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' head(hatvalues(m))
#' head(cooks.distance(m))
#' infl <- influence(m, groups = "g")
#' cooks.distance(infl)
#' @name influence.glmmlab
NULL

# Leverages: colSums of the squares of C_L = L^{-1} P Lambda'Z'W^{1/2} and C_R = RX^{-T}(X'W^{1/2} - RZX'C_L).
#' @rdname influence.glmmlab
#' @importFrom stats hatvalues
#' @export
hatvalues.glmmlab <- function(model, ...) {
  check_no_components(model, "hatvalues()")
  sw <- sqrt(pls_weights(model))
  h <- (sw * model$X) %*% backsolve(model_RX(model), diag(length(model$beta)))
  h <- rowSums(h^2)
  if (length(model$re)) {
    terms <- lme4_terms(model)
    fac <- lme4_factor(model, terms)
    Ut <- lme4_Lambdat(terms)$Lambdat %*% Matrix::t(lme4_Z(model, terms) * sw)
    CL <- Matrix::solve(fac$L, Matrix::solve(fac$L, Ut, system = "P"), system = "L")
    CR <- backsolve(fac$RX, t(model$X * sw) - as.matrix(Matrix::crossprod(fac$RZX, CL)), transpose = TRUE)
    h <- Matrix::colSums(CL^2) + colSums(CR^2)
  }
  h <- stats::setNames(as.numeric(h), rownames(model$frame))
  stats::napredict(attr(model$frame, "na.action"), h)
}

# RX of a model without random effects: chol(X'WX).
model_RX <- function(model) chol(crossprod(sqrt(pls_weights(model)) * model$X))

# Studentized residuals, lme4's formula.
#' @rdname influence.glmmlab
#' @importFrom stats rstudent
#' @export
rstudent.glmmlab <- function(model, ...) {
  d <- residuals.glmmlab(model, type = "deviance")
  r <- residuals.glmmlab(model, type = "pearson")
  h <- hatvalues.glmmlab(model)
  out <- sign(d) * sqrt(d^2 + h * r^2 / (1 - h))
  out[is.infinite(out)] <- NaN
  out / sigma.glmmlab(model)
}

# Cook's distances from the leverages, lme4's formula.
#' @rdname influence.glmmlab
#' @importFrom stats cooks.distance
#' @export
cooks.distance.glmmlab <- function(model, ...) {
  h <- hatvalues.glmmlab(model)
  r <- residuals.glmmlab(model, type = "pearson")
  out <- (r / (1 - h))^2 * h / (sigma.glmmlab(model)^2 * length(model$beta))
  out[is.infinite(out)] <- NaN
  out
}

# Deletion diagnostics: refits without each observation or level of `groups`.
#' @rdname influence.glmmlab
#' @importFrom stats influence
#' @export
influence.glmmlab <- function(model, groups, data, maxfun = 1000, do.coef = TRUE, ncores = 1, start = NULL, ...) {
  check_no_components(model, "influence()")
  if (!isTRUE(do.coef) && !isFALSE(do.coef)) stop("`do.coef` must be TRUE or FALSE", call. = FALSE)
  if (!do.coef) return(structure(list(hat = hatvalues.glmmlab(model)), class = c("influence.glmmlab", "influence.merMod")))
  if (missing(data)) data <- getData.glmmlab(model)
  data <- as.data.frame(data)
  if (missing(groups)) {
    groups <- ".case"
    data$.case <- rownames(data)
  } else {
    if (!is.character(groups) || !all(groups %in% names(data))) stop("`groups` must name variables of `data`", call. = FALSE)
    if (length(groups) > 1L) {
      combined <- paste(groups, collapse = ".")
      data[[combined]] <- do.call(paste, c(unname(as.list(data[groups])), sep = "."))
      groups <- combined
    }
  }
  deleted <- unique(as.character(data[[groups]]))
  data$.glmmlab_group <- as.character(data[[groups]])
  start <- list(theta = getME.glmmlab(model, "theta"), fixef = model$beta)
  base <- list(fixed = model$beta, vc = variance_components(model), vcov = model$vcov)
  refits <- lapply(deleted, function(del) {
    keep <- data$.glmmlab_group != del
    refit <- tryCatch(suppressWarnings(suppressMessages(
      update.glmmlab(model, data = data[keep, , drop = FALSE], subset = NULL, start = start))),
      error = function(e) NULL)
    if (is.null(refit)) return(list(fixed = base$fixed * NA, vc = base$vc * NA, vcov = base$vcov * NA, converged = FALSE, evals = NA))
    list(fixed = refit$beta, vc = variance_components(refit), vcov = refit$vcov, converged = fit_converged(refit),
         evals = refit$optinfo$evaluations)
  })
  label <- if (groups == ".case") "case" else groups
  fixed_1 <- do.call(rbind, lapply(refits, `[[`, "fixed"))
  vc_1 <- do.call(rbind, lapply(refits, `[[`, "vc"))
  dimnames(fixed_1) <- list(deleted, names(base$fixed))
  dimnames(vc_1) <- list(deleted, names(base$vc))
  vcov_1 <- stats::setNames(lapply(refits, `[[`, "vcov"), deleted)
  out <- list(base$fixed, fixed_1, base$vc, vc_1, base$vcov, vcov_1, label, deleted,
              stats::setNames(vapply(refits, `[[`, logical(1), "converged"), deleted),
              stats::setNames(vapply(refits, function(r) as.numeric(r$evals), numeric(1)), deleted))
  names(out) <- c("fixed.effects", sprintf("fixed.effects[-%s]", label), "var.cov.comps", sprintf("var.cov.comps[-%s]", label),
                  "vcov", sprintf("vcov[-%s]", label), "groups", "deleted", "converged", "function.evals")
  structure(out, class = c("influence.glmmlab", "influence.merMod"))
}

# sigma^2 and each term's variances and covariances (lme4's terms), named as lme4's influence().
variance_components <- function(model) {
  terms <- lme4_terms(model)
  scale <- if (is_gaussian_identity(model$family)) model$sigma else 1
  groups <- vapply(terms, `[[`, "", "group")
  one <- length(terms) == 1L
  parts <- lapply(terms, function(t) {
    V <- scale^2 * tcrossprod(t$T)
    e <- outer(t$cnms, t$cnms, function(a, b) paste0("C[", a, ",", b, "]"))
    diag(e) <- paste0("v[", t$cnms, "]")
    stats::setNames(V[lower.tri(V, diag = TRUE)], paste0(if (one) "" else paste0(t$group, ":"), e[lower.tri(e, diag = TRUE)]))
  })
  c(`sigma^2` = sigma.glmmlab(model)^2, unlist(parts))
}

# Position of each component of an influence() result (by the deletion label).
influence_part <- function(model, what) model[[grep(sprintf("^%s\\[-", what), names(model))[1L]]]

# Changes in the estimates with each deletion.
#' @rdname influence.glmmlab
#' @importFrom stats dfbeta
#' @export
dfbeta.influence.glmmlab <- function(model, which = c("fixed", "var.cov"), ...) {
  which <- match.arg(which)
  what <- if (which == "fixed") "fixed.effects" else "var.cov.comps"
  sub <- influence_part(model, what)
  sub - matrix(model[[what]], nrow(sub), ncol(sub), byrow = TRUE)
}

# dfbeta() of the fixed effects divided by the refits' standard errors.
#' @rdname influence.glmmlab
#' @importFrom stats dfbetas
#' @export
dfbetas.influence.glmmlab <- function(model, ...) {
  ses <- lapply(influence_part(model, "vcov"), function(V) sqrt(diag(V)))
  se <- matrix(unlist(ses), nrow = length(ses), byrow = TRUE)
  dfbeta.influence.glmmlab(model) / se
}

# Cook's distances of the deletions.
#' @rdname influence.glmmlab
#' @export
cooks.distance.influence.glmmlab <- function(model, ...) {
  db <- dfbeta.influence.glmmlab(model)
  n <- nrow(db)
  p <- ncol(db)
  V_inv <- (n - p) / (n * p) * solve(model$vcov)
  stats::setNames(rowSums((db %*% V_inv) * db), rownames(db))
}
