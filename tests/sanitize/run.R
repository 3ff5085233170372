# tests/sanitize/run.R: a quick, representative workout of glmmlab's C++ core, run by
# .ci/sanitize.sh under AddressSanitizer/UBSan (all parts) and valgrind (argument "quick": a
# smaller part). It fits the course's LMMs and GLMMs, calls the methods that reach the C++ core
# (ranef, predict, simulate, vcov, and rebuilding the core after saveRDS/readRDS) and feeds bad
# input that must end in an R error. Exits non-zero if a sound fit or method fails; the caller
# greps the output for sanitizer and valgrind reports.
#
# Data: the course's data sets shipped with glmmlab (blossoms, Eulaema) and the test fixtures of
# lme4's sleepstudy and cbpp (tests/testthat/fixtures, beside this folder).
# Environment: GLMMLAB_LIB  library holding the glmmlab build to test (put first on .libPaths())
# Usage:       Rscript tests/sanitize/run.R [quick]

args <- commandArgs(trailingOnly = TRUE)
quick <- "quick" %in% args
lib <- Sys.getenv("GLMMLAB_LIB")
if (nzchar(lib)) .libPaths(c(lib, .libPaths()))
suppressPackageStartupMessages(library(glmmlab))
cat("glmmlab loaded from", dirname(find.package("glmmlab")), if (quick) "(quick part)", "\n")

# A data set borrowed from lme4, from its test fixture (tests/testthat/fixtures/<name>.rds).
fixture_data <- function(name) {
  cl <- commandArgs()
  script <- c(sub("^--file=", "", grep("^--file=", cl, value = TRUE)), cl[which(cl == "-f") + 1L])
  script_dir <- if (length(script) && !is.na(script[1L])) dirname(normalizePath(script[1L], mustWork = FALSE)) else "."
  d <- readRDS(file.path(script_dir, "..", "testthat", "fixtures", paste0(name, ".rds")))
  attr(d, "source") <- NULL
  d
}

steps_run <- 0L
notes <- character()

# Run one named step; an R error in a step that should succeed stops the script (exit status 1).
step <- function(label, expr) {
  t0 <- proc.time()[["elapsed"]]
  withCallingHandlers(
    tryCatch(force(expr), error = function(e) {
      cat(sprintf("FAILED: %s: %s\n", label, conditionMessage(e)))
      quit(save = "no", status = 1L)
    }),
    message = function(m) invokeRestart("muffleMessage"),
    warning = function(w) invokeRestart("muffleWarning"))
  steps_run <<- steps_run + 1L
  cat(sprintf("ok   %-58s %6.1f s\n", label, proc.time()[["elapsed"]] - t0))
}

# Bad input: must end in an R error (a fit that returns instead is noted, not fatal here: the
# test suite owns behaviour; this script is about memory safety).
expect_r_error <- function(label, expr) {
  res <- tryCatch(suppressWarnings(suppressMessages(force(expr))), error = function(e) e)
  if (inherits(res, "error")) {
    cat(sprintf("ok   bad input: %-47s -> error: %s\n", label, substr(conditionMessage(res), 1L, 70L)))
  } else {
    notes <<- c(notes, sprintf("bad input did not give an error: %s", label))
    cat(sprintf("NOTE bad input: %-47s -> no error\n", label))
  }
  steps_run <<- steps_run + 1L
}

# Awkward input: either an R error or a fit with a finite log-likelihood.
expect_error_or_finite <- function(label, expr) {
  res <- tryCatch(suppressWarnings(suppressMessages(force(expr))), error = function(e) e)
  if (inherits(res, "error")) {
    cat(sprintf("ok   awkward: %-49s -> error: %s\n", label, substr(conditionMessage(res), 1L, 70L)))
  } else if (inherits(res, "glmmlab") && !is.finite(res$loglik)) {
    notes <<- c(notes, sprintf("awkward input gave a non-finite log-likelihood: %s", label))
    cat(sprintf("NOTE awkward: %-49s -> non-finite logLik\n", label))
  } else {
    cat(sprintf("ok   awkward: %-49s -> fit, logLik %.4f\n", label, as.numeric(logLik(res))))
  }
  steps_run <<- steps_run + 1L
}

