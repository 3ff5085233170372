# glmmTMB's further families as family objects (R/family_constructors.R): the constructors, the
# response checks for each family's support, and the methods of their fits (summary lines,
# family_params(), fitted/predict/residuals, simulate(), r2()/varpart(), confint()).

# Small data sets for the methods (not reference fits: those are in test-fit_families.R).
small_data <- function() {
  withr::with_seed(16, {
    g <- factor(rep(1:8, each = 15))
    x <- round(rnorm(120), 3)
    b <- rnorm(8, sd = 0.4)[g]
    mu01 <- plogis(-0.2 + 0.7 * x + b)
    count <- rpois(120, exp(0.6 + 0.4 * x + b))
    data.frame(g, x, count, prop = rbeta(120, mu01 * 6, (1 - mu01) * 6), k = rbinom(120, 10, rbeta(120, mu01 * 4, (1 - mu01) * 4)),
               cont = 1 + 0.5 * x + b + 0.5 * rt(120, df = 5), pos = rgamma(120, shape = 3, scale = exp(0.5 + 0.3 * x + b) / 3))
  })
}

test_that("the constructors make glmmTMB's family objects: names, default links, variance functions", {
  expect_identical(beta_family()$family, "beta")
  expect_identical(t_family()$family, "t")
  expect_identical(ziGamma()$family, "Gamma")
  expect_identical(ziGamma()$link, "inverse")
  expect_identical(vapply(list(beta_family(), betabinomial(), genpois(), tweedie(), t_family(), lognormal(),
                               truncated_poisson(), truncated_nbinom1(), truncated_nbinom2()), `[[`, "", "link"),
                   c("logit", "logit", "log", "log", "identity", "log", "log", "log", "log"))
  expect_identical(beta_family("probit")$link, "probit")
  expect_equal(genpois()$linkinv(log(3)), 3)
  # glmmTMB stores the fit's dispersion as .Theta in the variance function's environment
  for (fam in list(genpois(), tweedie(), t_family(), lognormal(), truncated_nbinom2(), betabinomial())) {
    expect_silent(assign(".Theta", 2, environment(fam$variance)))
  }
  expect_error(beta_family(link = 3), "name of a link")
})

test_that("families are found by family$family and by constructor name, and unknown names list them", {
  d <- small_data()
  m1 <- glmm(prop ~ x + (1 | g), data = d, family = "beta")
  m2 <- glmm(prop ~ x + (1 | g), data = d, family = "beta_family")
  m3 <- glmm(prop ~ x + (1 | g), data = d, family = beta_family)
  expect_identical(m1$loglik, m2$loglik)
  expect_identical(m1$loglik, m3$loglik)
  expect_error(glmm(prop ~ x + (1 | g), data = d, family = "betta"), "unknown family 'betta'; use .*beta_family.*t_family.*ziGamma")
})

test_that("responses outside a family's support are errors naming the response", {
  d <- small_data()
  d$prop0 <- replace(d$prop, 3, 0)
  expect_error(glmm(prop0 ~ x + (1 | g), data = d, family = beta_family()),
               "response 'prop0' must lie strictly between 0 and 1 for a beta model \\(1 value outside, the first 0\\)")
  d$prop1 <- replace(d$prop, 1:2, 1)
  expect_error(glmm(prop1 ~ x + (1 | g), data = d, family = beta_family()), "'prop1' must lie strictly between 0 and 1.*2 values")
  d$half <- d$count + 0.5
  expect_error(glmm(half ~ x + (1 | g), data = d, family = genpois()), "response 'half' must be whole numbers \\(counts\\) for a genpois model")
  expect_error(glmm(count ~ x + (1 | g), data = d, family = truncated_poisson()),
               "response 'count' contains zeros .* zero-truncated family cannot have.*hurdle")
  expect_error(glmm(half ~ x + (1 | g), data = subset(d, count > 0), family = truncated_nbinom2()), "'half' must be whole numbers")
  d$neg <- d$cont - 10
  expect_error(glmm(neg ~ x + (1 | g), data = d, family = tweedie()), "response 'neg' must be >= 0 for a tweedie model")
  expect_error(glmm(neg ~ x + (1 | g), data = d, family = lognormal()), "response 'neg' must be positive for a lognormal model")
  d$zero <- replace(d$pos, 5, 0)
  expect_error(glmm(zero ~ x + (1 | g), data = d, family = ziGamma(link = "log")), "response 'zero' must be positive for a Gamma model")
  d$kk <- pmin(d$k, 9) + 0.5
  expect_error(glmm(cbind(kk, 10 - kk) ~ x + (1 | g), data = d, family = betabinomial()), "non-integer numbers of successes")
  d$w <- rep(c(1, 2), 60)
  expect_error(glmm(cbind(k, 10 - k) ~ x + (1 | g), data = d, family = betabinomial(), weights = w),
               "`weights` with a cbind\\(\\) response are not supported for the betabinomial family")
  # proportions with the trials as weights are the binomial way, and fit the same model
  a <- glmm(cbind(k, 10 - k) ~ x + (1 | g), data = d, family = betabinomial())
  b <- glmm(k / 10 ~ x + (1 | g), data = d, family = betabinomial(), weights = rep(10, 120))
  expect_equal(a$loglik, b$loglik, tolerance = 1e-10)
  expect_equal(a$beta, b$beta, tolerance = 1e-6)
})

