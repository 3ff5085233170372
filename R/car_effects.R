# car_effects.R: car::Anova() (type II and III Wald chi-square tests of the fixed-effect terms) and
# effects::Effect() (so allEffects(), predictorEffects() and ggeffects::ggeffect()) for glmmlab
# fits, registered when 'car' and 'effects' are loaded (R/zzz.R), giving what they give for glmmTMB
# fits (glmmTMB 1.1.5 ships the methods for its own class).

#' car and effects support for glmmlab fits
#'
#' `car::Anova(m)` gives Wald chi-square tests of the fixed-effect terms of a model fitted by
#' [glmm()], as it does for 'glmmTMB' fits: type II (the default; each term after all terms that
#' do not contain it) or type III (each term after all others, including the intercept). The
#' hypothesis of a type II test is the conjugate complement, in the metric of the fixed effects'
#' covariance, of the coefficients of the terms that contain it. F tests are not available (as for
#' 'glmmTMB' fits): `test.statistic = "F"` is an error.
#'
#' `effects::Effect()` of a fit with `ziformula` gives the conditional model's effects, as for
#' 'glmmTMB' fits; for the beta and betabinomial families 'effects' gets the quasibinomial family
#' with the fit's link (only the link enters the effects).
#'
#' `effects::Effect()`, `effects::allEffects()` and `effects::predictorEffect()` compute their
#' effects from the fixed effects, their covariance and the family's link, as for 'glmmTMB' fits.
#' For the negative binomial families 'effects' cannot use the family's variance function (it
#' takes one argument): as 'glmmTMB' does, glmmlab gives 'effects' a Poisson-like variance with a
#' warning; the effects and their intervals do not depend on it.
#'
#' @param mod a model fitted by [glmm()].
#' @param type `"II"` (or `2`) or `"III"` (or `3`).
#' @param test.statistic `"Chisq"` (`"F"` is not available).
#' @param vcov. covariance matrix of the fixed effects (default `vcov(mod)$cond`), or a function of
#'   the model returning one.
#' @param component `"cond"` (the conditional model), or for fits with `ziformula` or
#'   `dispformula` `"zi"` or `"disp"`: the tests of that model's terms, as for 'glmmTMB' fits.
#' @param focal.predictors names of the focal predictors (see [effects::Effect()]).
#' @param ... passed on to `effects::Effect.default()`.
#' @return `Anova()`: an `"anova"` data frame with columns `Chisq`, `Df`, `Pr(>Chisq)`.
#'   `Effect()`: an `"eff"` object.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80), f = gl(2, 1, 80))
#' d$y <- 1 + 0.5 * d$x + (d$f == "2") + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x * f + (1 | g), data = d)
#' if (requireNamespace("car", quietly = TRUE)) print(car::Anova(m))
#' if (requireNamespace("effects", quietly = TRUE)) print(effects::Effect("x", m))
#' @name glmm-car
NULL

# car::Anova(): type II or III Wald chi-square tests of the fixed-effect terms.
#' @rdname glmm-car
Anova.glmmlab <- function(mod, type = c("II", "III", 2, 3), test.statistic = c("Chisq", "F"),
                          vcov. = NULL, component = "cond", ...) {
  type <- as.character(type)
  type <- match.arg(type)
  test.statistic <- match.arg(test.statistic)
  if (test.statistic == "F") stop("F tests are not available for glmmlab fits (nor for glmmTMB fits): use test.statistic = \"Chisq\"", call. = FALSE)
  component <- match.arg(component, c("cond", "zi", "disp"))
  if (component != "cond") {
    if (!is.null(vcov.)) stop("`vcov.` is available for component = \"cond\" only", call. = FALSE)
    mod <- component_anova_view(mod, component)
  }
  V <- if (is.null(vcov.)) mod$vcov else if (is.function(vcov.)) vcov.(mod) else vcov.
  if (is.list(V) && !is.matrix(V)) V <- V$cond
  labels <- attr(mod$terms, "term.labels")
  assign <- attr(mod$X, "assign")
  intercept <- attr(mod$terms, "intercept") == 1L
  if (!length(labels) && !(type %in% c("III", "3") && intercept)) {
    stop("the model has no fixed-effect terms to test (only an intercept)", call. = FALSE)
  }
  third <- type %in% c("III", "3")
  terms <- if (third) c(if (intercept) "(Intercept)", labels) else labels
  index <- if (third) c(if (intercept) 0L, seq_along(labels)) else seq_along(labels)
  factors <- attr(mod$terms, "factors")
  rows <- lapply(index, function(k) {
    L <- if (third || k == 0L) diag(length(mod$beta))[assign == k, , drop = FALSE] else type2_hypothesis(k, assign, factors, V)
    wald_chisq(L, mod$beta, V)
  })
  out <- data.frame(Chisq = vapply(rows, `[[`, 0, "chisq"), Df = vapply(rows, `[[`, 0, "df"))
  out$`Pr(>Chisq)` <- stats::pchisq(out$Chisq, out$Df, lower.tail = FALSE)
  rownames(out) <- terms
  heading <- c(sprintf("Analysis of Deviance Table (Type %s Wald chisquare tests)\n", if (third) "III" else "II"),
               paste("Response:", paste(deparse(mod$formula[[2L]]), collapse = " ")))
  structure(out, heading = heading, class = c("anova", "data.frame"))
}