# The methods that reach the C++ core or read its results, on one fit (and on a readRDS copy,
# whose core pointer is NULL and must be rebuilt).
exercise_methods <- function(m, newdata) {
  invisible(capture.output(print(m), print(summary(m)), print(VarCorr(m)), print(fixef(m)),
                           print(ranef(m)), print(coef(m))))
  re <- ranef(m, condVar = TRUE)
  stopifnot(all(is.finite(unlist(lapply(unclass(re$cond %||% re), function(x) unlist(x))))))
  stopifnot(all(is.finite(vcov(m)$cond %||% vcov(m))), is.finite(logLik(m)))
  p <- predict(m); stopifnot(all(is.finite(p)))
  predict(m, type = "response"); fitted(m); residuals(m)
  predict(m, newdata = newdata, allow.new.levels = TRUE)
  predict(m, newdata = newdata, re.form = NA, type = "response")
  sims <- simulate(m, nsim = 2, seed = 1); stopifnot(nrow(sims) == nobs(m))
  simulate(m, nsim = 1, seed = 2, re.form = NULL)
  path <- tempfile(fileext = ".rds")
  saveRDS(m, path); m2 <- readRDS(path); unlink(path)
  re2 <- ranef(m2, condVar = TRUE)        # rebuilds the core from the stored pieces
  stopifnot(isTRUE(all.equal(unlist(re2), unlist(re))))
  stopifnot(isTRUE(all.equal(predict(m2, newdata = newdata, allow.new.levels = TRUE),
                             predict(m, newdata = newdata, allow.new.levels = TRUE))))
  invisible(capture.output(print(summary(m2))))
  invisible(m)
}
`%||%` <- function(a, b) if (is.null(a)) b else a

# ---- data ------------------------------------------------------------------------------------
set.seed(145)                                   # the chapter's simulated data
x1 <- rnorm(200, 10, 2)
groupmeans <- rep(rnorm(10, 20, 4), each = 20)
groupID <- as.factor(rep(paste0("Group", 1:10), each = 20))
y <- 2 + 1.5 * x1 + groupmeans + rnorm(200, 0, 2)
chapter <- data.frame(y, x1, groupID)
chapter_new <- data.frame(x1 = c(9, 11, 12), groupID = c("Group1", "Group5", "NewGroup"))

set.seed(1)                                     # small GLMM simulations
ng <- 20; g <- factor(rep(sprintf("g%02d", 1:ng), each = 10)); x <- runif(ng * 10)
b <- rnorm(ng, 0, 0.6)
glmm_sim <- data.frame(
  g = g, x = x,
  count = rpois(ng * 10, exp(0.5 + 0.8 * x + b[g])),
  success = rbinom(ng * 10, 1, plogis(-0.3 + 1.2 * x + b[g])),
  positive = rgamma(ng * 10, shape = 2, rate = 2 / exp(1 + 0.5 * x + b[g])))
glmm_new <- data.frame(x = c(0.2, 0.7), g = c("g01", "unseen"))

sleepstudy <- fixture_data("sleepstudy")
cbpp <- fixture_data("cbpp")

t_start <- proc.time()[["elapsed"]]

