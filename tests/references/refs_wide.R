# refs_wide.R: lme4's and glmmTMB's fits of the models test-dense_kernels.R fits with and without
# the AVX2/FMA dense kernels (src/dense_kernels.h): two LMMs (a dense rest of 80 columns; an
# InstEval-shaped sparse rest with supernodes) by lmer (ML), two Poisson GLMMs (the same shapes)
# by glmmTMB. logLik, fixed effects, their covariance and the random-effect SDs. The data come
# from tests/testthat/helper-data.R.
library(lme4)
library(glmmTMB)
source(file.path("tests", "testthat", "helper-data.R"))

refs <- list()
lmer_summary <- function(f) {
  list(logLik = as.numeric(logLik(f)), beta = fixef(f), vcov = as.matrix(vcov(f)),
       sd = vapply(VarCorr(f), function(v) attr(v, "stddev")[[1L]], numeric(1)))
}
tmb_summary <- function(f) {
  list(logLik = as.numeric(logLik(f)), beta = fixef(f)$cond, vcov = unclass(vcov(f)$cond),
       sd = vapply(VarCorr(f)$cond, function(v) attr(v, "stddev")[[1L]], numeric(1)))
}
d <- crossed_counts_data(150, 80, 20, seed = 1701)
refs$lmm_dense_rest <- lmer_summary(lmer(log1p(y) ~ x + (1 | a) + (1 | b), data = d, REML = FALSE))
d <- sparse_rest_data(600, 12, 500, 12, seed = 1702)
refs$lmm_sparse_rest <- lmer_summary(lmer(y ~ x + (1 | s) + (1 | d) + (1 | dept), data = d, REML = FALSE))
d <- crossed_counts_data(200, 90, 20, seed = 1704)
refs$poisson_dense_rest <- tmb_summary(glmmTMB(y ~ x + (1 | a) + (1 | b), family = poisson, data = d))
d <- sparse_rest_data(600, 12, 500, 12, seed = 1703, family = "poisson")
refs$poisson_sparse_rest <- tmb_summary(glmmTMB(y ~ x + (1 | s) + (1 | d) + (1 | dept), family = poisson, data = d))
write_references(refs, "wide", c("lme4", "glmmTMB"))
