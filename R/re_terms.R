# re_terms.R: stage 3. Turn each `(lhs | group)` term into its grouping factor and model
# matrix, the input of the C++ core (see src/re_design.h for Z and Lambda).

# Random-effect terms of `formula` evaluated in the model frame `mf`; `family` for checks.
# Each term: group (label), lhs, structure ("us" or "diag"), factor, codes (0-based), nlev,
# levels, Xt (its n x p model matrix) and cnms (its column names). A grouping factor with a single
# level is kept: its variance is not identified apart from the fixed effects and is estimated as 0
# (a boundary fit, as glmmTMB).
build_re_terms <- function(formula, mf, gaussian_family = TRUE) {
  bars <- find_re_terms(formula)
  n <- nrow(mf)
  lapply(bars, function(bar) {
    group <- group_label(bar$group)
    fac <- grouping_factor(bar$group, mf, group)
    Xt <- re_model_matrix(bar$lhs, mf, group)
    nlev <- nlevels(fac)
    if (gaussian_family && nlev * ncol(Xt) >= n) check_re_count(group, nlev, ncol(Xt), n)
    list(group = group, lhs = bar$lhs, structure = if (ncol(Xt) == 1L) "us" else bar$structure,
         factor = fac, codes = as.integer(fac) - 1L, nlev = nlev, levels = levels(fac), Xt = Xt, cnms = colnames(Xt))
  })
}

# The terms as the C++ core fits them: a "diag" term becomes one scalar term per column (the same
# likelihood; theta is the same vector: the term's p diagonal entries in column order).
core_terms <- function(re) {
  unlist(lapply(re, function(t) {
    if (!identical(t$structure, "diag")) return(list(t))
    lapply(seq_along(t$cnms), function(k) {
      t1 <- t
      t1$Xt <- t$Xt[, k, drop = FALSE]
      t1$cnms <- t$cnms[k]
      t1$structure <- "us"
      t1
    })
  }), recursive = FALSE)
}

# Number of core terms of each term (p for "diag" terms, 1 otherwise).
core_term_counts <- function(re) vapply(re, function(t) if (identical(t$structure, "diag")) length(t$cnms) else 1L, integer(1))

# Gaussian models: a term with as many random effects as observations is confounded with the residual.
check_re_count <- function(group, nlev, ncol, n) {
  counted <- if (ncol == 1L) sprintf("%d levels", nlev) else sprintf("%d levels x %d random effects per level", nlev, ncol)
  stop(sprintf(paste("grouping factor %s has %s for %d observations: its random effects cannot be told apart",
                     "from the residual (a gaussian model needs fewer random effects than observations)"),
               sQuote(group, FALSE), counted, n), call. = FALSE)
}

# Grouping factor of a term: a variable or an interaction `a:b`, with unused levels dropped.
grouping_factor <- function(g, mf, label) {
  vars <- all.vars(g)
  cols <- lapply(vars, function(v) {
    x <- mf[[v]]
    if (is.null(x)) x <- eval(str2lang(v), mf, environment(attr(mf, "formula")))
    x
  })
  if (length(cols) == 1L && identical(g, as.name(vars))) {
    fac <- cols[[1L]]
    if (!is.factor(fac)) fac <- factor(fac)
    fac <- droplevels(fac)
  } else {
    parts <- lapply(all_interaction_parts(g), function(e) as.factor(eval(e, mf, environment(attr(mf, "formula")))))
    fac <- interaction(parts, drop = TRUE, sep = ":", lex.order = FALSE)
  }
  if (anyNA(fac)) stop(sprintf("grouping factor %s has missing values", sQuote(label, FALSE)), call. = FALSE)
  fac
}

# `a:b:c` -> list(a, b, c)
all_interaction_parts <- function(g) {
  if (is.call(g) && identical(g[[1L]], as.name(":"))) {
    return(c(all_interaction_parts(g[[2L]]), all_interaction_parts(g[[3L]])))
  }
  list(g)
}

# Model matrix of a term's left-hand side (e.g. `1`, `x`, `0 + x`, `f`).
re_model_matrix <- function(lhs, mf, group) {
  f <- stats::as.formula(call("~", lhs), env = environment(attr(mf, "formula")))
  X <- stats::model.matrix(f, mf)
  if (ncol(X) == 0L) stop(sprintf("random-effect term for %s has no columns", sQuote(group, FALSE)), call. = FALSE)
  if (any(!is.finite(X))) {
    stop(sprintf("random-effect column %s of the term for %s has non-finite values (Inf or NaN)",
                 paste(sQuote(colnames(X)[colSums(!is.finite(X)) > 0], FALSE), collapse = ", "), sQuote(group, FALSE)), call. = FALSE)
  }
  for (j in seq_len(ncol(X))) {
    check_magnitude(X[, j], sprintf("random-effect column %s of the term for %s", sQuote(colnames(X)[j], FALSE), sQuote(group, FALSE)))
  }
  attr(X, "assign") <- NULL
  attr(X, "contrasts") <- NULL
  X
}

# Number of theta parameters of each term: p (p + 1) / 2, or p for a "diag" term.
theta_lengths <- function(re) {
  vapply(re, function(t) {
    p <- ncol(t$Xt)
    if (identical(t$structure, "diag")) p else p * (p + 1L) / 2L
  }, numeric(1))
}

# Starting theta: identity factors (1 on diagonals, 0 below), as lme4.
theta_start <- function(re) {
  out <- unlist(lapply(re, function(t) {
    p <- ncol(t$Xt)
    if (identical(t$structure, "diag")) return(rep(1, p))
    m <- diag(p)
    m[lower.tri(m, diag = TRUE)]
  }))
  if (is.null(out)) numeric(0) else out
}

# Lower-triangular factor T_i of each term from theta (column-major lower triangle; the diagonal
# only for "diag" terms).
theta_to_factors <- function(theta, re) {
  out <- vector("list", length(re))
  pos <- 0L
  for (i in seq_along(re)) {
    p <- ncol(re[[i]]$Xt)
    Ti <- matrix(0, p, p)
    if (identical(re[[i]]$structure, "diag")) {
      diag(Ti) <- theta[pos + seq_len(p)]
      pos <- pos + p
    } else {
      k <- p * (p + 1L) / 2L
      Ti[lower.tri(Ti, diag = TRUE)] <- theta[pos + seq_len(k)]
      pos <- pos + k
    }
    out[[i]] <- Ti
  }
  out
}

# theta from the factors T_i (inverse of theta_to_factors()).
factors_to_theta <- function(factors, re) {
  out <- unlist(lapply(seq_along(re), function(i) {
    Ti <- factors[[i]]
    if (identical(re[[i]]$structure, "diag")) diag(Ti) else Ti[lower.tri(Ti, diag = TRUE)]
  }))
  if (is.null(out)) numeric(0) else out
}
