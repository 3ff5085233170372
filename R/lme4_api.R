# lme4_api.R: lme4's object API for "glmmlab" fits: getME() and the small predicates and
# refitting functions built on it (isLMM(), isGLMM(), isNLMM(), isREML(), isSingular(),
# REMLcrit(), refit(), refitML(), getData()), with lme4's meanings. glmmlab exports its own
# generics (usable without lme4) whose default methods hand other objects over to lme4's; when
# lme4 is loaded, the methods are also registered on lme4's generics (R/zzz.R), so the three
# packages (glmmlab, lme4, glmmTMB) can be attached in any order.
#
# lme4 orders the random-effect terms by decreasing number of levels (ties in formula order) and
# writes `(x || g)` as separate terms; getME() follows that order ("lme4 terms" below), so that
# theta, Z, Lambda, u and b are laid out as lme4's are.

#' lme4's accessors for a glmm fit
#'
#' `getME(m, name)` extracts a piece of a fitted model with 'lme4''s meaning of `name`, so that
#' code written for `lmer()`/`glmer()` fits, and packages built on `getME()`, work with
#' [glmm()] fits. Random-effect terms are in lme4's order (by decreasing number of levels) and
#' `(x || g)` counts as one term per column, as in lme4.
#'
#' Names: `"X"` (fixed-effects model matrix), `"Z"`, `"Zt"` (random-effects model matrix and its
#' transpose, sparse), `"Ztlist"` (per term), `"mmList"` (per-term model matrices), `"y"`, `"mu"`
#' (fitted means), `"u"` (spherical random effects), `"b"` (random effects, \eqn{b = \Lambda u}),
#' `"Gp"` (first column of each term in Z, 0-based, and q), `"Tp"` (first theta of each term),
#' `"L"` (sparse Cholesky factor of \eqn{\Lambda' Z' W Z \Lambda + I}, class `CHMfactor`),
#' `"Lambda"`, `"Lambdat"` (relative covariance factor and its transpose), `"Lind"` (index into
#' theta of each stored entry of Lambdat), `"Tlist"` (per-term lower-triangular factors), `"ST"`
#' (lme4's scaled-triangular form of them), `"A"` (\eqn{\Lambda' Z'}), `"RX"`, `"RZX"` (the
#' fixed-effects blocks of the Cholesky factor), `"sigma"`, `"flist"` (grouping factors),
#' `"fixef"`, `"beta"`, `"theta"` (relative covariance parameters, named as lme4 names them),
#' `"REML"` (number of fixed effects for a REML fit, else 0), `"is_REML"`, `"n_rtrms"`,
#' `"n_rfacs"`, `"N"`, `"n"`, `"p"`, `"q"`, `"p_i"`, `"l_i"`, `"q_i"`, `"k"`, `"m_i"`, `"m"`,
#' `"cnms"`, `"devcomp"` (components of the deviance: `cmp` and `dims`), `"offset"`, `"lower"`
#' (lower bounds of theta), `"devfun"` (the deviance as a function of theta for LMMs, of
#' `c(theta, beta)` for GLMMs, as lme4's), `"glmer.nb.theta"` (the negative binomial size of an
#' `nbinom2` fit) and `"ALL"` (all of them). Several names give a named list.
#'
#' For GLMMs the weights in `"L"`, `"RX"`, `"RZX"` are the working weights at the fit (see
#' [weights.glmmlab()]). The sparse matrices are those of the 'Matrix' package.
#'
#' `isLMM()`, `isGLMM()`, `isNLMM()`: the kind of model (a gaussian model with the identity link
#' is an LMM). `isREML()`: fitted by REML? `isSingular()`: is a variance estimated as (near) 0 or
#' a correlation as +-1 (theta at its lower bound within `tol`)? `REMLcrit()`: the REML criterion
#' at the estimates (for an ML fit, the REML criterion at its variance parameters, as lme4's).
#' `refit(m, newresp)`: the same model fitted to a new response (by default the old one);
#' `refitML(m)`: a REML fit refitted by ML. `getData(m)`: the data the model was fitted to.
#'
#' @param object,x a model fitted by [glmm()] (other objects are handed to 'lme4''s function).
#' @param name a name or a vector of names (see Details).
#' @param newresp a new response: a vector (or for binomial fits a two-column matrix), or a data
#'   frame with one column, e.g. from [simulate()].
#' @param tol tolerance of `isSingular()`.
#' @param ... unused.
#' @return `getME()`: the piece asked for, or a named list of pieces. The predicates: `TRUE` or
#'   `FALSE`. `REMLcrit()`: a number. `refit()`, `refitML()`: a fitted model. `getData()`: a data
#'   frame.
#' @examples
#' set.seed(1)
#' d <- data.frame(g = factor(rep(letters[1:8], each = 10)), x = rnorm(80))
#' d$y <- 1 + 0.5 * d$x + rnorm(8)[d$g] + rnorm(80, sd = 0.5)
#' m <- glmm(y ~ x + (1 | g), data = d)
#' getME(m, "theta")
#' dim(getME(m, "Z"))
#' isSingular(m)
#' isLMM(m)
#' REMLcrit(m)
#' m2 <- refit(m, simulate(m, seed = 2)[[1]])
#' fixef(m2)$cond
#' @name getME.glmmlab
NULL

