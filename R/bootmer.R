# bootmer.R: lme4's bootMer() interface to the parametric (and semiparametric) bootstrap of a
# "glmmlab" fit: responses simulated from the fit (or fitted values plus resampled residuals),
# the model refitted to each (refit_response(), R/bootstrap.R) and FUN applied; the result is an
# object of the boot package's class "boot", so boot::boot.ci() and lme4-style code work on it.

#' Model-based bootstrap with lme4's interface
#'
#' `bootMer(m, FUN, nsim)` simulates `nsim` responses from the fit, refits the model to each and
#' returns `FUN` of every refit as an object of class `"boot"` (the boot package's; use
#' `boot::boot.ci()` for intervals), with lme4's arguments and conventions: `type = "parametric"`
#' draws responses from the model (new random effects with `use.u = FALSE` / `re.form = NA`, the
#' fitted ones with `use.u = TRUE` / `re.form = NULL`, or those of the terms a formula `re.form`
#' names); `type = "semiparametric"` (with `use.u = TRUE`) adds residuals resampled with
#' replacement to the fitted values. Refits that fail give `NA` rows; their number is the
#' attribute `"bootFail"` (with a warning) and their messages `"boot.fail.msgs"`. When `x` is an
#' lme4 fit, lme4's own `bootMer()` is called. [bootstrap()] is glmmlab's own function with a
#' progress bar and a summary print.
#'
#' @param x a fitted model from [glmm()].
#' @param FUN a function of a fitted model returning a numeric vector, e.g.
#'   `function(f) getME(f, "theta")`, or a list of numeric vectors, which is flattened with
#'   [unlist()]: `fixef` (glmmTMB's `fixef()` is a list) gives columns `"cond.(Intercept)"`, ...
#' @param nsim number of bootstrap replicates.
#' @param seed optional seed for [set.seed()].
#' @param use.u logical: condition on the fitted random effects (`TRUE`) or draw new ones?
#' @param re.form `NA` (new random effects), `NULL` (the fitted ones) or a formula naming the terms
#'   to condition on; overrides `use.u` when given.
#' @param type `"parametric"` or `"semiparametric"`.
#' @param verbose logical: print each replicate's value?
#' @param .progress,PBargs lme4's progress-bar arguments: `"txt"` shows [utils::txtProgressBar()].
#' @param parallel,ncpus,cl lme4's parallel arguments; only `"no"` (sequential) is available.
#' @return An object of class `c("bootMer", "boot")`: a list with `t0` (`FUN(x)`), `t` (an
#'   `nsim` x `length(t0)` matrix), `R`, `data`, `seed` (the random-number state at the start),
#'   `statistic`, `sim`, `call`, `ran.gen` and `mle` (beta, theta and, for LMMs, sigma).
#' @seealso [bootstrap()], [confint.glmmlab()] with `method = "boot"`.
#' @examples
#' set.seed(1)
#' g <- factor(rep(1:10, each = 8))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(10, sd = 0.7)[g] + rnorm(80)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' b <- bootMer(m, function(f) fixef(f)$cond, nsim = 20, seed = 2)
#' apply(b$t, 2, sd)   # bootstrap standard errors
#' if (requireNamespace("boot", quietly = TRUE)) boot::boot.ci(b, type = "perc", index = 2)
#' @export
bootMer <- function(x, FUN, nsim = 1, seed = NULL, use.u = FALSE, re.form = NA, type = c("parametric", "semiparametric"),
                    verbose = FALSE, .progress = "none", PBargs = list(), parallel = c("no", "multicore", "snow"),
                    ncpus = getOption("boot.ncpus", 1L), cl = NULL) {
  if (!inherits(x, "glmmlab")) return(hand_to_lme4("bootMer", lapply(as.list(match.call())[-1L], eval, parent.frame()), x))
  check_no_components(x, "bootMer()")   # its refits would drop the zero and dispersion models
  if (!is.numeric(nsim) || length(nsim) != 1L || is.na(nsim) || nsim < 1 || nsim != round(nsim)) {
    stop("`nsim` must be a whole number of at least 1", call. = FALSE)
  }
  check_flag(use.u, "use.u")
  type <- match.arg(type)
  if (match.arg(parallel) != "no") stop("bootMer() of a glmm fit runs sequentially: use parallel = \"no\"", call. = FALSE)
  FUN <- bootmer_numeric_fun(match.fun(FUN))
  mc <- match.call()
  if (!is.null(seed)) set.seed(seed) else if (!exists(".Random.seed", envir = globalenv())) stats::runif(1)
  seed_state <- get(".Random.seed", envir = globalenv())
  t0 <- FUN(x)
  if (!is.numeric(t0)) stop("bootMer() needs a FUN that returns a numeric vector or a list of numeric vectors", call. = FALSE)
  responses <- bootmer_responses(x, nsim, type, use.u, if (missing(re.form)) NULL else list(re.form))
  bar <- if (.progress == "txt") do.call(utils::txtProgressBar, utils::modifyList(list(min = 0, max = nsim, style = 3), PBargs))
  if (!is.null(bar)) on.exit(close(bar), add = TRUE)
  errors <- character(0)
  out <- matrix(NA_real_, nsim, length(t0), dimnames = list(NULL, names(t0)))
  for (i in seq_len(nsim)) {
    value <- tryCatch(FUN(refit_response(x, responses[[i]])), error = function(e) structure(conditionMessage(e), class = "failed"))
    if (inherits(value, "failed") || length(value) != length(t0)) {
      errors <- c(errors, if (inherits(value, "failed")) unclass(value) else "FUN returned a value of another length")
    } else out[i, ] <- value
    if (isTRUE(verbose)) { cat(sprintf("%5d :", i)); utils::str(value) }
    if (!is.null(bar)) utils::setTxtProgressBar(bar, i)
  }
  if (length(errors)) warning(sprintf("some bootstrap runs failed (%d/%d)", length(errors), nsim), call. = FALSE)
  mle <- list(beta = x$beta, theta = getME.glmmlab(x, "theta"))
  if (is_gaussian_identity(x$family)) mle$sigma <- stats::sigma(x)
  structure(list(t0 = t0, t = out, R = as.integer(nsim), data = x$frame, seed = seed_state, statistic = FUN,
                 sim = "parametric", call = mc, ran.gen = "simulate(<glmmlab>, 1, *)", mle = mle),
            class = c("bootMer", "boot"), bootFail = length(errors), boot.fail.msgs = if (length(errors)) table(errors),
            boot_type = "boot")
}

