# bootstrap.R: parametric bootstrap of a "glmmlab" fit. New responses are drawn from the fitted
# model in this process (simulate.glmmlab(), one replicate at a time, so the random stream is the
# one of simulate(m, nsim, seed) whatever the number of cores), the model is refitted to each
# from the stored design (model matrix, random-effect terms, weights, offset: no formula parsing)
# through one core whose response is swapped (set_response(); one core per worker process), and
# a statistic is collected. Refits run on `cores` processes (parallel::mclapply(), by forking)
# in batches of a few per core. Failed refits give a row of NA and are counted; an interrupt
# (Ctrl-C) keeps the finished batches.

#' Parametric bootstrap of a mixed model
#'
#' Simulates `nsim` new responses from the fitted model, refits the model to each (same fixed and
#' random effects, family, weights, offset and REML setting, starting from the fit's estimates)
#' and applies `FUN` to every refit, as `lme4::bootMer()` does. The refits reuse the stored model
#' matrices, so no formula is parsed again and the data need not be around.
#'
#' Refits that fail are not fatal: their row of `t` is `NA`, they are counted and their error
#' messages are kept (see the print). Boundary (singular) refits and refits whose optimizer did not
#' converge are counted too. Interrupting (Ctrl-C, Esc) stops the loop and returns the replicates
#' finished so far, with a warning.
#'
#' With `cores` > 1 the refits run in parallel worker processes ([parallel::mclapply()]; on
#' Windows, where R cannot fork, they run in this process). The responses are always drawn here,
#' in order, so the replicates are the same for any number of cores (`FUN` itself should then
#' draw no random numbers).
#'
#' @param m a fitted model from [glmm()].
#' @param FUN a function of a fitted model returning a numeric vector (named, and of the same
#'   length for every fit), e.g. `fixef`-based extractors or `function(f) sigma(f)`. By default
#'   all parameters in the order and with the names of [confint.glmmlab()]: the random-effect SDs and
#'   correlations (`.sig01`, ...), the residual SD or dispersion (`.sigma`, when the family has
#'   one; [sigma.glmmlab()]'s value) and the fixed effects.
#' @param nsim number of bootstrap replicates.
#' @param seed optional seed for [set.seed()], for reproducible replicates.
#' @param re.form `NA` (default) draws new random effects for every replicate; `NULL` keeps the
#'   fitted conditional modes (see [simulate.glmmlab()]).
#' @param progress show a text progress bar (default: in interactive sessions).
#' @param cores number of processes for the refits (default `getOption("mc.cores", 1L)`).
#' @param ... further arguments to `FUN`.
#' @return An object of class `"glmmlab_boot"`: a list with `t0` (`FUN` of the fit), `t` (an
#'   `nsim` x `length(t0)` matrix of replicates, `NA` rows for failed refits), `nsim`, `nfail`,
#'   `errors` (messages of failed refits), `nsingular`, `nwarning` (refits that did not
#'   converge), `seed` (the random-number state at the start) and `elapsed` seconds. It has
#'   `print()`, `confint()` (percentile intervals), `plot()` and `as.data.frame()` methods.
#' @seealso [confint.glmmlab()] with `method = "boot"`, [varpart()] with `boot`.
#' @examples
#' set.seed(1)
#' g <- factor(rep(1:10, each = 8))
#' x <- rnorm(80)
#' y <- 1 + 0.5 * x + rnorm(10, sd = 0.7)[g] + rnorm(80)
#' m <- glmm(y ~ x + (1 | g), data = data.frame(y, x, g))
#' b <- bootstrap(m, nsim = 50, seed = 2, progress = FALSE)
#' b
#' confint(b)
#' # any statistic of the refitted model
#' icc <- function(f) c(ICC = varpart(f)$percent[1] / 100)
#' bootstrap(m, icc, nsim = 20, seed = 2, progress = FALSE)
#' @export
bootstrap <- function(m, FUN = NULL, nsim = 1000, seed = NULL, re.form = NA, progress = interactive(),
                      cores = getOption("mc.cores", 1L), ...) {
  if (!inherits(m, "glmmlab")) stop("`m` must be a model fitted by glmm()", call. = FALSE)
  check_no_components(m, "bootstrap()")
  if (!is.numeric(nsim) || length(nsim) != 1L || is.na(nsim) || nsim < 1 || nsim != round(nsim)) {
    stop("`nsim` must be a whole number of at least 1", call. = FALSE)
  }
  cores <- check_cores(cores)
  if (is.null(FUN)) FUN <- boot_parameters
  FUN <- match.fun(FUN)
  t0 <- boot_statistic(FUN(m, ...))
  if (!is.null(seed)) set.seed(seed) else if (!exists(".Random.seed", envir = globalenv())) stats::runif(1)
  seed_state <- get(".Random.seed", envir = globalenv())
  out <- matrix(NA_real_, nsim, length(t0), dimnames = list(NULL, names(t0)))
  errors <- character(0)
  nsingular <- nwarning <- 0L
  done <- 0L
  bar <- if (isTRUE(progress)) utils::txtProgressBar(min = 0, max = nsim, style = 3)
  if (!is.null(bar)) on.exit(close(bar), add = TRUE)
  started <- proc.time()[["elapsed"]]
  core <- new_fit_core(m)   # one core for every refit (the fit's own keeps its response)
  # one replicate: the refit to ysim and FUN of it, or the error's message
  replicate_one <- function(ysim) {
    tryCatch({
      fit <- refit_response(m, ysim, core = core)
      value <- boot_statistic(FUN(fit, ...))
      if (length(value) != length(t0)) stop(sprintf("FUN returned %d values for a refit, %d for the fit", length(value), length(t0)))
      list(value = value, singular = isTRUE(fit$optinfo$singular), converged = fit$optinfo$status >= 0 && fit$optinfo$status != 5L)
    }, error = function(e) conditionMessage(e))
  }
  batch <- if (cores > 1L) 4L * cores else 1L
  interrupted <- tryCatch({
    while (done < nsim) {
      idx <- seq.int(done + 1L, min(done + batch, nsim))
      ysims <- lapply(idx, function(i) simulate.glmmlab(m, nsim = 1, re.form = re.form)[[1L]])
      results <- run_parallel(ysims, replicate_one, cores)
      for (j in seq_along(idx)) {
        res <- results[[j]]
        if (is.character(res)) {
          errors <- c(errors, res)
        } else {
          out[idx[j], ] <- res$value
          nsingular <- nsingular + res$singular
          nwarning <- nwarning + !res$converged
        }
      }
      done <- max(idx)
      if (!is.null(bar)) utils::setTxtProgressBar(bar, done)
    }
    FALSE
  }, interrupt = function(e) TRUE)
  if (interrupted) {
    warning(sprintf("bootstrap interrupted: %d of %d replicates done, the rest left out", done, nsim), call. = FALSE)
    out <- out[seq_len(done), , drop = FALSE]
  }
  structure(list(t0 = t0, t = out, nsim = nrow(out), nfail = length(errors), errors = errors,
                 nsingular = nsingular, nwarning = nwarning, seed = seed_state,
                 elapsed = proc.time()[["elapsed"]] - started, formula = m$formula, family = m$family$family,
                 re.form = re.form),
            class = "glmmlab_boot")
}