# Generic: lme4's getME(), for models fitted by glmm() and (through lme4) others.
#' @rdname getME.glmmlab
#' @export
getME <- function(object, name, ...) UseMethod("getME")

#' @rdname getME.glmmlab
#' @export
getME.default <- function(object, name, ...) hand_to_lme4("getME", list(object, name, ...), object)

# Another object's call of a generic goes to lme4's function (evaluated in lme4's namespace, so
# that its dispatch finds lme4's and glmmTMB's methods), or is an error when lme4 is missing.
hand_to_lme4 <- function(fun, args, object) {
  if (requireNamespace("lme4", quietly = TRUE)) return(do.call(fun, args, envir = asNamespace("lme4")))
  stop(sprintf("%s() does not know objects of class %s (lme4 is not installed)", fun, sQuote(class(object)[1L], FALSE)), call. = FALSE)
}

# getME names, in lme4's order of its documentation.
getME_names <- c("X", "Z", "Zt", "Ztlist", "mmList", "y", "mu", "u", "b", "Gp", "Tp", "L", "Lambda", "Lambdat", "Lind",
                 "Tlist", "A", "RX", "RZX", "sigma", "flist", "fixef", "beta", "theta", "ST", "REML", "is_REML",
                 "n_rtrms", "n_rfacs", "N", "n", "p", "q", "p_i", "l_i", "q_i", "k", "m_i", "m", "cnms", "devcomp",
                 "offset", "lower", "devfun", "glmer.nb.theta")