# ---- the course's LMMs -----------------------------------------------------------------------
step("chapter: y ~ 1 + (1|groupID)", {
  m0 <- glmm(y ~ 1 + (1 | groupID), data = chapter)
  exercise_methods(m0, chapter_new)
})
step("chapter: y ~ x1 + (1|groupID), ML and REML", {
  m1 <- glmm(y ~ x1 + (1 | groupID), data = chapter)
  exercise_methods(m1, chapter_new)
  m1r <- glmm(y ~ x1 + (1 | groupID), data = chapter, REML = TRUE)
  stopifnot(is.finite(logLik(m1r)))
  if (!quick) invisible(capture.output(print(anova(glmm(y ~ 1 + (1 | groupID), data = chapter), m1))))
})
blossoms <- glmmlab::blossoms
blossoms$pop <- as.factor(blossoms$pop)
blossoms$patch <- as.factor(paste(blossoms$pop, blossoms$patch, "_"))
step("blossoms: UBW ~ LBW + (1|pop/patch)", {
  m <- glmm(UBW ~ LBW + (1 | pop/patch), data = blossoms)
  exercise_methods(m, blossoms[c(1, 5, 9), ])
})
if (!quick) step("blossoms: UBW ~ 1 + (1|pop/patch), varpart, r2", {
  m <- glmm(UBW ~ 1 + (1 | pop/patch), data = blossoms)
  invisible(capture.output(print(varpart(m)), print(r2(m))))
})
step("sleepstudy: Reaction ~ Days + (Days|Subject)", {
  m <- glmm(Reaction ~ Days + (Days | Subject), data = sleepstudy)
  exercise_methods(m, data.frame(Days = c(0, 5), Subject = c("308", "999")))
})
if (!quick) step("sleepstudy: (Days||Subject), weights, offset", {
  w <- rep(c(1, 2, 0.5, 1.5), length.out = nrow(sleepstudy))
  m <- glmm(Reaction ~ Days + (Days || Subject), data = sleepstudy, weights = w)
  stopifnot(is.finite(logLik(m)))
  m <- glmm(Reaction ~ Days + offset(Days) + (1 | Subject), data = sleepstudy, REML = TRUE)
  exercise_methods(m, data.frame(Days = c(0, 5), Subject = c("308", "999")))
})
if (!quick) {
  step("crossed: y ~ x1 + (1|groupID) + (1|block)", {
    d <- chapter; d$block <- factor(rep(1:8, length.out = nrow(d)))
    m <- glmm(y ~ x1 + (1 | groupID) + (1 | block), data = d)
    exercise_methods(m, transform(chapter_new, block = c("1", "2", "99")))
  })
}

# ---- GLMMs -----------------------------------------------------------------------------------
eulaema <- glmmlab::Eulaema
eulaema$SA <- as.factor(eulaema$SA)
step("Eulaema: nbinom2, Eulaema_nigrita ~ MAP + (1|SA)", {
  m <- glmm(Eulaema_nigrita ~ MAP + (1 | SA), family = "nbinom2", data = eulaema)
  exercise_methods(m, eulaema[c(1, 20, 40), ])
})
step("sim: poisson count ~ x + (1|g)", {
  m <- glmm(count ~ x + (1 | g), family = poisson, data = glmm_sim)
  exercise_methods(m, glmm_new)
})
if (!quick) {
  step("sim: binomial (0/1) success ~ x + (1|g), nAGQ = 5", {
    m <- glmm(success ~ x + (1 | g), family = binomial, data = glmm_sim)
    exercise_methods(m, glmm_new)
    m5 <- glmm(success ~ x + (1 | g), family = binomial, data = glmm_sim, nAGQ = 5)
    exercise_methods(m5, glmm_new)
  })
  step("sim: Gamma(log) positive ~ x + (1|g)", {
    m <- glmm(positive ~ x + (1 | g), family = Gamma(link = "log"), data = glmm_sim)
    exercise_methods(m, glmm_new)
  })
  step("sim: nbinom1 count ~ x + (x|g)", {
    m <- glmm(count ~ x + (x | g), family = nbinom1, data = glmm_sim)
    exercise_methods(m, glmm_new)
  })
  step("cbpp: cbind(incidence, size - incidence) ~ period + (1|herd)", {
    m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, data = cbpp)
    exercise_methods(m, cbpp[c(1, 10), ])
  })
}