# The zero-inflation ("zi") or dispersion ("disp") model seen as a fit of its own (beta, vcov,
# terms, X), for Anova(component =), as car's tests of glmmTMB fits' components.
component_anova_view <- function(mod, component) {
  comp <- mod$components
  fit <- if (component == "zi") comp$zi else comp$disp
  if (is.null(fit) || !length(fit$beta)) {
    stop(sprintf("the model has no %s model with coefficients to test (`%s`)", if (component == "zi") "zero-inflation" else "dispersion",
                 if (component == "zi") "ziformula" else "dispformula"), call. = FALSE)
  }
  X <- if (component == "zi") comp$Xzi else comp$Xd
  list(beta = fit$beta, vcov = fit$vcov, terms = if (component == "zi") comp$zi_terms else comp$disp_terms, X = X,
       formula = mod$formula)
}

# Rows of the type II hypothesis of term k: the part of the span of (term k and the terms that
# contain it) orthogonal, in the metric V, to the span of the containing terms.
type2_hypothesis <- function(k, assign, factors, V) {
  contains <- function(j) j != k && all(factors[factors[, k] > 0, j] > 0)
  relatives <- which(vapply(seq_len(ncol(factors)), contains, logical(1)))
  I <- diag(length(assign))
  A <- I[assign %in% relatives, , drop = FALSE]
  B <- I[assign %in% c(relatives, k), , drop = FALSE]
  if (!nrow(A)) return(B)
  q <- qr(B %*% V %*% t(A))
  rank <- q$rank
  if (rank == 0L) return(B)
  C <- qr.Q(q, complete = TRUE)[, -seq_len(rank), drop = FALSE]
  t(C) %*% B
}

# Wald chi-square of L beta = 0 with its degrees of freedom (the rank of L).
wald_chisq <- function(L, beta, V) {
  L <- L[rowSums(abs(L)) > 0, , drop = FALSE]
  if (!nrow(L)) return(list(chisq = NA_real_, df = 0))
  Lb <- drop(L %*% beta)
  LVL <- L %*% V %*% t(L)
  list(chisq = drop(crossprod(Lb, solve(LVL, Lb))), df = qr(L)$rank)
}

# effects::Effect(): the fixed part of the model through effects::Effect.default().
#' @rdname glmm-car
Effect.glmmlab <- function(focal.predictors, mod, ...) {
  fam <- mod$family
  if (fam$family %in% c("beta", "betabinomial")) {
    # proportions: the binomial family's initialisation and variance (the effects use only the link)
    fam <- stats::quasibinomial(link = fam$link)
  }
  if (length(formals(fam$variance)) > 1L) {
    warning("the family's variance function takes the dispersion: 'effects' gets a Poisson-like one ",
            "(the effects and their intervals do not use it)", call. = FALSE)
    fam$variance <- function(mu) mu
    fam$dev.resids <- function(...) stats::poisson()$dev.resids(...)
  }
  if (is.null(fam$initialize)) fam$initialize <- expression(mustart <- y + 0.1)
  if (is.null(fam$dev.resids)) fam$dev.resids <- function(...) stats::poisson()$dev.resids(...)
  call <- mod$call
  call$formula <- fixed_formula(mod$formula)
  data <- fitted_data(mod)   # the data themselves, so that 'effects' need not find them by name
  if (!is.null(data)) call$data <- data
  sources <- list(call = call, formula = fixed_formula(mod$formula), coefficients = mod$beta, vcov = mod$vcov, family = fam)
  effects::Effect.default(focal.predictors, mod, ..., sources = sources)
}