#' @rdname getME.glmmlab
#' @export
getME.glmmlab <- function(object, name, ...) {
  if (missing(name)) stop("getME() needs `name`, one or more of: ", paste(getME_names, collapse = ", "), call. = FALSE)
  if (!is.character(name)) stop("`name` must be a character vector of names such as \"theta\"", call. = FALSE)
  if (identical(name, "ALL")) name <- getME_names
  unknown <- setdiff(name, getME_names)
  if (length(unknown)) {
    stop(sprintf("unknown name%s for getME(): %s; available: %s", if (length(unknown) > 1L) "s" else "",
                 paste(sQuote(unknown, FALSE), collapse = ", "), paste(getME_names, collapse = ", ")), call. = FALSE)
  }
  if (length(name) > 1L) return(stats::setNames(lapply(name, function(nm) getME.glmmlab(object, nm)), name))
  terms <- lme4_terms(object)
  switch(name,
    X = object$X,
    Z = lme4_Z(object, terms),
    Zt = Matrix::t(lme4_Z(object, terms)),
    Ztlist = stats::setNames(lapply(terms, function(t) Matrix::t(lme4_Z(object, list(t)))), lme4_term_labels(terms)),
    mmList = stats::setNames(lapply(terms, `[[`, "Xt"), vapply(terms, function(t) paste(t$lhs_text, "|", t$group), "")),
    y = stats::setNames(as.numeric(object$y), rownames(object$frame)),
    mu = as.numeric(object$fitted),
    u = unlist(lapply(terms, `[[`, "u"), use.names = FALSE) %||% numeric(0),
    b = unlist(lapply(terms, `[[`, "b"), use.names = FALSE) %||% numeric(0),
    Gp = as.integer(c(0L, cumsum(vapply(terms, function(t) t$nlev * length(t$cnms), numeric(1))))),
    Tp = as.integer(c(0L, cumsum(vapply(terms, function(t) length(t$theta), numeric(1))))),
    L = lme4_factor(object, terms)$L,
    Lambda = Matrix::t(lme4_Lambdat(terms)$Lambdat),
    Lambdat = lme4_Lambdat(terms)$Lambdat,
    Lind = lme4_Lambdat(terms)$Lind,
    Tlist = stats::setNames(lapply(terms, `[[`, "T"), vapply(terms, `[[`, "", "group")),
    ST = stats::setNames(lapply(terms, function(t) lme4_ST(t$T)), vapply(terms, `[[`, "", "group")),
    A = Matrix::t(lme4_Z(object, terms) %*% Matrix::t(lme4_Lambdat(terms)$Lambdat)),
    RX = lme4_factor(object, terms)$RX,
    RZX = lme4_factor(object, terms)$RZX,
    sigma = sigma.glmmlab(object),
    flist = lme4_flist(terms),
    fixef = , beta = object$beta,
    theta = lme4_theta(terms),
    REML = if (isTRUE(object$REML)) length(object$beta) else 0L,
    is_REML = isTRUE(object$REML),
    n_rtrms = length(terms),
    n_rfacs = length(unique(vapply(terms, `[[`, "", "group"))),
    N = nrow(object$X),
    n = length(object$y),
    p = length(object$beta),
    q = sum(vapply(terms, function(t) t$nlev * length(t$cnms), numeric(1))),
    p_i = vapply(terms, function(t) length(t$cnms), integer(1)),
    l_i = vapply(lme4_flist(terms), nlevels, integer(1)),
    q_i = vapply(terms, function(t) t$nlev * length(t$cnms), numeric(1)),
    k = length(terms),
    m_i = vapply(terms, function(t) length(t$theta), integer(1)),
    m = length(object$theta),
    cnms = stats::setNames(lapply(terms, `[[`, "cnms"), vapply(terms, `[[`, "", "group")),
    devcomp = lme4_devcomp(object, terms),
    offset = object$offset,
    lower = stats::setNames(unlist(lapply(terms, `[[`, "lower"), use.names = FALSE) %||% numeric(0), names(lme4_theta(terms))),
    devfun = lme4_devfun(object, terms),
    glmer.nb.theta = if (identical(object$family$family, "nbinom2")) object$dispersion else
      stop("getME(m, \"glmer.nb.theta\") needs a negative binomial (nbinom2) fit", call. = FALSE))
}

`%||%` <- function(a, b) if (is.null(a)) b else a

