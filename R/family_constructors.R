# family_constructors.R: glmmlab's constructors of the families that 'glmmTMB' adds to stats'
# (same names, arguments, family$family names and variance functions), and the functions of
# the fitted distributions that methods need: the mean of a truncated family, random draws.

#' Families for proportions: beta and beta-binomial
#'
#' `beta_family()`: continuous proportions strictly between 0 and 1, with mean \eqn{\mu} and
#' precision \eqn{\phi} (`sigma()` of a fit): \eqn{y \sim \mathrm{Beta}(\mu\phi, (1-\mu)\phi)},
#' so \eqn{\mathrm{Var}(y) = \mu(1-\mu)/(1+\phi)} (Ferrari & Cribari-Neto 2004, as 'glmmTMB' and
#' 'betareg'). `betabinomial()`: counts of successes out of \eqn{n} trials whose success
#' probability varies as \eqn{\mathrm{Beta}(\mu\phi, (1-\mu)\phi)}, so
#' \eqn{\mathrm{Var}(y) = n\mu(1-\mu)(1 + (n-1)/(\phi+1))}; the response is given as for
#' `binomial()`: `cbind(successes, failures)`, or proportions with the numbers of trials as
#' `weights`, or 0/1. Both report \eqn{\phi} as "Dispersion parameter for ... family ()" and
#' have a logit link by default, as in 'glmmTMB'; their `variance` is glmmTMB's
#' \eqn{\mu(1-\mu)} (the one its Pearson residuals use). Families can also be given by name:
#' `family = "beta_family"` or `"betabinomial"`.
#'
#' @param link the link function for the mean: `"logit"` (the default), `"probit"` or `"cloglog"`.
#' @return A family object of class `"family"`.
#' @references Ferrari S. L. P. & Cribari-Neto F. (2004) Beta regression for modelling rates and
#'   proportions. Journal of Applied Statistics 31: 799-815.
#' @seealso [glmm()], [sigma.glmmlab()]
#' @examples
#' beta_family()$variance(0.3)
#' set.seed(1)
#' d <- data.frame(g = factor(rep(1:10, each = 10)), x = rnorm(100))
#' mu <- plogis(-0.5 + 0.8 * d$x + rnorm(10, sd = 0.4)[d$g])
#' d$y <- rbeta(100, mu * 8, (1 - mu) * 8)
#' m <- glmm(y ~ x + (1 | g), data = d, family = beta_family())
#' sigma(m)   # the precision phi
#' d$k <- rbinom(100, 12, rbeta(100, mu * 5, (1 - mu) * 5))
#' m2 <- glmm(cbind(k, 12 - k) ~ x + (1 | g), data = d, family = betabinomial())
#' summary(m2)
#' @export
beta_family <- function(link = "logit") {
  make_glmmlab_family("beta", link, function(mu) mu * (1 - mu))
}

#' @rdname beta_family
#' @export
betabinomial <- function(link = "logit") {
  make_glmmlab_family("betabinomial", link, function(mu, phi) mu * (1 - mu))
}

#' Families for counts: generalized Poisson and zero-truncated counts
#'
#' `genpois()`: the generalized Poisson distribution as 'glmmTMB' defines it, with mean
#' \eqn{\mu} and variance \eqn{\phi\mu} (\eqn{\phi > 1} overdispersed, \eqn{\phi < 1}
#' underdispersed; `sigma()` of a fit is \eqn{\phi}). With \eqn{\phi < 1} the distribution has
#' an upper bound on its counts, which must lie above every observed count.
#'
#' `truncated_poisson()`, `truncated_nbinom1()` and `truncated_nbinom2()`: counts of 1 or more,
#' from the Poisson, nbinom1 or nbinom2 distribution conditioned on a positive count. As in
#' 'glmmTMB', \eqn{\mu} (the linear predictor's inverse link) is the mean of the untruncated
#' distribution, the dispersion is that of the untruncated family (see [nbinom2()]), and
#' `predict(type = "response")` and `fitted()` give the mean of the truncated distribution,
#' \eqn{\mu / (1 - P(0))}. With zero-inflation (a future `ziformula`) they make hurdle models;
#' without it a zero count is an error. Their `variance` functions give the variance of the
#' truncated distribution from the untruncated mean (glmmTMB's formula; Pearson residuals pass
#' the untruncated mean, where 'glmmTMB' 1.1.5 passes the truncated one).
#'
#' All four have a log link by default, and can be given by name (`family = "genpois"`).
#'
#' @param link the link function for the mean: `"log"` (the default), `"sqrt"` or `"identity"`.
#' @return A family object of class `"family"`.
#' @seealso [nbinom2()] for the untruncated negative binomials, [glmm()].
#' @examples
#' genpois()$variance(2, phi = 3)
#' truncated_poisson()$variance(2)
#' set.seed(2)
#' d <- data.frame(g = factor(rep(1:8, each = 15)), x = rnorm(120))
#' d$y <- rpois(120, exp(0.5 + 0.4 * d$x + rnorm(8, sd = 0.3)[d$g]))
#' m <- glmm(y ~ x + (1 | g), data = d, family = genpois())
#' sigma(m)
#' pos <- subset(d, y > 0)
#' m0 <- glmm(y ~ x + (1 | g), data = pos, family = truncated_poisson())
#' head(predict(m0, type = "response"))   # truncated means
#' @export
genpois <- function(link = "log") {
  make_glmmlab_family("genpois", link, function(mu, phi) mu * phi)
}

