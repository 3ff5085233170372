# refs_infer_sandwich.R: cluster scores and sandwich covariances as glmmTMB (1.1.12 and later)
# computes them: estfun() is minus the gradient of the negative log-likelihood with every
# observation outside the cluster given weight 0 (glmmTMB's estfun.glmmTMB), here computed with
# glmmTMB 1.1.5's TMB object in the same way; meat = crossprod(scores), sandwich = V meat V with
# V = vcov(full = TRUE). Also the randomized quantile residuals of glmmTMB's dunnsmyth_resids()
# (1.1.10 and later: qnorm(runif(n, F(y - 1), F(y))) with one runif() call), applied to glmmTMB
# 1.1.5's fitted means, with a fixed seed. Topic "infer_sandwich".
suppressPackageStartupMessages(library(glmmTMB))

cluster_scores <- function(m, cluster) {
  obj <- m$obj
  w0 <- obj$env$data$weights
  par <- m$fit$par
  on.exit({ obj$env$data$weights <- w0; obj$retape(set.defaults = FALSE); obj$fn(par) })
  rows <- lapply(levels(cluster), function(l) {
    obj$env$data$weights <- ifelse(cluster == l, w0, 0)
    obj$retape(set.defaults = FALSE)
    c(nll = obj$fn(par), -obj$gr(par))
  })
  out <- do.call(rbind, rows)
  colnames(out) <- c("nll", rownames(vcov(m, full = TRUE)))
  rownames(out) <- levels(cluster)
  out
}
sandwich_of <- function(m, cluster) {
  s <- cluster_scores(m, cluster)
  V <- vcov(m, full = TRUE)
  meat <- crossprod(s[, -1])
  list(scores = s[, -1], nll_sum = sum(s[, 1]), meat = meat, sandwich = V %*% meat %*% V)
}
refs <- list()

cbpp <- fixture("cbpp")
m <- glmmTMB(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
refs$cbpp <- sandwich_of(m, cbpp$herd)
sleep <- fixture("sleepstudy")
m <- glmmTMB(Reaction ~ Days + (Days | Subject), sleep)
refs$sleep_ml <- sandwich_of(m, sleep$Subject)
sal <- fixture("Salamanders")
m <- glmmTMB(count ~ mined + (1 | site), sal, family = nbinom2)
# the residuals first: glmmTMB 1.1.5's TMB object keeps the modes of the last cluster after the
# scores (the bug glmmTMB 1.1.15 fixed), which predict() would then use
quantile_resid <- {
  mu <- predict(m, type = "response")
  set.seed(11)
  a <- pnbinom(sal$count - 1, mu = mu, size = sigma(m))
  b <- pnbinom(sal$count, mu = mu, size = sigma(m))
  r <- qnorm(runif(length(mu), a, b))
  r[is.infinite(r) | is.nan(r)] <- 0   # as dunnsmyth_resids()
  r
}
refs$salamanders_nb2 <- c(sandwich_of(m, sal$site), list(quantile_resid = quantile_resid))
m <- glmmTMB(count ~ mined + (1 | site), sal, family = poisson)
refs$salamanders_pois <- list(quantile_resid = {
  mu <- predict(m, type = "response")
  set.seed(12)
  r <- qnorm(runif(length(mu), ppois(sal$count - 1, mu), ppois(sal$count, mu)))
  r[is.infinite(r) | is.nan(r)] <- 0
  r
})
write_references(refs, "infer_sandwich", c("glmmTMB", "TMB"))