# The random-effect terms as lme4 has them: core terms (R/re_terms.R) in decreasing order of
# their number of levels, each with its theta, relative factor T, lower bounds, and u, b laid out
# level by level (columns within a level), and `index`, its position among the core terms.
lme4_terms <- function(object) {
  if (!length(object$re)) return(list())
  core <- core_terms(object$re)
  owner <- rep(seq_along(object$re), core_term_counts(object$re))
  column <- unlist(lapply(core_term_counts(object$re), seq_len))
  pieces <- split(object$theta, rep(seq_along(core), theta_lengths(core)))
  factors <- theta_to_factors(object$theta, core)
  terms <- lapply(seq_along(core), function(j) {
    t <- core[[j]]
    i <- owner[j]
    user <- object$re[[i]]
    pick <- if (identical(user$structure, "diag")) column[j] else seq_along(user$cnms)
    level_major <- function(M) as.vector(t(M[, pick, drop = FALSE]))
    p <- length(t$cnms)
    lower <- matrix(-Inf, p, p)
    diag(lower) <- 0
    list(group = t$group, lhs_text = paste(deparse(t$lhs, width.cutoff = 500L), collapse = ""), cnms = t$cnms,
         nlev = t$nlev, levels = t$levels, codes = t$codes, factor = factor(t$levels[t$codes + 1L], levels = t$levels),
         Xt = t$Xt, theta = pieces[[j]], T = factors[[j]], lower = lower[lower.tri(lower, diag = TRUE)],
         u = level_major(object$u[[i]]), b = level_major(object$b[[i]]), index = j)
  })
  terms[order(-vapply(terms, `[[`, numeric(1), "nlev"))]
}

# lme4's names of theta: "g.col" for variances, "g.col2.col1" below the diagonal.
lme4_theta <- function(terms) {
  if (!length(terms)) return(numeric(0))
  out <- unlist(lapply(terms, function(t) {
    nm <- outer(t$cnms, t$cnms, function(a, b) ifelse(a == b, paste(t$group, a, sep = "."), paste(t$group, a, b, sep = ".")))
    stats::setNames(t$theta, nm[lower.tri(nm, diag = TRUE)])
  }))
  out
}

# lme4's labels of the terms, as in names(getME(m, "Ztlist")): "g.(Intercept)" or "g.(x)".
lme4_term_labels <- function(terms) {
  vapply(terms, function(t) paste0(t$group, ".", if (length(t$cnms) == 1L) t$cnms else paste0("(", paste(t$cnms, collapse = ","), ")")), "")
}

# The random-effects model matrix Z (n x q, sparse): term after term, level-major columns.
lme4_Z <- function(object, terms) {
  n <- length(object$y)
  rows <- cols <- vals <- list()
  off <- 0L
  for (t in terms) {
    p <- length(t$cnms)
    for (k in seq_len(p)) {
      rows[[length(rows) + 1L]] <- seq_len(n)
      cols[[length(cols) + 1L]] <- off + t$codes * p + k
      vals[[length(vals) + 1L]] <- t$Xt[, k]
    }
    off <- off + t$nlev * p
  }
  Z <- Matrix::sparseMatrix(i = unlist(rows) %||% integer(0), j = unlist(cols) %||% integer(0),
                            x = unlist(vals) %||% numeric(0), dims = c(n, off))
  colnames(Z) <- unlist(lapply(terms, function(t) rep(t$levels, each = length(t$cnms))))
  rownames(Z) <- rownames(object$frame)
  Matrix::drop0(Z)   # lme4 stores no zeros (e.g. of Days = 0)
}

# Lambdat (q x q, sparse, upper triangular blocks T_i') and Lind, the theta index of each of its
# stored entries (in storage order), as lme4's.
lme4_Lambdat <- function(terms) {
  ii <- jj <- idx <- list()
  off <- 0L
  toff <- 0L
  for (t in terms) {
    p <- length(t$cnms)
    pos <- matrix(0L, p, p)
    pos[lower.tri(pos, diag = TRUE)] <- seq_len(p * (p + 1L) / 2L)
    entries <- which(lower.tri(pos, diag = TRUE), arr.ind = TRUE)   # (row r, col c) of T
    for (lev in seq_len(t$nlev) - 1L) {
      ii[[length(ii) + 1L]] <- off + lev * p + entries[, "col"]   # Lambdat = T': row c, column r
      jj[[length(jj) + 1L]] <- off + lev * p + entries[, "row"]
      idx[[length(idx) + 1L]] <- toff + pos[entries]
    }
    off <- off + t$nlev * p
    toff <- toff + length(t$theta)
  }
  index <- Matrix::sparseMatrix(i = unlist(ii) %||% integer(0), j = unlist(jj) %||% integer(0),
                                x = as.numeric(unlist(idx) %||% numeric(0)), dims = c(off, off))
  Lind <- as.integer(index@x)
  theta <- unlist(lapply(terms, `[[`, "theta")) %||% numeric(0)
  Lambdat <- index
  Lambdat@x <- theta[Lind]
  list(Lambdat = Lambdat, Lind = Lind)
}