# lapply(X, FUN) on `cores` forked processes (parallel::mclapply(); in order, one element per
# task); in this process for cores = 1 or where R cannot fork (Windows). An error inside FUN that
# mclapply reports as a try-error becomes its message.
run_parallel <- function(X, FUN, cores) {
  if (cores <= 1L || length(X) <= 1L || .Platform$OS.type == "windows") return(lapply(X, FUN))
  out <- parallel::mclapply(X, FUN, mc.cores = cores, mc.preschedule = FALSE, mc.set.seed = FALSE)
  lapply(out, function(r) if (inherits(r, "try-error")) as.character(attr(r, "condition")$message %||% r) else r)
}

# run_parallel() where any failure is an error: the first failed element's message, raised.
run_parallel_or_stop <- function(X, FUN, cores) {
  out <- run_parallel(X, FUN, cores)
  failed <- vapply(out, is.character, logical(1))
  if (any(failed)) stop(out[[which(failed)[1L]]], call. = FALSE)
  out
}

# A number of processes (the argument `name`) checked: a whole number >= 1 (NULL: 1).
check_cores <- function(cores, name = "cores") {
  if (is.null(cores)) return(1L)
  if (!is.numeric(cores) || length(cores) != 1L || is.na(cores) || cores < 1 || cores != round(cores)) {
    stop(sprintf("`%s` must be a whole number of at least 1", name), call. = FALSE)
  }
  as.integer(cores)
}

