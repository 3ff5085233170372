# core.R: the one interface to the C++ cores (src/mixed_core.h), for both model kinds. A core is
# a list: the external pointer, its kind ("lmm" or "glmm"), the criterion it is read with by
# default (reml) and its parameter map (R/parameter_map.R). Every read takes the parameter vector
# it is read at, so no caller restores anything; a copy of the list with another `reml` reads the
# same C++ core by the other criterion. Nothing else in the package calls the cpp_core_*
# functions.

# A core for the design (X, random-effect terms re), response y, prior weights and offset, of
# the kind of `map` (the design's parameter map): the GLMM's with `family` (adaptive quadrature
# for nAGQ > 1). max_memory (bytes) bounds the memory of the random effects' Cholesky factor.
new_core <- function(map, re, X, y, weights, offset, family = NULL, nAGQ = 1L, reml = FALSE, factor_method = 0L,
                     max_memory = default_max_memory()) {
  storage.mode(X) <- "double"
  terms <- map_core_terms(map, re)
  release_garbage(length(y))
  ptr <- if (map$kind == "lmm") {
    cpp_core_lmm(X, as.numeric(y), as.numeric(weights), as.numeric(offset), terms, as.integer(factor_method), max_memory)
  } else {
    codes <- family_codes(family)
    rule <- if (nAGQ > 1L) gauss_hermite(nAGQ) else list(nodes = numeric(0), weights = numeric(0))
    cpp_core_glmm(X %*% map$A, as.numeric(y), as.numeric(weights), as.numeric(offset), terms, codes$family, codes$link,
                  rule$nodes, rule$weights, as.integer(factor_method), max_memory, map_reml_log_jacobian(map))
  }
  list(ptr = ptr, kind = map$kind, reml = isTRUE(reml), map = map)
}

# For a large model (n rows), collect R's garbage between the stages of a fit: the temporaries
# of the model frame, the designs and the optimizer (several n-vectors each) are then memory
# that is reused rather than extra peak memory. A minor collection frees them (they are young)
# in about a millisecond, where a full one takes some 40 ms and, by ageing every object alive
# at that moment, leaves more for later (the 200,000-row binomial bench row peaked 7 MB higher
# with a full collection before the core). Below 50,000 rows it is not worth even that.
release_garbage <- function(n) if (n >= 50000L) invisible(gc(verbose = FALSE, full = FALSE))

# -2 log L (Laplace for GLMMs; the REML criterion when reml) at par.
core_objective <- function(core, par, reml = core$reml) cpp_core_objective(core$ptr, par, reml)

# The exact gradient at par (NaN where the core has none).
core_gradient <- function(core, par, reml = core$reml) {
  g <- cpp_core_gradient(core$ptr, par, reml)
  attr(g, "value") <- NULL
  g
}

# The exact gradients (ML) at the columns of `points`, all near `centre` (finite differences of
# the gradient), one column each: on large models PIRLS starts each from the centre's mode and
# tangent (src/glmm_core.h, gradients_near()).
core_gradients_near <- function(core, centre, points) cpp_core_gradients_near(core$ptr, centre, points)

# The state at par: estimates, modes (b, u in the formula's order), determinants; see the cores.
core_state <- function(core, par, reml = core$reml) cpp_core_state(core$ptr, par, reml)

# Minimize the objective over [lower, upper] from par0, by L-BFGS with the exact gradient when
# `gradient` (and the core has one), else BOBYQA; the state at the end point with the optimizer's
# evaluations, status and message. With `directions` T the search is over v from par0 (v = 0)
# with par = par0 + T v, and lower/upper bound v.
core_optimize <- function(core, par0, lower, upper, control, gradient = FALSE, reml = core$reml, directions = NULL) {
  if (is.null(directions)) {
    return(cpp_core_optimize(core$ptr, as.numeric(par0), as.numeric(lower), as.numeric(upper), control, reml, gradient,
                             numeric(0), matrix(0, 0, 0)))
  }
  cpp_core_optimize(core$ptr, numeric(ncol(directions)), as.numeric(lower), as.numeric(upper), control, reml, gradient,
                    as.numeric(par0), directions)
}