# lme4's ST form of a factor T: the unit lower triangle T diag(1/diag(T)) with diag(T) on the diagonal.
lme4_ST <- function(T) {
  d <- diag(T)
  ST <- T %*% diag(1 / d, nrow = length(d))
  ST[!is.finite(ST)] <- 0
  diag(ST) <- d
  ST
}

# The grouping factors (distinct, in the order of the terms), with attribute "assign": the factor of each term.
lme4_flist <- function(terms) {
  groups <- vapply(terms, `[[`, "", "group")
  first <- !duplicated(groups)
  out <- stats::setNames(lapply(terms[first], `[[`, "factor"), groups[first])
  out <- as.data.frame(out, optional = TRUE)
  names(out) <- groups[first]
  attr(out, "assign") <- match(groups, groups[first])
  out
}

# Weights of the penalized least-squares problem: prior weights (LMMs), working weights (GLMMs).
pls_weights <- function(object) {
  if (is_gaussian_identity(object$family)) object$prior_weights else weights.glmmlab(object, type = "working")
}

# The sparse Cholesky factor L of Lambda'Z'WZ Lambda + I (lme4's, with its fill-reducing
# permutation), RZX = L^{-1} P Lambda'Z'WX and RX (RX'RX = X'WX - RZX'RZX).
lme4_factor <- function(object, terms) {
  check_no_components(object, "lme4's factor (getME(m, \"L\"), \"RX\", hatvalues() ...)")
  sw <- sqrt(pls_weights(object))
  Z <- lme4_Z(object, terms)
  Lambdat <- lme4_Lambdat(terms)$Lambdat
  Ut <- Lambdat %*% Matrix::t(Z * sw)
  L <- Matrix::Cholesky(Matrix::tcrossprod(Ut), LDL = FALSE, Imult = 1)
  WX <- object$X * sw
  RZX <- Matrix::solve(L, Matrix::solve(L, Ut %*% WX, system = "P"), system = "L")
  RZX <- as.matrix(RZX)
  RX <- chol(crossprod(WX) - crossprod(RZX))
  dimnames(RX) <- list(colnames(object$X), colnames(object$X))
  list(L = L, RZX = RZX, RX = RX)
}