test_that("a Tweedie power at its boundary is a warning that names it", {
  withr::with_seed(7, {
    g <- factor(rep(1:10, each = 30))
    x <- rnorm(300)
    y <- rpois(300, exp(0.5 + 0.3 * x + rnorm(10, sd = 0.3)[g]))
  })
  expect_warning(m <- suppressMessages(glmm(y ~ x + (1 | g), data = NULL, family = tweedie())),
                 "Tweedie power is estimated at its boundary p = 1 .*counts")
  expect_lt(family_params(m) - 1, 1e-3)
})

test_that("summary() and print() show the dispersion as glmmTMB does, and the shape parameter", {
  d <- small_data()
  mt <- glmm(cont ~ x + (1 | g), data = d, family = t_family())
  out <- capture.output(summary(mt))
  expect_true(any(grepl(sprintf("^Dispersion estimate for t family \\(sigma\\^2\\): %s $", formatC(sigma(mt)^2, digits = 3)), out)))
  expect_true(any(grepl("^Student-t df estimate: ", out)))
  expect_named(family_params(mt), "Student-t df")
  expect_true(any(grepl("^Student-t df estimate: ", capture.output(print(mt)))))
  mb <- glmm(prop ~ x + (1 | g), data = d, family = beta_family())
  expect_true(any(grepl(sprintf("^Dispersion parameter for beta family \\(\\): %s $", formatC(sigma(mb), digits = 3)),
                        capture.output(summary(mb)))))
  expect_identical(family_params(mb), numeric(0))
  mp <- glmm(count ~ x + (1 | g), data = subset(d, count > 0), family = truncated_poisson())
  expect_false(any(grepl("Dispersion", capture.output(summary(mp)))))
  expect_identical(sigma(mp), 1)
})

test_that("fitted(), predict() and residuals() use the truncated mean and glmmTMB's variance functions", {
  d <- subset(small_data(), count > 0)
  m <- glmm(count ~ x + (1 | g), data = d, family = truncated_nbinom2())
  mu <- exp(unname(m$eta))
  p0 <- dnbinom(0, size = sigma(m), mu = mu)
  expect_equal(unname(fitted(m)), mu / (1 - p0))
  expect_equal(unname(predict(m, type = "response")), mu / (1 - p0))
  expect_equal(unname(residuals(m)), d$count - mu / (1 - p0))
  v <- truncated_nbinom2()$variance(mu, sigma(m))
  expect_equal(unname(residuals(m, type = "pearson")), (d$count - mu / (1 - p0)) / sqrt(v))
  # the delta method through the truncated mean's derivative
  nd <- data.frame(x = c(-1, 0, 1))
  pr <- predict(m, newdata = nd, re.form = NA, type = "response", se.fit = TRUE)
  eta <- predict(m, newdata = nd, re.form = NA, se.fit = TRUE)
  slope <- vapply(eta$fit, function(e) {
    f <- function(e) { mu <- exp(e); mu / (1 - dnbinom(0, size = sigma(m), mu = mu)) }
    (f(e + 1e-5) - f(e - 1e-5)) / 2e-5
  }, numeric(1))
  expect_equal(unname(pr$se.fit), unname(eta$se.fit * slope), tolerance = 1e-6)
  expect_error(residuals(m, type = "deviance"), "deviance residuals are not available for the truncated_nbinom2 family")
  # genpois: variance phi mu
  mg <- glmm(count ~ x + (1 | g), data = small_data(), family = genpois())
  expect_equal(unname(residuals(mg, type = "pearson")), (mg$y - fitted(mg)) / sqrt(sigma(mg) * fitted(mg)), ignore_attr = TRUE)
})