# ---- models without random effects, model components, the further families -----------------
step("no random effects: lm- and glm-like fits", {
  m <- glmm(y ~ x1, data = chapter)
  stopifnot(isTRUE(all.equal(as.numeric(logLik(m)), as.numeric(logLik(lm(y ~ x1, data = chapter))))))
  predict(m, newdata = chapter_new, se.fit = TRUE); simulate(m, nsim = 1, seed = 1); vcov(m)
  m <- glmm(count ~ x, family = poisson, data = glmm_sim)
  stopifnot(isTRUE(all.equal(as.numeric(logLik(m)), as.numeric(logLik(glm(count ~ x, poisson, glmm_sim))), tolerance = 1e-6)))
  predict(m, newdata = glmm_new, type = "response"); simulate(m, nsim = 1, seed = 1); confint(m)
})
salamanders <- fixture_data("Salamanders")
step("Salamanders: zinb2, zi = ~ spp + mined", {
  m <- glmm(count ~ spp + mined + (1 | site), ziformula = ~ spp + mined, family = nbinom2, data = salamanders)
  stopifnot(is.finite(logLik(m)))
  invisible(capture.output(print(summary(m)), print(fixef(m)), print(VarCorr(m)), print(ranef(m))))
  for (type in c("response", "conditional", "zprob", "zlink", "link")) stopifnot(all(is.finite(predict(m, type = type))))
  predict(m, newdata = salamanders[1:5, ], type = "response"); simulate(m, nsim = 1, seed = 1); confint(m)
})
if (!quick) {
  step("Salamanders: zi with a random effect, hurdles, dispformula, genpois", {
    m <- glmm(count ~ mined + (1 | site), ziformula = ~ mined + (1 | site), family = poisson, data = salamanders)
    invisible(capture.output(print(summary(m)), print(ranef(m))))
    predict(m, type = "response"); simulate(m, nsim = 1, seed = 1)
    m <- glmm(count ~ spp + mined + (1 | site), ziformula = ~ spp + mined, family = truncated_nbinom2, data = salamanders)
    predict(m, type = "response"); simulate(m, nsim = 1, seed = 1)
    m <- glmm(count ~ spp + mined + (1 | site), ziformula = ~ mined, family = truncated_poisson, data = salamanders)
    m <- glmm(count ~ spp + mined + (1 | site), dispformula = ~ spp, family = nbinom2, data = salamanders)
    predict(m, type = "disp"); confint(m)
    m <- glmm(count ~ mined + (1 | site), ziformula = ~1, family = genpois, data = salamanders)
    m <- glmm(Reaction ~ Days + (1 | Subject), dispformula = ~ Days, data = sleepstudy)
    stopifnot(is.finite(logLik(m)))
  })
  step("further families: betabinomial, beta, tweedie, t, lognormal", {
    m <- glmm(cbind(incidence, size - incidence) ~ period + (1 | herd), family = betabinomial, data = cbpp)
    d <- glmm_sim; d$prop <- plogis(-0.3 + 1.2 * d$x + rnorm(nrow(d), 0, 0.5))
    m <- glmm(prop ~ x + (1 | g), family = beta_family(), data = d); simulate(m, nsim = 1, seed = 1)
    d$pos0 <- ifelse(d$count == 0, 0, d$positive)
    m <- glmm(pos0 ~ x + (1 | g), family = tweedie(), data = d); simulate(m, nsim = 1, seed = 1)
    m <- glmm(positive ~ x + (1 | g), family = t_family(), data = d)
    m <- glmm(positive ~ x + (1 | g), family = lognormal(), data = d)
    stopifnot(is.finite(logLik(m)))
  })
}

