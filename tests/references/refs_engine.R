# refs_engine.R: glmmTMB's REML fits of GLMMs (the fixed effects integrated out with the random
# effects in the Laplace approximation), for test-reml_glmm.R: logLik, fixed effects, their
# covariance, variance parameters and dispersion. The chapter's Poisson bee model reads the
# shared Eulaema.csv (../shared/datasets beside the repository, or $GLMMLAB_SHARED).
library(glmmTMB)

# The shared data set `name`, or NULL when not found.
shared <- function(name) {
  roots <- c(file.path("..", "shared"), Sys.getenv("GLMMLAB_SHARED"))
  roots <- roots[nzchar(roots)]
  candidates <- c(file.path(roots, "datasets", name), file.path(roots, name))
  found <- candidates[file.exists(candidates)]
  if (length(found)) found[[1L]]
}

# The numbers a test compares for one glmmTMB fit.
summarize <- function(f) {
  vc <- VarCorr(f)$cond
  list(logLik = as.numeric(logLik(f)), df = attr(logLik(f), "df"), beta = fixef(f)$cond, vcov = unclass(vcov(f)$cond),
       sd = unname(vapply(vc, function(v) attr(v, "stddev")[1L], numeric(1))), sigma = sigma(f))
}

refs <- list()
cbpp <- fixture("cbpp")
refs$cbpp_reml <- summarize(glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp,
                                   family = binomial, REML = TRUE))
# the chapter's Poisson bee model
path <- shared("Eulaema.csv")
if (!is.null(path)) {
  bees <- read.csv(path, fileEncoding = "latin1")
  bees$SA <- as.factor(bees$SA)
  refs$eulaema_poisson_reml <- summarize(glmmTMB(Eulaema_nigrita ~ forest. + (1 | SA), family = poisson, data = bees, REML = TRUE))
  refs$eulaema_nbinom2_reml <- summarize(glmmTMB(Eulaema_nigrita ~ MAP + (1 | SA), family = nbinom2, data = bees, REML = TRUE))
}
# a Gamma model (log link) on simulated data, and the same data's ML fit
set.seed(11)
g <- factor(rep(1:12, each = 8))
x <- rnorm(96)
y <- rgamma(96, shape = 4, rate = 4 / exp(0.5 + 0.3 * x + rnorm(12, 0, 0.4)[g]))
gam <- data.frame(y, x, g)
refs$gamma_data <- gam
refs$gamma_reml <- summarize(glmmTMB(y ~ x + (1 | g), family = Gamma(link = "log"), data = gam, REML = TRUE))
refs$gamma_ml <- summarize(glmmTMB(y ~ x + (1 | g), family = Gamma(link = "log"), data = gam))
# a gaussian model with a log link (GLMM core) and sleepstudy's REML LMM through the GLMM path
ss <- fixture("sleepstudy")
refs$sleep_reml <- summarize(glmmTMB(Reaction ~ Days + (Days | Subject), data = ss, REML = TRUE))
write_references(refs, "engine", "glmmTMB")