# FUN with a list of numeric vectors (glmmTMB's fixef(m): list(cond, zi, disp)) flattened to one
# named vector (names "cond.(Intercept)", ...), so that bootMer(m, fixef) works as with lme4: of
# fixef(), the components it prints (not the trivial ones: trivial_fixef_component()).
bootmer_numeric_fun <- function(FUN) {
  force(FUN)
  function(fit) {
    value <- FUN(fit)
    if (inherits(value, "fixef.glmmlab")) value <- value[!mapply(trivial_fixef_component, names(value), value)]
    if (is.list(value) && length(value) && all(vapply(value, function(v) is.null(v) || is.numeric(v), logical(1)))) {
      value <- unlist(value[lengths(value) > 0L])
    }
    value
  }
}

# The nsim bootstrap responses: simulated from the model (re.form given as a one-element list,
# else use.u), or for type "semiparametric" fitted values plus residuals resampled (lme4's rule).
bootmer_responses <- function(x, nsim, type, use.u, re_form) {
  if (type == "semiparametric") {
    if (length(re_form)) stop("`re.form` cannot be used with semiparametric bootstrapping", call. = FALSE)
    if (!use.u) stop("semiparametric bootstrapping needs use.u = TRUE (the fitted random effects)", call. = FALSE)
    if (!is_gaussian_identity(x$family)) warning("semiparametric bootstrapping is questionable for GLMMs", call. = FALSE)
    fit <- stats::fitted(x)
    res <- stats::residuals(x, type = "response")
    return(replicate(nsim, fit + sample(res, replace = TRUE), simplify = FALSE))
  }
  sims <- if (length(re_form)) simulate.glmmlab(x, nsim, re.form = re_form[[1L]]) else simulate.glmmlab(x, nsim, use.u = use.u)
  as.list(sims)
}
