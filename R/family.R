# family.R: families and links accepted by glmm(), and the response for each.

# A family object from a family object, a family function or a name ("gaussian", "poisson", ...).
resolve_family <- function(family) {
  if (is.character(family)) {
    if (length(family) != 1L) stop("`family` must be a single name", call. = FALSE)
    fam_fun <- switch(family, gaussian = stats::gaussian, binomial = stats::binomial,
                      poisson = stats::poisson, Gamma = stats::Gamma,
                      stop(sprintf("unknown family %s; use gaussian, binomial, poisson or Gamma", sQuote(family, FALSE)),
                           call. = FALSE))
    family <- fam_fun()
  }
  if (is.function(family)) family <- family()
  if (!inherits(family, "family")) stop("`family` must be a family such as gaussian() or a family name", call. = FALSE)
  family
}

# The response vector from the model frame, checked for the family's support.
model_response <- function(mf, family) {
  y <- stats::model.response(mf)
  yname <- deparse(attr(mf, "formula")[[2L]])
  if (is.null(y)) stop("the formula has no response", call. = FALSE)
  if (family$family == "gaussian") {
    if (!is.numeric(y) || !is.null(dim(y))) stop(sprintf("response %s must be a numeric vector for a gaussian model", sQuote(yname, FALSE)), call. = FALSE)
    if (any(!is.finite(y))) stop(sprintf("response %s has non-finite values (Inf or NaN)", sQuote(yname, FALSE)), call. = FALSE)
    if (length(unique(y)) < 2L) stop(sprintf("response %s is constant: there is no variance to partition", sQuote(yname, FALSE)), call. = FALSE)
  }
  as.numeric(y)
}

# GLMMs arrive with the next milestone; the seam is here.
fit_glmm <- function(X, y, weights, offset, re, family, start, control) {
  stop(sprintf("family %s is not supported yet: glmmlab fits gaussian (identity link) models", family$family), call. = FALSE)
}