`%||%` <- function(a, b) if (is.null(a)) b else a

# A statistic as a named numeric vector (names V1, V2, ... when FUN gives none).
boot_statistic <- function(value) {
  if (!is.numeric(value) || is.matrix(value) && ncol(value) > 1L) {
    value <- tryCatch(unlist(value), error = function(e) value)
  }
  if (!is.numeric(value)) stop("`FUN` must return a numeric vector", call. = FALSE)
  value <- drop(value)
  if (is.null(names(value))) names(value) <- paste0("V", seq_along(value))
  value
}

# All parameters with the names of confint(): .sig01, ... (SDs, correlations), .sigma, fixed effects.
boot_parameters <- function(object) {
  v <- theta_to_natural(object$theta, map_re_sigma(object$map, object$sigma), core_terms(object$re))
  names(v) <- sprintf(".sig%02d", seq_along(v))
  c(v, if (object$map$has_sigma) c(.sigma = sigma.glmmlab(object)), object$beta)
}

# The model refitted to a simulated response (as simulate() gives it), from the stored design;
# `X` replaces the fixed-effects design (the null model of varpart() uses an intercept only).
# `core`: a core of this design to reuse (its response is replaced), else a new one.
refit_response <- function(object, ysim, X = object$X, core = NULL) {
  check_no_components(object, "refitting (refit(), refitML(), influence())")
  frame <- object$frame
  if (is.matrix(ysim)) {
    y <- ysim[, 1L] / rowSums(ysim)
    y[!is.finite(y)] <- 0
  } else {
    y <- as.numeric(ysim)
  }
  if (is.matrix(frame[[1L]])) {
    frame[[1L]] <- if (is.matrix(ysim)) unclass(ysim) else ysim
    dimnames(frame[[1L]]) <- dimnames(object$frame[[1L]])
  } else {
    frame[[1L]] <- if (is.matrix(ysim)) y else ysim
  }
  fixed <- list(X = X, terms = object$terms, offset = object$offset, dropped = object$optinfo$dropped)
  start <- list(theta = object$theta)
  if (is.null(core)) core <- new_fit_core(object, X)
  core_set_response(core, y, object$prior_weights)
  fit <- if (core$kind == "lmm") {
    fit_lmm(X, y, object$prior_weights, object$offset, core_terms(object$re), isTRUE(object$REML), start, glmm_control(), core = core)
  } else {
    fit_glmm(X, y, object$prior_weights, object$offset, core_terms(object$re), object$family, start, glmm_control(),
             if (is.null(object$nAGQ)) 1L else object$nAGQ, core = core, REML = isTRUE(object$REML))
  }
  trials <- object$trials
  shift <- if (is.null(trials)) 0 else binomial_replicate_shift(y, trials, object$prior_weights / trials)
  new_glmm_fit(shift_loglik(fit, shift), call = object$call, formula = object$formula, family = object$family, REML = object$REML,
               frame = frame, fixed = fixed, re = object$re, y = y, weights = object$prior_weights, trials = trials)
}