# ---- bad input: each must be a clear R error, never a crash ----------------------------------
bad <- chapter
expect_r_error("missing variable", glmm(y ~ nosuch + (1 | groupID), data = chapter))
expect_r_error("ziformula with a response", glmm(count ~ mined + (1 | site), ziformula = count ~ 1, family = poisson, data = salamanders))
expect_r_error("zeros for a truncated family", glmm(count ~ mined + (1 | site), family = truncated_poisson, data = salamanders))
expect_r_error("unknown family", glmm(y ~ x1 + (1 | groupID), data = chapter, family = "weibull"))
expect_r_error("negative weights", glmm(y ~ x1 + (1 | groupID), data = chapter, weights = rep(-1, 200)))
expect_r_error("weights of the wrong length", glmm(y ~ x1 + (1 | groupID), data = chapter, weights = 1:3))
expect_r_error("offset of the wrong length", glmm(y ~ x1 + (1 | groupID), data = chapter, offset = 1:3))
expect_r_error("empty data", glmm(y ~ x1 + (1 | groupID), data = chapter[0, ]))
expect_r_error("Inf in a predictor", { bad$x1[3] <- Inf; glmm(y ~ x1 + (1 | groupID), data = bad) })
expect_r_error("poisson with negative counts", glmm(I(-count) ~ x + (1 | g), family = poisson, data = glmm_sim))
expect_r_error("binomial response of 2", glmm(I(success + 1) ~ x + (1 | g), family = binomial, data = glmm_sim))
expect_r_error("Gamma with a zero response", glmm(I(positive * 0) ~ x + (1 | g), family = Gamma, data = glmm_sim))
expect_r_error("start theta of the wrong length",
               glmm(y ~ x1 + (1 | groupID), data = chapter, start = list(theta = c(1, 2, 3))))
expect_r_error("predict: new level without allow.new.levels",
               predict(glmm(y ~ x1 + (1 | groupID), data = chapter), newdata = chapter_new))

# ---- awkward input: an R error or a sound fit ------------------------------------------------
if (!quick) {
  tiny <- chapter[c(1, 2, 21, 22, 41), ]
  expect_error_or_finite("tiny data (5 rows)", glmm(y ~ x1 + (1 | groupID), data = droplevels(tiny)))
  expect_error_or_finite("one-level grouping factor", glmm(y ~ x1 + (1 | groupID), data = droplevels(chapter[1:20, ])))
  expect_error_or_finite("as many levels as rows", glmm(y ~ x1 + (1 | id), data = transform(chapter, id = factor(seq_len(200)))))
  expect_error_or_finite("constant response", glmm(rep(3, 200) ~ x1 + (1 | groupID), data = chapter))
  expect_error_or_finite("rank-deficient predictors", glmm(y ~ x1 + I(2 * x1) + (1 | groupID), data = chapter))
  expect_error_or_finite("hugely scaled predictor", glmm(y ~ I(x1 * 1e8) + (1 | groupID), data = chapter))
  expect_error_or_finite("NA in the grouping factor", { bad <- chapter; bad$groupID[5] <- NA; glmm(y ~ x1 + (1 | groupID), data = bad) })
  expect_error_or_finite("numeric grouping variable", glmm(y ~ x1 + (1 | gnum), data = transform(chapter, gnum = as.integer(groupID))))
  expect_error_or_finite("poisson, all zero counts", glmm(I(0 * count) ~ x + (1 | g), family = poisson, data = glmm_sim))
  expect_error_or_finite("binomial, complete separation", glmm(I(x > 0.5) ~ x + (1 | g), family = binomial, data = glmm_sim))
  expect_error_or_finite("poisson at extreme eta", glmm(count ~ I(x * 50) + (1 | g), family = poisson, data = glmm_sim))
  expect_error_or_finite("singular: (x|g) on intercept-only data", glmm(y ~ x1 + (x1 | groupID), data = chapter))
}

cat(sprintf("\n%d steps in %.1f s\n", steps_run, proc.time()[["elapsed"]] - t_start))
if (length(notes)) cat(paste0("note: ", notes, "\n"), sep = "")
cat("SANITIZE RUN COMPLETED\n")
