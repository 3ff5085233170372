# refs_dense.R: glmmTMB's fits of crossed GLMMs for test-dense_lead.R: two whose leading term's
# levels fill the rest of the blocked factor (its dense mode: two crossed terms, and three with a
# dense rest of two small terms), and two of 12,000 rows (the start's Newton step for the fixed
# effects on large models), one with a sparse rest, and a linear mixed model on the dense mode. logLik, fixed effects, their covariance and
# the random-effect SDs. The data come from crossed_counts_data() in tests/testthat/helper-data.R.
library(glmmTMB)
source(file.path("tests", "testthat", "helper-data.R"))

# The numbers a test compares for one glmmTMB fit.
summarize <- function(f) {
  vc <- VarCorr(f)$cond
  list(logLik = as.numeric(logLik(f)), beta = fixef(f)$cond, vcov = unclass(vcov(f)$cond),
       sd = vapply(vc, function(v) attr(v, "stddev")[[1L]], numeric(1)))
}

refs <- list()
d <- crossed_counts_data(200, 30, 40, seed = 1601)
refs$poisson_dense <- summarize(glmmTMB(y ~ x + (1 | a) + (1 | b), family = poisson, data = d))
d <- crossed_counts_data(250, 20, 30, seed = 1602, family = "binomial", n_c = 6)
refs$binomial_three <- summarize(glmmTMB(y ~ x + (1 | a) + (1 | b) + (1 | c), family = binomial, data = d))
d <- crossed_counts_data(300, 40, 40, seed = 1603)
refs$poisson_large <- summarize(glmmTMB(y ~ x + (1 | a) + (1 | b), family = poisson, data = d))
d <- crossed_counts_data(400, 300, 30, seed = 1604, family = "binomial")
refs$binomial_large <- summarize(glmmTMB(y ~ x + (1 | a) + (1 | b), family = binomial, data = d))
# a linear mixed model on the dense mode (the LMM core shares the factor)
d <- crossed_counts_data(200, 30, 40, seed = 1601)
refs$gaussian_dense <- summarize(glmmTMB(log1p(y) ~ x + (1 | a) + (1 | b), data = d))
write_references(refs, "dense", "glmmTMB")
