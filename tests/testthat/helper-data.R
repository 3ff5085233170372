# helper-data.R: the data sets of the tests. The course chapter's data sets come from glmmlab itself
# (data(blossoms), data(Eulaema)); data sets borrowed from lme4 and glmmTMB from the stored
# fixtures (fixture_data()); the rest are simulated here. None needs anything beyond glmmlab.

# The chapter's simulated data (set.seed(145)), leaving the caller's random stream untouched.
chapter_sim_data <- function() {
  old_seed <- if (exists(".Random.seed", envir = globalenv())) get(".Random.seed", envir = globalenv())
  on.exit(if (is.null(old_seed)) rm(".Random.seed", envir = globalenv())
          else assign(".Random.seed", old_seed, envir = globalenv()))
  set.seed(145)
  x1 <- rnorm(200, 10, 2)
  groupmeans <- rep(rnorm(10, 20, 4), each = 20)
  groupID <- as.factor(rep(paste0("Group", 1:10), each = 20))
  y <- 2 + 1.5 * x1 + groupmeans + rnorm(200, 0, 2)
  data.frame(y, x1, groupID)
}

# The course's blossoms data (shipped as data(blossoms)) with the chapter's conversions: pop a
# factor, patch a factor unique within pop.
blossoms_data <- function() {
  dat <- glmmlab::blossoms
  dat$pop <- as.factor(dat$pop)
  dat$patch <- as.factor(paste(dat$pop, dat$patch, "_"))
  dat
}

# The course's Eulaema bee counts (shipped as data(Eulaema), UTF-8) with study area SA as a factor.
eulaema_data <- function() {
  dat <- glmmlab::Eulaema
  dat$SA <- as.factor(dat$SA)
  dat
}

# Poisson counts with correlated random intercepts and slopes in 12 groups (120 rows): glmmTMB
# gives logLik -186.9755 for cnt ~ x + (x | g); L-BFGS's first step from the default start puts
# the slope's diagonal element on its bound 0 (a saddle there).
slope_counts_data <- function() {
  withr::with_seed(2, {
    d <- data.frame(x = rnorm(120), g = factor(rep(1:12, each = 10)))
    b0 <- rnorm(12)
    b1 <- rnorm(12, sd = 0.5)
    d$cnt <- rpois(120, exp(0.5 + 0.3 * d$x + 0.3 * b0[d$g] + 0.2 * b1[d$g] * d$x))
    d
  })
}

# 80 rows in 8 groups with a gaussian, a count, a 0/1 and a positive response (the bad-input tests).
bad_input_data <- function() {
  withr::with_seed(11, {
    n <- 80
    g <- factor(rep(letters[1:8], each = 10))
    x <- rnorm(n)
    b <- rnorm(8, sd = 0.7)[g]
    data.frame(y = 1 + 0.5 * x + b + rnorm(n, sd = 0.5), x = x, g = g, h = factor(rep(c("p", "q", "r", "s"), 20)),
               cnt = rpois(n, exp(0.5 + 0.3 * x + b)), bin = rbinom(n, 1, plogis(0.5 * x + b)),
               pos = rgamma(n, shape = 2, rate = 2 / exp(0.3 * x + 0.5 * b)), z = runif(n))
  })
}

# A data set borrowed from another package (lme4, glmmTMB), read from the stored fixture
# tests/testthat/fixtures/<name>.rds (tests/references/make_fixtures.R writes them), so that
# tests run without that package.
fixture_data <- function(name) {
  path <- testthat::test_path("fixtures", paste0(name, ".rds"))
  if (!file.exists(path)) stop("no fixture ", sQuote(name, FALSE), ": add it to tests/references/make_fixtures.R")
  d <- readRDS(path)
  attr(d, "source") <- NULL
  d
}

# Crossed counts or 0/1 responses: rows_per_a rows for each of n_a levels of a, each row with a
# level of b (n_b levels) drawn at random and, when n_c > 0, a level of c; y ~ x + the levels'
# effects (SDs 0.5, 0.3, 0.2) on the log (poisson) or logit (binomial) scale. With few levels of
# b (and c) the levels of a fill much of the rest of the blocked factor (its dense mode).
# tests/references/refs_dense.R fits the same data with glmmTMB.
crossed_counts_data <- function(n_a, n_b, rows_per_a, seed, family = "poisson", n_c = 0L) {
  withr::with_seed(seed, {
    a <- rep(seq_len(n_a), each = rows_per_a)
    n <- length(a)
    b <- sample.int(n_b, n, replace = TRUE)
    c_level <- if (n_c > 0L) sample.int(n_c, n, replace = TRUE) else rep(1L, n)
    x <- rnorm(n)
    eta <- 0.2 + 0.3 * x + rnorm(n_a, 0, 0.5)[a] + rnorm(n_b, 0, 0.3)[b] + if (n_c > 0L) rnorm(n_c, 0, 0.2)[c_level] else 0
    y <- if (family == "poisson") rpois(n, exp(eta)) else rbinom(n, 1, plogis(eta))
    d <- data.frame(y, x, a = factor(a), b = factor(b))
    if (n_c > 0L) d$c <- factor(c_level)
    d
  })
}

# InstEval-shaped ratings: n_s students with per_s ratings each of n_d lecturers drawn at random,
# lecturer d in department (d - 1) %% n_dept + 1; a Gaussian or a Poisson response. With many
# lecturers the blocked factor's rest (lecturers and departments) is sparse, with supernodes.
sparse_rest_data <- function(n_s, per_s, n_d, n_dept, seed, family = "gaussian") {
  withr::with_seed(seed, {
    s <- rep(seq_len(n_s), each = per_s)
    n <- length(s)
    d <- sample.int(n_d, n, replace = TRUE)
    dept <- (d - 1L) %% n_dept + 1L
    x <- rnorm(n)
    eta <- 0.3 * x + rnorm(n_s, 0, 0.5)[s] + rnorm(n_d, 0, 0.4)[d] + rnorm(n_dept, 0, 0.2)[dept]
    y <- if (family == "poisson") rpois(n, exp(0.5 + eta)) else 3 + eta + rnorm(n, 0, 0.8)
    data.frame(y, x, s = factor(s), d = factor(d), dept = factor(dept))
  })
}