# lme4's devcomp: cmp (deviance components) and dims (sizes and model kind).
lme4_devcomp <- function(object, terms) {
  n <- length(object$y)
  p <- length(object$beta)
  lmm <- is_gaussian_identity(object$family)
  fac <- lme4_factor(object, terms)
  ldL2 <- 2 * as.numeric(Matrix::determinant(fac$L, sqrt = TRUE)$modulus)
  ldRX2 <- 2 * sum(log(abs(diag(fac$RX))))
  u <- unlist(lapply(terms, `[[`, "u")) %||% numeric(0)
  ussq <- sum(u^2)
  w <- pls_weights(object)
  wrss <- if (lmm) sum(w * (object$y - object$fitted)^2) else sum(residuals.glmmlab(object, type = "pearson")^2)
  pwrss <- wrss + ussq
  cmp <- c(ldL2 = ldL2, ldRX2 = ldRX2, wrss = wrss, ussq = ussq, pwrss = pwrss,
           drsum = if (lmm) NA_real_ else sum(residuals.glmmlab(object, type = "deviance")^2),
           REML = if (lmm && isTRUE(object$REML)) object$deviance else NA_real_,
           dev = if (isTRUE(object$REML)) NA_real_ else object$deviance,
           sigmaML = if (lmm) sqrt(pwrss / n) else NA_real_,
           sigmaREML = if (lmm) sqrt(pwrss / (n - p)) else NA_real_, tolPwrss = NA_real_)
  dims <- c(N = n, n = n, p = p, nmp = n - p, nth = length(object$theta),
            q = sum(vapply(terms, function(t) t$nlev * length(t$cnms), numeric(1))),
            nAGQ = if (lmm) NA_integer_ else if (is.null(object$nAGQ)) 1L else object$nAGQ,
            compDev = 1L, useSc = as.integer(has_dispersion(object)), reTrms = 1L,
            REML = if (isTRUE(object$REML)) p else 0L, GLMM = as.integer(!lmm), NLMM = 0L)
  list(cmp = cmp, dims = dims)
}

# lme4's deviance function of a fit (R/devfun.R): of theta (lme4's order) for LMMs, ML or REML
# as the fit; of c(theta, beta) for GLMMs (the dispersion held at its estimate).
lme4_devfun <- function(object, terms) {
  check_no_components(object, "getME(m, \"devfun\")")
  core_devfun(ensure_core(object), object$re, is_gaussian_identity(object$family), isTRUE(object$REML),
              length(object$beta), object$dispersion)
}

# Kind of model and fitting criterion, as lme4's predicates: generics with lme4's names.
#' @rdname getME.glmmlab
#' @export
isLMM <- function(x, ...) UseMethod("isLMM")
#' @rdname getME.glmmlab
#' @export
isLMM.default <- function(x, ...) hand_to_lme4("isLMM", list(x, ...), x)
#' @rdname getME.glmmlab
#' @export
isLMM.glmmlab <- function(x, ...) is_gaussian_identity(x$family)

#' @rdname getME.glmmlab
#' @export
isGLMM <- function(x, ...) UseMethod("isGLMM")
#' @rdname getME.glmmlab
#' @export
isGLMM.default <- function(x, ...) hand_to_lme4("isGLMM", list(x, ...), x)
#' @rdname getME.glmmlab
#' @export
isGLMM.glmmlab <- function(x, ...) !is_gaussian_identity(x$family)

#' @rdname getME.glmmlab
#' @export
isNLMM <- function(x, ...) UseMethod("isNLMM")
#' @rdname getME.glmmlab
#' @export
isNLMM.default <- function(x, ...) hand_to_lme4("isNLMM", list(x, ...), x)
#' @rdname getME.glmmlab
#' @export
isNLMM.glmmlab <- function(x, ...) FALSE

#' @rdname getME.glmmlab
#' @export
isREML <- function(x, ...) UseMethod("isREML")
#' @rdname getME.glmmlab
#' @export
isREML.default <- function(x, ...) hand_to_lme4("isREML", list(x, ...), x)
#' @rdname getME.glmmlab
#' @export
isREML.glmmlab <- function(x, ...) isTRUE(x$REML)

# A variance parameter at (or within tol of) its lower bound 0, as lme4's isSingular().
#' @rdname getME.glmmlab
#' @export
isSingular <- function(x, tol = 1e-4) {
  if (!inherits(x, "glmmlab")) return(hand_to_lme4("isSingular", list(x, tol = tol), x))
  terms <- lme4_terms(x)
  lower <- unlist(lapply(terms, `[[`, "lower")) %||% numeric(0)
  theta <- lme4_theta(terms)
  any(theta[lower == 0] < tol)
}