# L^{-1} P Lambda' V at par for V (q x k; rows in the formula's order of the core's b): crossprod()
# of it is the conditional covariance of V'b (times sigma^2 for the LMM).
core_half_solve <- function(core, par, V, reml = core$reml) cpp_core_half_solve(core$ptr, par, reml, V)

# The parameters' lower bounds (0 on each term factor's diagonal).
core_lower <- function(core, reml = core$reml) cpp_core_lower(core$ptr, reml)

# The conditional covariance of term i's random effects at par on the user's scale, p x p x nlev.
core_condvar <- function(core, par, i, reml = core$reml) {
  p <- ncol(core$map$re[[i]]$Xt)
  blocks <- array(cpp_core_condvar(core$ptr, par, reml, i), dim = c(p, p, core$map$re[[i]]$nlev))
  map_condvar(core$map, blocks, i)
}

# The core with a new response and prior weights (the same design and factor's structure); its
# caches start afresh, so a refit does not depend on what the core computed before.
core_set_response <- function(core, y, weights) {
  cpp_core_set_response(core$ptr, as.numeric(y), as.numeric(weights))
  invisible(core)
}

# The core with its caches cleared (the GLMM's mode): reads after this do not depend on any before.
core_clear_cache <- function(core) {
  cpp_core_clear_cache(core$ptr)
  invisible(core)
}

# Is the core's C++ object there (not lost by saveRDS()/readRDS())?
core_available <- function(core) is.list(core) && inherits(core$ptr, "externalptr") && !is_null_pointer(core$ptr)

# Does an external pointer point nowhere (as after readRDS)? A serialized copy always does.
is_null_pointer <- function(ptr) identical(ptr, unserialize(serialize(ptr, NULL)))

# The fit's core; rebuilt from the stored design when the pointer was lost by saveRDS().
ensure_core <- function(object) {
  if (core_available(object$core)) return(object$core)
  new_fit_core(object)
}

# A new core for a fit's design and response (bootstrap refits get their own, so the fit's core
# keeps its response); `X` replaces the fixed-effects design.
new_fit_core <- function(object, X = object$X) {
  map <- if (identical(X, object$X)) object$map else rebuild_map(object$map, X, object$family)
  new_core(map, core_terms(object$re), X, object$y, object$prior_weights, object$offset, family = if (map$kind == "glmm") object$family,
           nAGQ = if (is.null(object$nAGQ)) 1L else object$nAGQ, reml = isTRUE(object$REML))
}

# The map of the same random effects with another fixed-effects design X.
rebuild_map <- function(map, X, family) {
  if (map$kind == "lmm") map$p <- ncol(X) else map <- glmm_parameter_map(map$re, X, family)
  map
}

# The memory the random effects' factor may use: glmm_control(max_memory) or, by default, the
# memory available (Linux: MemAvailable in /proc/meminfo; elsewhere 16 GB).
default_max_memory <- function() {
  info <- tryCatch(readLines("/proc/meminfo", n = 5L, warn = FALSE), error = function(e) character(0))
  line <- grep("^MemAvailable:", info, value = TRUE)
  kb <- if (length(line)) suppressWarnings(as.numeric(gsub("[^0-9]", "", line[1L]))) else NA_real_
  if (is.finite(kb) && kb > 0) kb * 1024 else 16e9
}

# Gauss-Hermite rule for the integral of exp(-x^2) f(x) (Golub-Welsch: eigen-decomposition of
# the Jacobi matrix of the Hermite polynomials).
gauss_hermite <- function(n) {
  J <- matrix(0, n, n)
  off <- sqrt(seq_len(n - 1L) / 2)
  J[cbind(seq_len(n - 1L), 2:n)] <- off
  J[cbind(2:n, seq_len(n - 1L))] <- off
  e <- eigen(J, symmetric = TRUE)
  list(nodes = rev(e$values), weights = rev(sqrt(pi) * e$vectors[1L, ]^2))
}
