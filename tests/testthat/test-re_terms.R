# Random-effect terms (R/re_terms.R): grouping factors, term model matrices, checks, and the
# theta <-> relative covariance factor mapping.

# Random-effect terms of `formula` in `dat`, built as glmm() builds them.
re_terms_for <- function(formula, dat, gaussian_family = TRUE) {
  mf <- model.frame(glmmlab:::frame_formula(formula), dat)
  attr(mf, "formula") <- formula
  glmmlab:::build_re_terms(formula, mf, gaussian_family)
}

nested_data <- function() {
  data.frame(y = seq(0.5, 12, by = 0.5), x = rep(c(-1, 0, 1), 8),
             pop = rep(c("P1", "P2"), each = 12), patch = rep(c("a", "b", "c"), each = 4, times = 2),
             k = rep(c(3, 1, 2), 8))
}

test_that("a (1 | g) term: zero-based codes, levels, one intercept column", {
  dat <- nested_data()
  re <- re_terms_for(y ~ (1 | pop), dat)
  expect_length(re, 1L)
  t1 <- re[[1L]]
  expect_equal(t1$group, "pop")
  expect_equal(t1$nlev, 2L)
  expect_equal(t1$levels, c("P1", "P2"))
  expect_equal(t1$codes, rep(0:1, each = 12))
  expect_equal(t1$cnms, "(Intercept)")
  expect_equal(dim(t1$Xt), c(24L, 1L))
})

test_that("nested and interaction grouping factors are labelled inner:outer and have one level per combination", {
  dat <- nested_data()
  re <- re_terms_for(y ~ (1 | pop / patch), dat)
  expect_equal(vapply(re, `[[`, "", "group"), c("patch:pop", "pop"))
  expect_equal(re[[1L]]$nlev, 6L)
  expect_true(all(grepl("^[abc]:P[12]$", re[[1L]]$levels)))
  re2 <- re_terms_for(y ~ (1 | patch:pop), dat)
  expect_equal(re2[[1L]]$group, "patch:pop")
  expect_equal(re2[[1L]]$codes, re[[1L]]$codes)
  # numeric grouping variables become factors with their values as levels
  re3 <- re_terms_for(y ~ (1 | k), dat)
  expect_equal(re3[[1L]]$levels, c("1", "2", "3"))
})

test_that("slopes, uncorrelated terms and factor slopes give the expected columns", {
  dat <- nested_data()
  expect_equal(re_terms_for(y ~ (x | pop), dat)[[1L]]$cnms, c("(Intercept)", "x"))
  expect_equal(re_terms_for(y ~ (0 + x | pop), dat)[[1L]]$cnms, "x")
  re <- re_terms_for(y ~ (x || pop), dat)   # one diagonal term; the core fits one scalar term per column
  expect_equal(lapply(re, `[[`, "cnms"), list(c("(Intercept)", "x")))
  expect_equal(re[[1L]]$structure, "diag")
  expect_equal(lapply(glmmlab:::core_terms(re), `[[`, "cnms"), list("(Intercept)", "x"))
  expect_equal(glmmlab:::theta_lengths(re), 2)
  expect_equal(glmmlab:::theta_to_factors(c(2, 3), re)[[1L]], diag(c(2, 3)))
  expect_equal(re_terms_for(y ~ (0 + patch | pop), dat)[[1L]]$cnms, c("patcha", "patchb", "patchc"))
})

test_that("bad grouping factors and columns are errors naming the term", {
  dat <- nested_data()
  expect_equal(re_terms_for(y ~ (1 | one), transform(dat, one = "z"))[[1L]]$nlev, 1L)   # kept: its variance is estimated as 0
  expect_error(re_terms_for(y ~ (1 | id), transform(dat, id = seq_len(24))), "'id' has 24 levels for 24 observations")
  expect_length(re_terms_for(y ~ (1 | id), transform(dat, id = seq_len(24)), gaussian_family = FALSE), 1L)
  expect_error(re_terms_for(y ~ (x | patch:pop), dat[c(1, 2, 5, 6, 9, 10), ]), "'patch:pop' has 3 levels x 2 random effects per level")
  expect_error(re_terms_for(y ~ (0 + x | pop), transform(dat, x = x * 1e120)), "random-effect column 'x' of the term for 'pop'")
  expect_error(re_terms_for(y ~ (0 + x | pop), transform(dat, x = replace(x, 2, Inf))), "column 'x'.*'pop'.*non-finite")
})

test_that("theta_start is the identity factor of each term, theta_lengths its size", {
  dat <- nested_data()
  re <- re_terms_for(y ~ (x | pop) + (1 | patch:pop), dat)
  expect_equal(glmmlab:::theta_lengths(re), c(3, 1))
  expect_equal(glmmlab:::theta_start(re), c(1, 0, 1, 1))
  re3 <- re_terms_for(y ~ (0 + patch | pop), rbind(dat, dat, dat))
  expect_equal(glmmlab:::theta_start(re3), c(1, 0, 0, 1, 0, 1))
})

test_that("theta_to_factors fills each lower triangle column by column, and round-trips", {
  dat <- nested_data()
  re <- re_terms_for(y ~ (x | pop) + (1 | patch:pop), dat)
  theta <- c(2, -0.5, 0.75, 1.5)
  factors <- glmmlab:::theta_to_factors(theta, re)
  expect_equal(factors[[1L]], matrix(c(2, -0.5, 0, 0.75), 2, 2))
  expect_equal(factors[[2L]], matrix(1.5, 1, 1))
  back <- unlist(lapply(factors, function(Ti) Ti[lower.tri(Ti, diag = TRUE)]))
  expect_equal(back, theta)
  start_factors <- glmmlab:::theta_to_factors(glmmlab:::theta_start(re), re)
  expect_equal(start_factors[[1L]], diag(2))
})