# Print the estimates with the bootstrap bias and SE, and the failed/singular counts.
#' @rdname bootstrap
#' @param x a `"glmmlab_boot"` object.
#' @param digits significant digits.
#' @export
print.glmmlab_boot <- function(x, digits = max(3, getOption("digits") - 3), ...) {
  cat(sprintf("Parametric bootstrap of %s (%s), %d replicates in %.1f s\n",
              paste(deparse(x$formula, width.cutoff = 500L), collapse = " "), x$family, x$nsim, x$elapsed))
  ok <- stats::complete.cases(x$t)
  tab <- cbind(original = x$t0, bias = colMeans(x$t[ok, , drop = FALSE]) - x$t0,
               std.error = apply(x$t[ok, , drop = FALSE], 2L, stats::sd))
  print(signif(tab, digits))
  if (x$nfail) {
    counts <- table(x$errors)
    cat(sprintf("\n%d of %d refits failed (left out):\n", x$nfail, x$nsim))
    for (k in seq_along(counts)) cat(sprintf("  %d x %s\n", counts[[k]], names(counts)[k]))
  }
  if (x$nsingular) cat(sprintf("%d refits were singular (a variance estimated as 0 or a correlation as +-1)\n", x$nsingular))
  if (x$nwarning) cat(sprintf("%d refits did not converge\n", x$nwarning))
  invisible(x)
}

# Percentile intervals of the replicates (failed refits left out).
#' @rdname bootstrap
#' @param object a `"glmmlab_boot"` object.
#' @param parm names or positions of the statistics; default all.
#' @param level the confidence level.
#' @importFrom stats confint
#' @export
confint.glmmlab_boot <- function(object, parm, level = 0.95, ...) {
  check_level(level)
  nms <- names(object$t0)
  which <- select_parameters(nms, if (missing(parm)) NULL else parm, character(0), wald = FALSE)
  probs <- c((1 - level) / 2, (1 + level) / 2)
  out <- t(vapply(which, function(nm) {
    v <- object$t[, nm]
    v <- v[is.finite(v)]
    if (length(v) < 2L) return(c(NA_real_, NA_real_))
    unname(stats::quantile(v, probs, names = FALSE))
  }, numeric(2)))
  dimnames(out) <- list(which, format_percent(probs))
  out
}

# The replicates as a data frame (one row per replicate).
#' @rdname bootstrap
#' @param row.names,optional unused (as for [as.data.frame()]).
#' @export
as.data.frame.glmmlab_boot <- function(x, row.names = NULL, optional = FALSE, ...) {
  as.data.frame(x$t, check.names = FALSE)
}

# Histograms of the replicates, with the original value and the percentile interval.
#' @rdname bootstrap
#' @param which statistics to plot (names or positions); default all (up to 12).
#' @export
plot.glmmlab_boot <- function(x, which = NULL, level = 0.95, ...) {
  nms <- names(x$t0)
  which <- if (is.null(which)) utils::head(nms, 12L) else select_parameters(nms, which, character(0), wald = FALSE)
  ci <- confint.glmmlab_boot(x, which, level)
  k <- length(which)
  ncols <- ceiling(sqrt(k))
  old <- graphics::par(mfrow = c(ceiling(k / ncols), ncols), mar = c(4, 4, 2, 1))
  on.exit(graphics::par(old), add = TRUE)
  for (nm in which) {
    v <- x$t[, nm]
    graphics::hist(v[is.finite(v)], breaks = 30, main = nm, xlab = "replicate", col = "grey85", border = "grey60", ...)
    graphics::abline(v = x$t0[[nm]], lwd = 2)
    graphics::abline(v = ci[nm, ], lty = 2)
  }
  invisible(x)
}
