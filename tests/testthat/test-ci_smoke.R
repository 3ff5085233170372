# test-ci_smoke.R: a minimal end-to-end check that the installed package fits the course chapter's
# random-intercept regression, so the suite is never empty. Detailed tests live in the other files.

# The chapter's simulated data (chapter 7, "Variance component analysis").
smoke_chapter_data <- function() {
  set.seed(145)
  x1 <- rnorm(200, 10, 2)
  groupmeans <- rep(rnorm(10, 20, 4), each = 20)
  groupID <- as.factor(rep(paste0("Group", 1:10), each = 20))
  y <- 2 + 1.5 * x1 + groupmeans + rnorm(200, 0, 2)
  data.frame(y, x1, groupID)
}

test_that("the chapter's y ~ x1 + (1|groupID) fits with glmmTMB's log-likelihood and fixed effects", {
  m <- glmm(y ~ x1 + (1 | groupID), data = smoke_chapter_data())
  expect_s3_class(m, "glmm")
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

test_that("the README's demo, demo('chapter'), runs and prints the chapter's numbers", {
  path <- system.file("demo", "chapter.R", package = "glmmlab")
  expect_true(file.exists(path))
  out <- capture.output(suppressMessages(source(path, local = new.env(), echo = TRUE, print.eval = TRUE)),
                        type = "output")
  # glmmTMB 1.1.5 as printed in the chapter: logLik -545.2 and -444.2, among-group share 43.680 %
  expect_true(any(grepl("-545.2", out, fixed = TRUE)))
  expect_true(any(grepl("-444.2", out, fixed = TRUE)))
  expect_true(any(grepl("43.680", out, fixed = TRUE)))
})
