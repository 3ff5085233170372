# User interrupts (Esc in RStudio, Ctrl-C in a terminal) stop a long fit and leave R usable
# (issue #6). A child R session starts a fit that needs many seconds (400,000 rows, BOBYQA, whose
# evaluations run in C++ and check for interrupts), is interrupted, and must then report an
# interrupt condition promptly and go on to fit another model.

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
    assign("big", data.frame(y, x, a = factor(a), b = factor(b)), envir = globalenv())
    NULL
  })
  session$call(function() {
    glmm(y ~ x + (1 | a) + (1 | b), family = poisson, data = big, control = glmm_control(optimizer = "bobyqa"))
    "finished"
  })
  Sys.sleep(4)   # past the set-up, into the optimizer's C++ loop
  expect_equal(session$get_state(), "busy")   # the fit needs far longer than 4 s
  session$interrupt()
  expect_equal(session$poll_process(10000), "ready")   # it answers within 10 s of the interrupt
  outcome <- session$read()
  expect_null(outcome$result)
  expect_true(inherits(outcome$error$parent, "interrupt") || inherits(outcome$error, "interrupt"))
  # the session goes on working: a small fit on the same data
  loglik <- session$run(function() glmm(y ~ x + (1 | a), family = poisson, data = big[1:2000, ])$loglik)
  expect_true(is.finite(loglik))
})