#' @rdname genpois
#' @export
truncated_poisson <- function(link = "log") {
  make_glmmlab_family("truncated_poisson", link, function(lambda) {
    E <- -expm1(-lambda)
    ratio <- lambda / E
    ratio * ifelse(lambda < 1e-3, lambda * (0.5 - lambda * (1 / 12 - lambda^2 / 720)), 1 - lambda / expm1(lambda))
  })
}

#' @rdname genpois
#' @export
truncated_nbinom1 <- function(link = "log") {
  make_glmmlab_family("truncated_nbinom1", link, function(mu, alpha) {
    m <- mu / alpha * log1p(alpha)   # -log P(0)
    ratio <- mu / -expm1(-m)
    ratio * (1 + alpha - ratio * exp(-m))
  })
}

#' @rdname genpois
#' @export
truncated_nbinom2 <- function(link = "log") {
  make_glmmlab_family("truncated_nbinom2", link, function(mu, theta) {
    m <- theta * log1p(mu / theta)   # -log P(0)
    ratio <- mu / -expm1(-m)
    ratio * (1 + mu / theta - ratio * exp(-m))
  })
}

#' Families for continuous responses: Tweedie, Student t, lognormal and ziGamma
#'
#' `tweedie()`: the compound Poisson-gamma distribution with power \eqn{1 < p < 2}, for
#' non-negative responses with exact zeros (biomass, rainfall): variance \eqn{\phi\mu^p}, with
#' \eqn{\phi} from `sigma()` and the power estimated (`family_params()`). `t_family()`: a
#' location-scale Student t, \eqn{y = \mu + \sigma e} with \eqn{e \sim t_\nu}, for responses with
#' heavy tails; \eqn{\sigma} from `sigma()` (printed as "Dispersion estimate for t family
#' (sigma^2)") and the degrees of freedom \eqn{\nu} estimated (`family_params()`), as in 'glmmTMB'.
#' `lognormal()`: \eqn{\log y} normal, parametrized by the mean \eqn{\mu} and standard deviation
#' \eqn{\sigma} (`sigma()`) of \eqn{y} itself, as in 'glmmTMB' (1.1.6 and later): \eqn{\log y
#' \sim N(\log\mu - s^2/2, s^2)} with \eqn{s^2 = \log(1 + \sigma^2/\mu^2)}. `ziGamma()`: the Gamma
#' family of 'glmmTMB' for responses that may be zero once zero-inflation is modelled; without
#' zero-inflation it is `Gamma()` (its `family` is `"Gamma"`, as in 'glmmTMB', with 'glmmTMB''s
#' default inverse link), so zero responses are an error.
#'
#' The shape parameters (Tweedie's power, t's degrees of freedom) are estimated on glmmTMB's
#' scales, \eqn{\psi = \mathrm{logit}(p - 1)} and \eqn{\psi = \log\nu}, as one more parameter after
#' the log dispersion. Their derivative in the gradient of the Laplace approximation is taken by
#' a central difference (two extra evaluations per gradient), where every other parameter's is
#' exact: these two families fit more slowly than the others. A Tweedie power that reaches 1
#' or 2 (a Poisson-like or a Gamma-like response) gives a warning.
#'
#' @param link the link function for the mean: `"log"` for `tweedie()` and `lognormal()`,
#'   `"identity"` for `t_family()`, `"inverse"` for `ziGamma()` (the defaults; others as for
#'   the stats families).
#' @return A family object of class `"family"`.
#' @references Dunn P. K. & Smyth G. K. (2005) Series evaluation of Tweedie exponential
#'   dispersion model densities. Statistics and Computing 15: 267-280.
#' @seealso [family_params()], [sigma.glmmlab()], [glmm()]
#' @examples
#' tweedie()$variance(2, phi = 1.5, power = 1.6)
#' set.seed(3)
#' d <- data.frame(g = factor(rep(1:10, each = 10)), x = rnorm(100))
#' mu <- exp(1 + 0.5 * d$x + rnorm(10, sd = 0.3)[d$g])
#' d$y <- 1 + 0.5 * d$x + rnorm(10, sd = 0.5)[d$g] + 0.6 * rt(100, df = 4)
#' m <- glmm(y ~ x + (1 | g), data = d, family = t_family())
#' sigma(m)
#' family_params(m)
#' d$z <- rlnorm(100, log(mu) - log1p(0.5^2) / 2, sqrt(log1p(0.5^2)))
#' m2 <- glmm(z ~ x + (1 | g), data = d, family = lognormal())
#' sigma(m2)
#' @export
tweedie <- function(link = "log") {
  make_glmmlab_family("tweedie", link, function(mu, phi, power) phi * mu^power)
}