# The REML criterion: the deviance of a REML fit; for an ML fit of an LMM, the REML criterion at its theta.
#' @rdname getME.glmmlab
#' @export
REMLcrit <- function(object) {
  if (!inherits(object, "glmmlab")) return(hand_to_lme4("REMLcrit", list(object), object))
  if (!is_gaussian_identity(object$family)) stop("REMLcrit() needs a linear mixed model (gaussian, identity link), as in lme4", call. = FALSE)
  if (isTRUE(object$REML)) return(object$deviance)
  core_objective(ensure_core(object), object$theta, reml = TRUE)
}

# The model fitted again to a new response (the same design, weights, offset, REML setting).
#' @rdname getME.glmmlab
#' @export
refit <- function(object, newresp, ...) UseMethod("refit")
#' @rdname getME.glmmlab
#' @export
refit.default <- function(object, newresp, ...) {
  hand_to_lme4("refit", c(list(object), if (!missing(newresp)) list(newresp), list(...)), object)
}
#' @rdname getME.glmmlab
#' @export
refit.glmmlab <- function(object, newresp = NULL, ...) {
  if (is.null(newresp)) newresp <- stats::model.response(object$frame)
  if (is.data.frame(newresp)) {
    if (ncol(newresp) != 1L) stop("`newresp` given as a data frame must have one column", call. = FALSE)
    newresp <- newresp[[1L]]
  }
  n <- length(object$y)
  rows <- if (is.matrix(newresp)) nrow(newresp) else length(newresp)
  na <- attr(object$frame, "na.action")
  if (rows != n && !is.null(na) && rows == n + length(na)) {   # lme4 accepts the response of the full data
    newresp <- if (is.matrix(newresp)) newresp[-na, , drop = FALSE] else newresp[-na]
    rows <- n
  }
  if (rows != n) stop(sprintf("`newresp` has %d values, the model has %d observations", rows, n), call. = FALSE)
  if (!is.numeric(newresp) && !is.logical(newresp) && !is.factor(newresp)) stop("`newresp` must be numeric", call. = FALSE)
  if (is.factor(newresp)) newresp <- as.numeric(newresp != levels(newresp)[1L])
  if (is.logical(newresp)) newresp <- as.numeric(newresp)
  if (is.matrix(newresp) && ncol(newresp) != 2L) stop("a matrix `newresp` must have two columns (successes, failures)", call. = FALSE)
  if (!is.matrix(newresp) && any(!is.finite(newresp))) stop("`newresp` has missing or non-finite values", call. = FALSE)
  refit_response(object, newresp)
}

# A REML fit refitted by maximum likelihood (an ML fit is returned as it is), as lme4's refitML().
#' @rdname getME.glmmlab
#' @export
refitML <- function(x, ...) UseMethod("refitML")
#' @rdname getME.glmmlab
#' @export
refitML.default <- function(x, ...) hand_to_lme4("refitML", list(x, ...), x)
#' @rdname getME.glmmlab
#' @export
refitML.glmmlab <- function(x, ...) {
  if (!isTRUE(x$REML)) return(x)
  x$REML <- FALSE   # refit_response() fits as the object says
  out <- refit_response(x, stats::model.response(x$frame))
  out$call$REML <- FALSE
  out
}

# The data a model was fitted to: the `data` argument evaluated where the fit was made, as lme4's getData().
#' @rdname getME.glmmlab
#' @importFrom nlme getData
#' @method getData glmmlab
#' @export
getData.glmmlab <- function(object) {
  expr <- object$call$data
  if (is.null(expr)) stop("the model was fitted without a `data` argument", call. = FALSE)
  data <- tryCatch(eval(expr, environment(object$formula)), error = function(e) {
    stop(sprintf("the data %s of the fit could not be found: %s", sQuote(paste(deparse(expr), collapse = ""), FALSE), conditionMessage(e)),
         call. = FALSE)
  })
  if (!is.data.frame(data) && !is.matrix(data)) stop("object found is not a data frame or matrix", call. = FALSE)
  data
}
