# test-ci_smoke.R: a minimal end-to-end check that the installed package fits the course chapter's
# random-intercept regression and that demo("chapter") prints the chapter's numbers (its GLMMs
# when Eulaema.csv is found), so the suite is never empty. Detailed tests live in the other files.

test_that("the chapter's y ~ x1 + (1|groupID) fits with glmmTMB's log-likelihood and fixed effects", {
  m <- glmm(y ~ x1 + (1 | groupID), data = chapter_sim_data())
  expect_s3_class(m, "glmmlab")
  # glmmTMB 1.1.5: logLik(glmmTMB(y ~ x1 + (1|groupID), data = data)) = -444.249527285669
  # (lme4 1.1-31 lmer(..., REML = FALSE) gives the same to 1e-12); the chapter prints -444.2
  expect_lt(abs(m$loglik - (-444.249527285669)), 1e-6)
  expect_identical(round(m$loglik, 1), -444.2)
  # the chapter prints the fixed effects 23.8343 and 1.4528 (glmmTMB 1.1.5)
  expect_named(m$beta, c("(Intercept)", "x1"))
  expect_lt(abs(m$beta[["(Intercept)"]] - 23.8343), 1e-4)
  expect_lt(abs(m$beta[["x1"]] - 1.4528), 1e-4)
  expect_identical(m$nobs, 200L)
})

# The shared folder holding datasets/Eulaema.csv (as helper-data.R looks for it), or "" if none.
smoke_shared_root <- function() {
  roots <- c(Sys.getenv("GLMMLAB_SHARED"), file.path("..", "..", "..", "shared"))
  roots <- roots[nzchar(roots) & file.exists(file.path(roots, "datasets", "Eulaema.csv"))]
  if (length(roots)) normalizePath(roots[[1L]]) else ""
}

test_that("the README's demo, demo('chapter'), runs and prints the chapter's numbers", {
  path <- system.file("demo", "chapter.R", package = "glmmlab")
  expect_true(file.exists(path))
  shared <- smoke_shared_root()
  old_shared <- Sys.getenv("GLMMLAB_SHARED", unset = NA)
  on.exit(if (is.na(old_shared)) Sys.unsetenv("GLMMLAB_SHARED") else Sys.setenv(GLMMLAB_SHARED = old_shared))
  if (nzchar(shared)) Sys.setenv(GLMMLAB_SHARED = shared)
  out <- capture.output(suppressMessages(source(path, local = new.env(), echo = TRUE, print.eval = TRUE)),
                        type = "output")
  # glmmTMB 1.1.5 as printed in the chapter: logLik -545.2 and -444.2, among-group share 43.680 %
  expect_true(any(grepl("-545.2", out, fixed = TRUE)))
  expect_true(any(grepl("-444.2", out, fixed = TRUE)))
  expect_true(any(grepl("43.680", out, fixed = TRUE)))
  if (!nzchar(shared)) skip("Eulaema.csv not found: the demo's GLMMs were not run")
  # the chapter's glmmTMB 1.1.5 output for glmmTMB(Eulaema_nigrita ~ MAP + (1|SA),
  # family = "nbinom2", data = dat): AIC 1790.8, logLik -891.4, dispersion 1.87, MAP -0.002057
  expect_true(any(grepl("1790.8", out, fixed = TRUE)))
  expect_true(any(grepl("-891.4", out, fixed = TRUE)))
  expect_true(any(grepl("Dispersion parameter for nbinom2 family (): 1.87", out, fixed = TRUE)))
  expect_true(any(grepl("-0.002057", out, fixed = TRUE)))
  # glmmTMB 1.1.5: logLik(glmmTMB(Eulaema_nigrita ~ forest. + (1|SA), REML = F,
  # family = "poisson", data = dat)) = -2295.448, printed as -2295.4
  expect_true(any(grepl("-2295.4", out, fixed = TRUE)))
})