#' @rdname tweedie
#' @export
t_family <- function(link = "identity") {
  make_glmmlab_family("t", link, function(mu, phi) rep(phi, length(mu)))
}

#' @rdname tweedie
#' @export
lognormal <- function(link = "log") {
  make_glmmlab_family("lognormal", link, function(mu, phi) rep(phi^2, length(mu)))
}

#' @rdname tweedie
#' @export
ziGamma <- function(link = "inverse") {
  fam <- stats::Gamma(link = link)
  fam$link <- link
  fam
}

# A family object named `name` (glmmTMB's family$family) with the link's functions and the
# given variance function. The variance function's environment is this call's (unlocked) frame,
# as a closure made here would have: glmmTMB, given this family object, stores its .Theta there.
make_glmmlab_family <- function(name, link, variance) {
  if (!is.character(link) || length(link) != 1L) stop("`link` must be the name of a link, such as \"log\"", call. = FALSE)
  lk <- stats::make.link(link)
  environment(variance) <- environment()
  structure(list(family = name, link = link, linkfun = lk$linkfun, linkinv = lk$linkinv, mu.eta = lk$mu.eta,
                 valideta = lk$valideta, variance = variance, aic = function(...) NA_real_),
            class = "family")
}

#' Shape parameters of a fit's family
#'
#' The extra parameters of the Tweedie family (its power) and of the Student t family (its
#' degrees of freedom), as 'glmmTMB''s `family_params()` reports them; an empty vector for other
#' families.
#'
#' @param object a model fitted by [glmm()].
#' @param ... unused.
#' @return A named numeric vector: `"Tweedie power"` or `"Student-t df"`, or `numeric(0)`.
#' @examples
#' set.seed(4)
#' d <- data.frame(g = factor(rep(1:8, each = 12)), x = rnorm(96))
#' d$y <- 2 + d$x + rnorm(8, sd = 0.5)[d$g] + 0.5 * rt(96, df = 3)
#' m <- glmm(y ~ x + (1 | g), data = d, family = t_family())
#' family_params(m)
#' @export
family_params <- function(object, ...) UseMethod("family_params")

#' @rdname family_params
#' @export
family_params.glmmlab <- function(object, ...) {
  psi <- object$shape
  if (is.null(psi)) return(numeric(0))
  shape_parameter(object$family$family, psi)
}

# A family's shape parameter on the user's scale from glmmTMB's psi: the Tweedie power 1 + plogis(psi),
# the t degrees of freedom exp(psi); named as glmmTMB's family_params().
shape_parameter <- function(family_name, psi) {
  switch(family_name,
    tweedie = c("Tweedie power" = 1 + stats::plogis(psi)),
    t = c("Student-t df" = exp(psi)),
    numeric(0))
}

# The mean of the response at linear predictor eta: the inverse link, except for the truncated
# families, whose mean is mu / (1 - P(0)) for the untruncated mean mu (glmmTMB's response).
response_mean <- function(family, eta, dispersion = NULL) {
  mu <- family$linkinv(eta)
  switch(family$family,
    truncated_poisson = mu / -expm1(-mu),
    truncated_nbinom1 = mu / -expm1(-mu / dispersion * log1p(dispersion)),
    truncated_nbinom2 = mu / -expm1(-dispersion * log1p(mu / dispersion)),
    mu)
}

# d response_mean / d eta: mu.eta, or for the truncated families a central difference.
response_mean_eta <- function(family, eta, dispersion = NULL) {
  if (!startsWith(family$family, "truncated_")) return(family$mu.eta(eta))
  h <- 1e-6 * pmax(1, abs(eta))
  (response_mean(family, eta + h, dispersion) - response_mean(family, eta - h, dispersion)) / (2 * h)
}