test_that("simulate() draws from each family's distribution", {
  d <- small_data()
  fits <- list(beta = glmm(prop ~ x + (1 | g), data = d, family = beta_family()),
               betabinomial = glmm(cbind(k, 10 - k) ~ x + (1 | g), data = d, family = betabinomial()),
               genpois = glmm(count ~ x + (1 | g), data = d, family = genpois()),
               tweedie = glmm(pos ~ x + (1 | g), data = d, family = tweedie()),
               t = glmm(cont ~ x + (1 | g), data = d, family = t_family()),
               lognormal = glmm(pos ~ x + (1 | g), data = d, family = lognormal()),
               truncated_poisson = glmm(count ~ x + (1 | g), data = subset(d, count > 0), family = truncated_poisson()),
               truncated_nbinom2 = glmm(count ~ x + (1 | g), data = subset(d, count > 0), family = truncated_nbinom2()),
               truncated_nbinom1 = glmm(count ~ x + (1 | g), data = subset(d, count > 0), family = truncated_nbinom1()))
  for (name in names(fits)) {
    m <- fits[[name]]
    s <- simulate(m, nsim = 300, seed = 1, re.form = NULL)   # given the random effects: mean fitted(m)
    draws <- if (is.matrix(s[[1]])) sapply(s, function(k) k[, 1L] / rowSums(k)) else as.matrix(s)
    expect_true(all(is.finite(draws)), label = paste(name, "finite"))
    if (name == "beta") expect_true(all(draws > 0 & draws < 1))
    if (startsWith(name, "truncated")) expect_true(all(draws >= 1 & draws == round(draws)), label = paste(name, "support"))
    if (name == "genpois") expect_true(all(draws >= 0 & draws == round(draws)))
    if (name == "tweedie") expect_true(any(draws == 0) || all(draws >= 0))
    target <- unname(fitted(m))
    se <- apply(draws, 1L, stats::sd) / sqrt(ncol(draws))
    z <- (rowMeans(draws) - target) / pmax(se, 1e-8)
    expect_lt(mean(abs(z) > 4), 0.01, label = paste(name, "draws' means match the fitted means"))
  }
  # the Pearson variance of a t fit is glmmTMB's phi; the draws' variance is sigma^2 df / (df - 2)
  m <- fits$t
  s <- as.matrix(simulate(m, nsim = 2000, seed = 2, re.form = NULL))
  df <- unname(family_params(m))
  expect_equal(mean(apply(s, 1L, stats::var)), sigma(m)^2 * df / (df - 2), tolerance = 0.1)
})

test_that("r2() is defined for genpois, tweedie, lognormal and t, and an error for beta and the truncated families", {
  d <- small_data()
  for (fam in list(genpois(), tweedie(), lognormal())) {
    resp <- if (fam$family == "genpois") "count" else "pos"
    m <- glmm(stats::as.formula(paste(resp, "~ x + (1 | g)")), data = d, family = fam)
    r <- r2(m)
    expect_true(r$R2_marginal > 0 && r$R2_conditional > r$R2_marginal && r$R2_conditional < 1, label = fam$family)
  }
  mt <- glmm(cont ~ x + (1 | g), data = d, family = t_family())
  df <- unname(family_params(mt))
  expect_equal(r2(mt)$var_distribution, sigma(mt)^2 * df / (df - 2))
  mb <- glmm(prop ~ x + (1 | g), data = d, family = beta_family())
  expect_error(r2(mb), "not defined for the beta family")
  expect_error(varpart(mb), "not defined for the beta family")
  mp <- glmm(count ~ x + (1 | g), data = subset(d, count > 0), family = truncated_poisson())
  expect_error(r2(mp), "not defined for the truncated_poisson family")
})

test_that("confint() and vcov(full = TRUE) cover these families; the shape parameter as glmmTMB", {
  d <- small_data()
  mt <- glmm(cont ~ x + (1 | g), data = d, family = t_family())
  ci <- confint(mt)
  expect_identical(rownames(ci), c("(Intercept)", "x", "Std.Dev.(Intercept)|g"))
  expect_true(all(ci[, 1] < ci[, "Estimate"] & ci[, "Estimate"] < ci[, 2]))
  expect_identical(rownames(confint(mt, full = TRUE))[3], "sigma")
  V <- vcov(mt, full = TRUE)
  expect_identical(unname(rownames(V)), c("(Intercept)", "x", "d~(Intercept)", "theta_1|g.1", "Student-t df"))
  expect_identical(names(rownames(V)), c("cond1", "cond2", "disp", "theta", "psi"))   # glmmTMB 1.1.5's labels
  expect_equal(sqrt(diag(V))[1:2], sqrt(diag(vcov(mt)$cond)), tolerance = 1e-6, ignore_attr = TRUE)
  expect_error(confint(mt, parm = "Student-t df"), "no interval for the t family's shape parameter")
  expect_error(confint(mt, method = "profile"), "likelihood profiles are not available for the t family")
  mb <- glmm(prop ~ x + (1 | g), data = d, family = beta_family())
  expect_identical(dim(confint(mb, parm = ".sigma", method = "profile")), c(1L, 2L))
  skip_if_not_installed("glmmTMB")
  a <- glmmTMB::glmmTMB(cont ~ x + (1 | g), data = d, family = glmmTMB::t_family())
  Va <- stats::vcov(a, full = TRUE)
  expect_equal(unname(sqrt(diag(V))), unname(sqrt(diag(Va))), tolerance = 2e-3)
  expect_equal(unname(predict(mt, se.fit = TRUE)$se.fit), unname(predict(a, se.fit = TRUE)$se.fit), tolerance = 2e-3)
})
