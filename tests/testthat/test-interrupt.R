# User interrupts (Esc in RStudio, Ctrl-C in a terminal) stop a long fit and leave R usable
# (issue #6). In a child R session: a whole glmm() fit is interrupted wherever it happens to be,
# and the C++ optimizer alone (BOBYQA over a 400,000-row Laplace approximation, about 190
# evaluations of a quarter second, called directly so that it is certainly in the C++ loop) is
# interrupted; each must report an interrupt condition within seconds, and the session must go on
# to fit another model.

# Interrupt the session's running call after `wait` seconds; the call's outcome (result, error).
interrupt_after <- function(session, wait) {
  Sys.sleep(wait)
  expect_equal(session$get_state(), "busy")
  session$interrupt()
  expect_equal(session$poll_process(10000), "ready")   # it answers within 10 s of the interrupt
  session$read()
}

# Was the outcome of an interrupted call an interrupt?
was_interrupted <- function(outcome) {
  is.null(outcome$result) && (inherits(outcome$error$parent, "interrupt") || inherits(outcome$error, "interrupt"))
}

test_that("an interrupted long fit stops promptly and leaves the R session usable", {
  skip_on_cran()
  skip_if_not_installed("callr")
  skip_if(system.file("libs", package = "glmmlab") == "", "glmmlab is not installed (the child loads it with library())")
  session <- callr::r_session$new(options = callr::r_session_options(libpath = .libPaths()))
  on.exit(session$close(), add = TRUE)
  session$run(function() {
    suppressPackageStartupMessages(library(glmmlab))
    set.seed(1)
    n <- 400000
    a <- sample.int(2000, n, TRUE)
    b <- sample.int(200, n, TRUE)
    x <- rnorm(n)
    y <- rpois(n, exp(0.2 + 0.3 * x + rnorm(2000, 0, 0.5)[a] + rnorm(200, 0, 0.5)[b]))
    big <- data.frame(y, x, a = factor(a), b = factor(b))
    fit <- glmm(y ~ x + (1 | a) + (1 | b), family = poisson, data = big)   # a few seconds with L-BFGS
    assign("big", big, envir = globalenv())
    assign("core", fit$core, envir = globalenv())
    assign("far_start", c(1, 1, 0, 0), envir = globalenv())   # theta 1, 1 and beta 0: far from the optimum
    NULL
  })
  # a whole fit (BOBYQA: about a minute), wherever it is after 3 s
  session$call(function() {
    glmm(y ~ x + (1 | a) + (1 | b), family = poisson, data = big, control = glmm_control(optimizer = "bobyqa"))
    "finished"
  })
  expect_true(was_interrupted(interrupt_after(session, 3)))
  # the C++ optimizer alone
  session$call(function() {
    lower <- c(glmmlab:::core_lower(core)[1:2], -Inf, -Inf)
    glmmlab:::core_optimize(core, far_start, lower, rep(Inf, 4), glmm_control())
    "finished"
  })
  expect_true(was_interrupted(interrupt_after(session, 2)))
  # the session goes on working: a small fit on the same data
  loglik <- session$run(function() glmm(y ~ x + (1 | a), family = poisson, data = big[1:2000, ])$loglik)
  expect_true(is.finite(loglik))
})
