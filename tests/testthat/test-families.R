# The C++ family table (src/families.cpp) against stats::family() objects, R's densities and
# closed forms, over linear predictors out to +-1000: every returned quantity finite wherever the
# mean is in the family's support, and exact where double precision can hold it.
#
# Where we differ from stats' family objects, on purpose: stats clamps its links to keep glm()'s
# IRLS away from the boundary -- logit's linkinv/mu.eta beyond |eta| > 30, probit's beyond
# |eta| > 8.1 (-qnorm(.Machine$double.eps)), cloglog's and log's linkinv to
# [.Machine$double.eps, 1 - .Machine$double.eps] and mu.eta to >= .Machine$double.eps. The core
# needs the exact tails (a zero count with a tiny exposure has mu = 1e-130), so we compare with
# stats only where stats does not clamp, and with the exact functions (plogis(), pnorm(),
# -expm1(-exp(eta)), exp(eta)) everywhere. Our own caps: exp(eta) for eta > 700 is exp(700) (the
# log and cloglog links, and nbinom1's size mu / phi), and quantities beyond the double range
# (e.g. a Gamma(log) y / mu at eta = -1000) saturate at .Machine$double.xmax.

# The family and link codes of the C++ core.
family_codes_of <- function(family, link) {
  tab <- cpp_family_table()
  c(match(family, tab$family), match(link, tab$link)) - 1L
}

# cpp_family_eval() at eta (y and w recycled): columns loglik, grad, info, mu, mu.eta, variance, irls.
family_eval <- function(family, link, y, eta, phi, w = 1) {
  code <- family_codes_of(family, link)
  n <- length(eta)
  out <- cpp_family_eval(code[1], code[2], rep_len(as.numeric(y), n), eta, rep_len(as.numeric(w), n), phi)
  colnames(out) <- c("loglik", "grad", "info", "mu", "mu.eta", "variance", "irls")
  out
}

# cpp_family_derivs() at eta: columns grad, info, dinfo, dphi, dgrad_phi, dinfo_phi.
family_derivs <- function(family, link, y, eta, phi, w = 1) {
  code <- family_codes_of(family, link)
  n <- length(eta)
  out <- cpp_family_derivs(code[1], code[2], rep_len(as.numeric(y), n), eta, rep_len(as.numeric(w), n), phi)
  colnames(out) <- c("grad", "info", "dinfo", "dphi", "dgrad_phi", "dinfo_phi")
  out
}

# The links each family takes in stats (glmmTMB for the negative binomials).
family_links <- list(gaussian = c("identity", "log", "inverse"), binomial = c("logit", "probit", "cloglog", "log"),
                     poisson = c("log", "identity", "sqrt"), Gamma = c("inverse", "identity", "log"),
                     nbinom2 = c("log", "sqrt", "identity"), nbinom1 = c("log", "sqrt", "identity"))

# Linear predictors where the link gives a mean in the family's support.
family_eta_grid <- function(family, link) {
  full <- c(-1000, -700, -300, -30, -5, -1, 0, 0.5, 3, 30, 300, 700, 1000)
  positive <- c(1e-3, 0.5, 3, 30, 300, 700, 1000)
  if (family == "binomial" && link == "log") return(c(-1000, -700, -300, -30, -5, -1, -1e-3))
  if (family == "gaussian" && link == "inverse") return(setdiff(full, 0))
  if (family != "gaussian" && link %in% c("identity", "inverse", "sqrt")) return(positive)
  full
}

# Representative responses (binomial: proportions of w = 10 trials), zero and large ones included.
family_ys <- list(gaussian = c(-3, 0, 2.5, 1e6), binomial = c(0, 0.3, 1), poisson = c(0, 1, 4, 1e5),
                  Gamma = c(1e-3, 2.5, 1e5), nbinom2 = c(0, 1, 4, 1e5), nbinom1 = c(0, 1, 4, 1e5))

# Dispersions: typical ones, and for the negative binomials near-Poisson and strongly overdispersed ones.
family_phis <- list(gaussian = c(0.7, 1e-3), binomial = 1, poisson = 1, Gamma = c(0.7, 3), nbinom2 = c(1.7, 1e-3, 1e6),
                    nbinom1 = c(0.8, 1e-4, 50))

# stats' family object (ours for the negative binomials).
stats_family <- function(family, link) {
  switch(family, gaussian = gaussian(link), binomial = binomial(link), poisson = poisson(link), Gamma = Gamma(link),
         nbinom2 = nbinom2(link), nbinom1 = nbinom1(link))
}

# Exact inverse links, their derivatives and 1 - mu (no clamping; exp() capped at exp(700) like the core).
exact_link <- function(link, eta) {
  e <- exp(pmin(eta, 700))
  out <- switch(link,
    identity = list(mu = eta, mu.eta = rep(1, length(eta))),
    log = list(mu = e, mu.eta = e),
    logit = list(mu = plogis(eta), mu.eta = dlogis(eta), q = plogis(-eta)),
    probit = list(mu = pnorm(eta), mu.eta = dnorm(eta), q = pnorm(-eta)),
    cloglog = list(mu = -expm1(-e), mu.eta = exp(pmin(eta, 700) - e), q = exp(-e)),
    inverse = list(mu = 1 / eta, mu.eta = -1 / eta^2),
    sqrt = list(mu = eta^2, mu.eta = 2 * eta))
  if (is.null(out$q)) out$q <- 1 - out$mu
  out
}

# R's log-density of y at mean mu (binomial: proportion y of w trials). nbinom1 by prob = 1/(1 + phi):
# R 4.2's dnbinom(mu =) approximates the size's term by -mu when y < 1e-10 size, wrong when mu/size
# (= phi) is not small.
r_logdens <- function(family, y, mu, phi, w) {
  switch(family,
    gaussian = dnorm(y, mu, phi, log = TRUE) * w,
    binomial = dbinom(round(w * y), w, mu, log = TRUE),
    poisson = dpois(y, mu, log = TRUE) * w,
    Gamma = dgamma(y, shape = 1 / phi^2, rate = 1 / (phi^2 * mu), log = TRUE) * w,
    nbinom2 = dnbinom(y, size = phi, mu = mu, log = TRUE) * w,
    nbinom1 = dnbinom(y, size = mu / phi, prob = 1 / (1 + phi), log = TRUE) * w)
}

# Relative difference, with an absolute floor `floor` for values near 0.
rel_diff <- function(a, b, floor = 1e-300) abs(a - b) / pmax(abs(b), floor)

test_that("every family quantity is finite from eta = -1000 to 1000, for every family, link, y and dispersion", {
  for (family in names(family_links)) for (link in family_links[[family]]) {
    eta <- family_eta_grid(family, link)
    w <- if (family == "binomial") 10 else 1
    for (y in family_ys[[family]]) for (phi in family_phis[[family]]) {
      label <- sprintf("%s(%s), y = %g, phi = %g", family, link, y, phi)
      ev <- family_eval(family, link, y, eta, phi, w)
      de <- family_derivs(family, link, y, eta, phi, w)
      bad_ev <- which(!is.finite(ev), arr.ind = TRUE)
      bad_de <- which(!is.finite(de), arr.ind = TRUE)
      expect(nrow(bad_ev) == 0L, sprintf("%s: non-finite %s at eta = %s", label, paste(colnames(ev)[bad_ev[, 2]], collapse = ", "),
                                         paste(eta[bad_ev[, 1]], collapse = ", ")))
      expect(nrow(bad_de) == 0L, sprintf("%s: non-finite %s at eta = %s", label, paste(colnames(de)[bad_de[, 2]], collapse = ", "),
                                         paste(eta[bad_de[, 1]], collapse = ", ")))
      # obs_derivs() and obs_loglik() are one computation
      expect_identical(de[, "grad"], ev[, "grad"], label = paste(label, "grad"))
      expect_identical(de[, "info"], ev[, "info"], label = paste(label, "info"))
    }
  }
})

test_that("the audit's cases are finite and exact: nbinom1/nbinom2 at eta <= -700, Gamma(log) at eta = -300", {
  eta <- c(-1000, -800, -700)
  nb1 <- family_derivs("nbinom1", "log", 4, eta, 0.8)
  # s = mu/phi -> 0: l = log(s) + const, so l' = 1, l'' = l''' = 0 (to O(s))
  expect_equal(unname(nb1[, "grad"]), rep(1, 3), tolerance = 1e-15)
  expect_lt(max(abs(nb1[, c("info", "dinfo")])), 1e-300)
  nb2 <- family_derivs("nbinom2", "log", 4, eta, 1.7)
  expect_equal(unname(nb2[, "grad"]), rep(4, 3), tolerance = 1e-15)
  expect_lt(max(abs(nb2[, c("info", "dinfo")])), 1e-300)
  g <- family_derivs("Gamma", "log", 2.5, -300, 0.7)
  nu <- 1 / 0.49
  expect_equal(unname(g[, "info"]), nu * 2.5 * exp(300), tolerance = 1e-13)
  expect_equal(unname(g[, "dinfo"]), -nu * 2.5 * exp(300), tolerance = 1e-13)
  # the zero count of a tiny exposure (item 3 of the audit): no 0/0 in the third derivative
  z <- family_derivs("nbinom2", "log", 0, c(-300, -298), 1)
  expect_true(all(is.finite(z)))
  expect_equal(unname(z[, "dinfo"]), exp(c(-300, -298)) * (1 - 2 * exp(c(-300, -298))), tolerance = 1e-13)
})

test_that("linkinv and mu.eta agree with stats' links where stats does not clamp, and with the exact functions everywhere", {
  eps <- .Machine$double.eps
  for (family in names(family_links)) for (link in family_links[[family]]) {
    eta <- family_eta_grid(family, link)
    ev <- family_eval(family, link, 1, eta, 1, if (family == "binomial") 10 else 1)
    fam <- stats_family(family, link)
    label <- sprintf("%s(%s)", family, link)
    ex <- exact_link(link, eta)
    expect_true(all(rel_diff(ev[, "mu"], ex$mu) <= 1e-14), label = paste(label, "mu, exact"))
    expect_true(all(rel_diff(ev[, "mu.eta"], ex$mu.eta) <= 1e-13), label = paste(label, "mu.eta, exact"))
    mu_r <- suppressWarnings(fam$linkinv(eta))
    mu_eta_r <- suppressWarnings(fam$mu.eta(eta))
    # stats' unclamped range: its value off its floor/ceiling (and eta <= 700 for exp())
    ok_mu <- is.finite(mu_r) & eta <= 700 & if (link %in% c("logit", "probit", "cloglog")) mu_r > eps & mu_r < 1 - eps
             else if (link == "log") mu_r > eps else TRUE
    ok_mu_eta <- is.finite(mu_eta_r) & eta <= 700 & (if (link %in% c("logit", "probit", "cloglog", "log")) mu_eta_r > eps else TRUE)
    if (link == "probit") ok_mu <- ok_mu & abs(eta) < -qnorm(eps)
    if (link == "logit") ok_mu_eta <- ok_mu_eta & abs(eta) <= 30
    expect_gt(sum(ok_mu), 3)
    expect_true(all(rel_diff(ev[ok_mu, "mu"], mu_r[ok_mu]) <= 1e-14), label = paste(label, "mu vs stats"))
    expect_true(all(rel_diff(ev[ok_mu_eta, "mu.eta"], mu_eta_r[ok_mu_eta]) <= 1e-13), label = paste(label, "mu.eta vs stats"))
    # the link functions themselves: linkfun(linkinv(eta)) = eta where the mean is resolved
    back <- suppressWarnings(fam$linkfun(ev[, "mu"]))
    resolved <- ok_mu & abs(eta) <= 1   # stats' linkfun forms 1 - mu, ill-conditioned in the tails
    expect_equal(back[resolved], eta[resolved], tolerance = 1e-10, label = paste(label, "linkfun"))
  }
})

test_that("the variance function and the IRLS weight agree with stats' and the negative binomials' variance functions", {
  for (family in names(family_links)) for (link in family_links[[family]]) for (phi in family_phis[[family]]) {
    eta <- family_eta_grid(family, link)
    w <- if (family == "binomial") 10 else 1
    ev <- family_eval(family, link, 1, eta, phi, w)
    mu <- ev[, "mu"]
    fam <- stats_family(family, link)
    v_r <- if (family %in% c("nbinom1", "nbinom2")) fam$variance(mu, phi) else fam$variance(mu)
    ok <- is.finite(v_r) & v_r < .Machine$double.xmax
    label <- sprintf("%s(%s), phi = %g", family, link, phi)
    expect_true(all(rel_diff(ev[ok, "variance"], v_r[ok]) <= 1e-14), label = paste(label, "variance"))
    # w mu.eta^2 / (dispersion x V(mu)) from the exact link derivative, where that is finite
    disp <- if (family %in% c("gaussian", "Gamma")) phi^2 else 1
    ex <- exact_link(link, eta)
    if (family == "binomial") v_r <- ex$mu * ex$q   # mu (1 - mu) without forming 1 - mu
    irls_r <- w * ex$mu.eta^2 / (disp * v_r)
    ok <- is.finite(irls_r) & irls_r > 1e-290 & irls_r < 1e290 & v_r > 1e-290
    expect_true(all(rel_diff(ev[ok, "irls"], irls_r[ok]) <= 1e-12), label = paste(label, "IRLS weight"))
  }
  # glmmTMB's negative binomial variance functions, with sigma() as the dispersion
  skip_if_not_installed("glmmTMB")
  mu <- c(1e-8, 0.3, 4, 1e6)
  expect_equal(family_eval("nbinom2", "log", 1, log(mu), 1.7)[, "variance"], glmmTMB::nbinom2()$variance(mu, 1.7))
  expect_equal(family_eval("nbinom1", "log", 1, log(mu), 0.8)[, "variance"], glmmTMB::nbinom1()$variance(mu, 0.8))
})

test_that("log-densities agree with R's d*() functions wherever those are finite", {
  for (family in names(family_links)) for (link in family_links[[family]]) {
    eta <- family_eta_grid(family, link)
    w <- if (family == "binomial") 10 else 1
    for (y in family_ys[[family]]) for (phi in family_phis[[family]]) {
      ev <- family_eval(family, link, y, eta, phi, w)
      ref <- suppressWarnings(r_logdens(family, y, ev[, "mu"], phi, w))   # NaN for an infinite nbinom1 size
      ok <- is.finite(ref) & abs(ref) < 1e300 & ev[, "mu"] > 1e-300 & ev[, "mu"] < 1e300
      # dbinom() forms 1 - mu, inaccurate as mu -> 1 (we use log(1 - mu) exactly: checked in closed form below)
      if (family == "binomial") ok <- ok & 1 - ev[, "mu"] > 1e-6
      label <- sprintf("%s(%s), y = %g, phi = %g", family, link, y, phi)
      expect_true(all(rel_diff(ev[ok, "loglik"], ref[ok], floor = 1) <= 1e-9), label = paste(label, "log-density"))
    }
  }
})

test_that("log-link derivatives are exact in the tails (closed forms computed in R)", {
  eta <- c(-1000, -745, -700, -300, -30, 0, 2, 30, 300, 700)
  for (y in c(0, 1, 4, 1e5)) {
    p <- family_derivs("poisson", "log", y, eta, 1)
    mu <- exp(eta)
    expect_true(all(rel_diff(p[, "grad"], y - mu) <= 1e-15))
    expect_true(all(rel_diff(p[, "info"], mu) <= 1e-15))
    for (th in c(1.7, 1e-3, 1e6)) {   # nbinom2: l' = y q - th p, -l'' = (y + th) p q, p = mu / (th + mu) = 1 - q
      d <- family_derivs("nbinom2", "log", y, eta, th)
      pp <- plogis(eta - log(th))
      qq <- plogis(log(th) - eta)
      thp <- ifelse(eta < log(th), exp(eta) * qq, th * pp)   # th p, without a subnormal p
      info <- (1 + y / th) * thp * qq
      expect_true(all(rel_diff(d[, "grad"], qq * (y - exp(eta))) <= 1e-13), label = sprintf("nbinom2 grad y=%g th=%g", y, th))
      expect_true(all(rel_diff(d[, "info"], info) <= 1e-13), label = sprintf("nbinom2 info y=%g th=%g", y, th))
      expect_true(all(rel_diff(d[, "dinfo"], info * (qq - pp)) <= 1e-12), label = sprintf("nbinom2 dinfo y=%g th=%g", y, th))
    }
  }
  # nbinom1 with whole y: psi(y + s) - psi(s) = sum_{k < y} 1 / (s + k) and its derivatives, so
  # A = s (psi(y+s) - psi(s)), B = s^2 (psi1(y+s) - psi1(s)), C = s^3 (psi2(y+s) - psi2(s)) by sums
  for (phi in c(0.8, 1e-4, 50)) for (y in c(0, 1, 4, 30)) {
    s <- exp(pmin(eta - log(phi), 700))
    k <- seq_len(max(y, 1) - 1)
    sums <- function(pw) vapply(s, function(si) sum((si / (si + k))^pw), numeric(1))
    A <- if (y > 0) 1 + (if (y > 1) sums(1) else 0) else 0
    B <- if (y > 0) -(1 + (if (y > 1) sums(2) else 0)) else 0
    C <- if (y > 0) 2 * (1 + (if (y > 1) sums(3) else 0)) else 0
    sL <- s * log1p(phi)
    d <- family_derivs("nbinom1", "log", y, eta, phi)
    scale <- pmax(sL, abs(A), 1)   # the terms' size: the derivatives are sums of them
    label <- sprintf("nbinom1 y=%g phi=%g", y, phi)
    expect_true(all(abs(d[, "grad"] - (A - sL)) / scale <= 1e-13), label = paste(label, "grad"))
    expect_true(all(abs(d[, "info"] - (sL - A - B)) / scale <= 1e-13), label = paste(label, "info"))
    expect_true(all(abs(d[, "dinfo"] - (sL - A - 3 * B - C)) / scale <= 1e-13), label = paste(label, "dinfo"))
  }
  # Gamma(log): -l'' = nu y exp(-eta); binomial logit: -l'' = w mu (1 - mu); cloglog failures: -l'' = w exp(eta)
  g <- family_derivs("Gamma", "log", 2.5, eta[eta >= -700], 0.7)
  expect_true(all(rel_diff(g[, "info"], 2.5 / 0.49 * exp(-eta[eta >= -700])) <= 1e-13))
  # binomial log-likelihoods in both tails: k log mu + f log(1 - mu), the logs in closed form
  k_of_10 <- function(link, y) family_eval("binomial", link, y, eta, 1, w = 10)[, "loglik"] - lchoose(10, 10 * y)
  expect_true(all(rel_diff(k_of_10("logit", 0.3), 3 * plogis(eta, log.p = TRUE) + 7 * plogis(-eta, log.p = TRUE)) <= 1e-14))
  expect_true(all(rel_diff(k_of_10("probit", 0.3), 3 * pnorm(eta, log.p = TRUE) + 7 * pnorm(-eta, log.p = TRUE)) <= 1e-14))
  e <- exp(pmin(eta, 700))
  expect_true(all(rel_diff(k_of_10("cloglog", 0.3), 3 * ifelse(e < 1e-8, eta - e / 2, log(-expm1(-e))) - 7 * e) <= 1e-14))
  b <- family_derivs("binomial", "logit", 0.3, eta, 1, w = 10)
  expect_true(all(rel_diff(b[, "info"], 10 * plogis(eta) * plogis(-eta)) <= 1e-14))
  expect_true(all(rel_diff(b[, "grad"], 3 - 10 * plogis(eta), floor = 1e-300) <= 1e-14))
  cl <- family_derivs("binomial", "cloglog", 0, eta, 1, w = 10)
  ref <- 10 * exp(pmin(eta, 700))
  expect_true(all(rel_diff(cl[, "grad"], -ref) <= 1e-14))
  expect_true(all(rel_diff(cl[, "info"], ref) <= 1e-14))
  expect_true(all(rel_diff(cl[, "dinfo"], ref) <= 1e-14))
})

test_that("far in the tails each derivative is the finite difference of the one before it", {
  # probit (Mills-ratio continued fraction), cloglog and the negative binomials at large |eta|
  cases <- list(list("binomial", "probit", 1, c(-1000, -300, -30, -6, -4.9, 5, 30)),
                list("binomial", "probit", 0, c(-30, -5, 4.9, 6, 30, 300, 1000)),
                list("binomial", "cloglog", 1, c(-1000, -300, -30, -4, 0, 1.5, 3)),
                list("nbinom1", "log", 4, c(-60, -30, -5, 0, 3, 10, 30)),
                list("nbinom2", "log", 4, c(-300, -30, -5, 0, 3, 10, 30)))
  for (cs in cases) {
    family <- cs[[1]]; link <- cs[[2]]; y <- cs[[3]]; eta <- cs[[4]]
    phi <- if (family == "nbinom1") 0.8 else 1.7
    h <- 1e-4 * pmax(1, abs(eta))
    at <- function(e) family_eval(family, link, y, e, phi)
    dat <- function(e) family_derivs(family, link, y, e, phi)
    d0 <- dat(eta)
    fd_grad <- (at(eta + h)[, "loglik"] - at(eta - h)[, "loglik"]) / (2 * h)
    fd_info <- -(dat(eta + h)[, "grad"] - dat(eta - h)[, "grad"]) / (2 * h)
    fd_dinfo <- (dat(eta + h)[, "info"] - dat(eta - h)[, "info"]) / (2 * h)
    label <- sprintf("%s(%s) y=%g", family, link, y)
    expect_true(all(rel_diff(d0[, "grad"], fd_grad, floor = 1e-8) <= 1e-5), label = paste(label, "grad"))
    expect_true(all(rel_diff(d0[, "info"], fd_info, floor = 1e-8) <= 1e-5), label = paste(label, "info"))
    expect_true(all(rel_diff(d0[, "dinfo"], fd_dinfo, floor = 1e-8) <= 1e-4), label = paste(label, "dinfo"))
  }
  # the probit tail's third derivative from its asymptotic series: log Phi(-x)''' = 2/x^3 (1 - 12/x^2 + 150/x^4 - 2072/x^6 + ...)
  x <- c(300, 1000)
  p <- family_derivs("binomial", "probit", 1, -x, 1, w = 1)
  expect_equal(unname(-p[, "dinfo"]), 2 / x^3 * (1 - 12 / x^2 + 150 / x^4 - 2072 / x^6), tolerance = 1e-12)
})

# ---- glmmTMB's further families (src/family_beta.cpp, family_genpois.cpp, family_tweedie.cpp,
# family_student.cpp, family_lognormal.cpp, family_truncated.cpp) ----

# Links, responses, dispersions and shape parameters (glmmTMB's psi) each family is checked at;
# `w` is the number of trials for betabinomial.
more_families <- list(
  beta = list(links = c("logit", "probit", "cloglog"), ys = c(1e-6, 0.3, 0.999), phis = c(8, 1e-3, 1e5)),
  betabinomial = list(links = c("logit", "probit", "cloglog"), ys = c(0, 0.3, 1), phis = c(5, 1e-3, 1e5), w = 10),
  genpois = list(links = c("log", "sqrt", "identity"), ys = c(0, 1, 4, 1e5), phis = c(2.5, 1, 1e3)),
  tweedie = list(links = "log", ys = c(0, 1e-3, 2.3, 1e5), phis = c(1.4, 1e-2, 50), shapes = c(0, -4, 4)),
  t = list(links = c("identity", "log", "inverse"), ys = c(-3, 0, 2.5, 1e6), phis = c(0.7, 1e-3), shapes = c(log(4), log(0.5), log(1e8))),
  lognormal = list(links = c("log", "identity", "inverse"), ys = c(1e-3, 2.5, 1e5), phis = c(1.3, 1e-3, 1e3)),
  truncated_poisson = list(links = c("log", "sqrt", "identity"), ys = c(1, 4, 1e5), phis = 1),
  truncated_nbinom1 = list(links = c("log", "sqrt", "identity"), ys = c(1, 4, 1e5), phis = c(0.8, 1e-4, 50)),
  truncated_nbinom2 = list(links = c("log", "sqrt", "identity"), ys = c(1, 4, 1e5), phis = c(1.7, 1e-3, 1e6)))

# cpp_family_eval() / cpp_family_derivs() with a shape parameter.
more_eval <- function(family, link, y, eta, phi, shape = NA, w = 1) {
  code <- family_codes_of(family, link)
  n <- length(eta)
  out <- cpp_family_eval(code[1], code[2], rep_len(as.numeric(y), n), eta, rep_len(as.numeric(w), n), phi, shape)
  colnames(out) <- c("loglik", "grad", "info", "mu", "mu.eta", "variance", "irls")
  out
}
more_derivs <- function(family, link, y, eta, phi, shape = NA, w = 1) {
  code <- family_codes_of(family, link)
  n <- length(eta)
  out <- cpp_family_derivs(code[1], code[2], rep_len(as.numeric(y), n), eta, rep_len(as.numeric(w), n), phi, shape)
  colnames(out) <- c("grad", "info", "dinfo", "dphi", "dgrad_phi", "dinfo_phi")
  out
}

# Linear predictors with the mean in the support: every eta for log, logit-type links and t's
# identity link; positive ones for the other links (t's inverse link: all but 0).
more_eta_grid <- function(family, link) {
  full <- c(-1000, -700, -300, -30, -5, -1, 0, 0.5, 3, 30, 300, 700, 1000)
  if (family == "t") return(if (link == "inverse") setdiff(full, 0) else full)
  if (link %in% c("identity", "inverse", "sqrt")) return(c(1e-3, 0.5, 3, 30, 300, 700, 1000))
  full
}

# R's log-density (tweedie: the compound Poisson-gamma sum, written independently of the series).
more_logdens <- function(family, y, mu, phi, shape, w = 1) {
  switch(family,
    beta = dbeta(y, mu * phi, (1 - mu) * phi, log = TRUE),
    betabinomial = { k <- w * y; lchoose(w, k) + lbeta(k + mu * phi, w - k + (1 - mu) * phi) - lbeta(mu * phi, (1 - mu) * phi) },
    genpois = { th <- mu / sqrt(phi); la <- 1 - 1 / sqrt(phi); log(th) + (y - 1) * log(th + la * y) - th - la * y - lgamma(y + 1) },
    tweedie = vapply(mu, function(m) {
      p <- 1 + plogis(shape)
      if (y == 0) return(-m^(2 - p) / (phi * (2 - p)))
      n <- 1:3000
      log(sum(dpois(n, m^(2 - p) / (phi * (2 - p))) * dgamma(y, shape = n * (2 - p) / (p - 1), scale = phi * (p - 1) * m^(p - 1))))
    }, numeric(1)),
    # dt() loses digits for huge df (its lgamma difference); lbeta() keeps them
    t = { nu <- exp(shape); z <- (y - mu) / phi
          lgamma(0.5) - lbeta(0.5, nu / 2) - 0.5 * log(nu * pi) - (nu + 1) / 2 * log1p(z^2 / nu) - log(phi) },
    lognormal = { s2 <- log1p(phi^2 / mu^2); dnorm(log(y), log(mu) - s2 / 2, sqrt(s2), log = TRUE) - log(y) },
    truncated_poisson = dpois(y, mu, log = TRUE) - log(-expm1(-mu)),
    truncated_nbinom1 = dnbinom(y, size = mu / phi, prob = 1 / (1 + phi), log = TRUE) -
      log(-expm1(dnbinom(0, size = mu / phi, prob = 1 / (1 + phi), log = TRUE))),
    truncated_nbinom2 = dnbinom(y, size = phi, mu = mu, log = TRUE) - log(-expm1(dnbinom(0, size = phi, mu = mu, log = TRUE))))
}

test_that("glmmTMB's further families are finite from eta = -1000 to 1000 for every link, y, dispersion and shape", {
  for (family in names(more_families)) {
    spec <- more_families[[family]]
    w <- if (is.null(spec$w)) 1 else spec$w
    for (link in spec$links) for (y in spec$ys) for (phi in spec$phis) for (shape in (if (is.null(spec$shapes)) NA else spec$shapes)) {
      eta <- more_eta_grid(family, link)
      label <- sprintf("%s(%s), y = %g, phi = %g, shape = %g", family, link, y, phi, shape)
      ev <- more_eval(family, link, y, eta, phi, shape, w)
      de <- more_derivs(family, link, y, eta, phi, shape, w)
      bad_ev <- which(!is.finite(ev), arr.ind = TRUE)
      bad_de <- which(!is.finite(de), arr.ind = TRUE)
      expect(nrow(bad_ev) == 0L, sprintf("%s: non-finite %s at eta = %s", label, paste(colnames(ev)[bad_ev[, 2]], collapse = ", "),
                                         paste(eta[bad_ev[, 1]], collapse = ", ")))
      expect(nrow(bad_de) == 0L, sprintf("%s: non-finite %s at eta = %s", label, paste(colnames(de)[bad_de[, 2]], collapse = ", "),
                                         paste(eta[bad_de[, 1]], collapse = ", ")))
      expect_identical(de[, "grad"], ev[, "grad"], label = paste(label, "grad"))
      expect_identical(de[, "info"], ev[, "info"], label = paste(label, "info"))
    }
  }
})

test_that("glmmTMB's further families' log-densities agree with R's wherever those are finite", {
  for (family in names(more_families)) {
    spec <- more_families[[family]]
    w <- if (is.null(spec$w)) 1 else spec$w
    for (link in spec$links) for (y in spec$ys) for (phi in spec$phis) for (shape in (if (is.null(spec$shapes)) NA else spec$shapes)) {
      eta <- more_eta_grid(family, link)
      eta <- eta[abs(eta) <= 30]
      if (family == "tweedie" && (y > 100 || phi < 0.1)) next   # the reference sum's 3000 terms do not reach
      ev <- more_eval(family, link, y, eta, phi, shape, w)
      ref <- suppressWarnings(more_logdens(family, y, ev[, "mu"], phi, shape, w))
      ok <- is.finite(ref) & abs(ref) < 1e300 & ev[, "mu"] > 1e-300 & ev[, "mu"] < 1e300
      if (family %in% c("beta", "betabinomial")) ok <- ok & ev[, "mu"] > 1e-12 & 1 - ev[, "mu"] > 1e-6   # dbeta()/lbeta() lose digits there
      if (family == "tweedie") ok <- ok & ev[, "mu"] > 1e-6 & ev[, "mu"] < 1e6
      label <- sprintf("%s(%s), y = %g, phi = %g, shape = %g", family, link, y, phi, shape)
      expect_true(all(rel_diff(ev[ok, "loglik"], ref[ok], floor = 1) <= 1e-9), label = paste(label, "log-density"))
    }
  }
})

# The Tweedie log-density as a Poisson mixture of gammas summed in R over every count that matters
# (up to 40 spreads each side of the largest term; written independently of the C++ series).
tweedie_logdens_wide <- function(y, mu, phi, shape) {
  vapply(mu, function(m) {
    p <- 1 + plogis(shape)
    lam <- m^(2 - p) / (phi * (2 - p))
    peak <- y^(2 - p) / (phi * (2 - p))
    spread <- sqrt(peak / (1 + exp(-shape)))
    n <- seq(max(1, floor(min(peak, lam) - 40 * spread - 100)), ceiling(max(peak, lam) + 40 * spread + 100))
    l <- dpois(n, lam, log = TRUE) + dgamma(y, shape = n * (2 - p) / (p - 1), scale = phi * (p - 1) * m^(p - 1), log = TRUE)
    max(l) + log(sum(exp(l - max(l))))
  }, numeric(1))
}

test_that("the Tweedie series spread over many terms (p near 2, a small phi) is summed on a grid: R's sum, exact derivatives", {
  # (y, phi, psi): the terms' spread from 10 (summed term by term) to 550 (on a grid of spread / 8)
  cases <- list(c(2.3, 0.2, 3), c(2.3, 0.05, 3), c(50, 1e-3, 2), c(300, 0.02, 5), c(300, 0.002, 4), c(300, 0.002, 6), c(300, 0.01, 8))
  h <- 1e-4   # the values carry lgamma's rounding of large arguments (1e-10): differences to 1e-5
  for (cs in cases) {
    y <- cs[1]; phi <- cs[2]; shape <- cs[3]
    eta <- log(y * c(0.9, 1, 1.2))
    label <- sprintf("tweedie y=%g phi=%g psi=%g", y, phi, shape)
    ev <- more_eval("tweedie", "log", y, eta, phi, shape)
    expect_true(all(abs(ev[, "loglik"] - tweedie_logdens_wide(y, exp(eta), phi, shape)) <= 1e-8), label = paste(label, "log-density"))
    de <- more_derivs("tweedie", "log", y, eta, phi, shape)
    fd_eta <- (more_eval("tweedie", "log", y, eta + h, phi, shape)[, "loglik"] - more_eval("tweedie", "log", y, eta - h, phi, shape)[, "loglik"]) / (2 * h)
    fd_phi <- (more_eval("tweedie", "log", y, eta, phi * exp(h), shape)[, "loglik"] - more_eval("tweedie", "log", y, eta, phi * exp(-h), shape)[, "loglik"]) / (2 * h)
    expect_true(all(abs(de[, "grad"] - fd_eta) <= 1e-5 * (1 + abs(fd_eta))), label = paste(label, "grad"))
    expect_true(all(abs(de[, "dphi"] - fd_phi) <= 1e-5 * (1 + abs(fd_phi))), label = paste(label, "dphi"))
  }
  # beyond a largest term at j = 1e7 (lgamma's rounding reaches 1e-7 there) the density is outside the family
  expect_false(is.finite(more_eval("tweedie", "log", 300, log(300), 1e-4, 9.5)[, "loglik"]))
})

test_that("a Tweedie fit whose power goes to 2 ends there quickly, at glmmTMB's log-likelihood, with the boundary warning", {
  ss <- fixture_data("sleepstudy")
  ss$rr <- round(ss$Reaction)
  ref <- stored_references("fixef_shape")$tweedie_p2   # glmmTMB 1.1.5: false convergence at p = 1.99994
  expect_warning(m <- glmm(rr ~ Days + (1 | Subject), ss, family = tweedie()), "boundary p = 2")
  expect_lt(abs(m$loglik - ref$logLik), 2e-4)
  expect_gt(unname(family_params(m)), 1.999)
})

test_that("glmmTMB's further families' derivatives in eta and log phi are the finite differences of their values", {
  cases <- list(list("beta", "logit", 0.3, 8), list("beta", "probit", 0.3, 8), list("beta", "cloglog", 0.8, 3),
                list("betabinomial", "logit", 0.3, 5, NA, 10), list("betabinomial", "cloglog", 0.3, 5, NA, 10),
                list("genpois", "log", 3, 2.5), list("genpois", "log", 0, 2.5), list("genpois", "sqrt", 3, 2.5),
                list("genpois", "log", 2, 0.95),
                list("tweedie", "log", 2.3, 1.4, 0.3), list("tweedie", "log", 0, 1.4, 0.3), list("tweedie", "log", 20, 0.5, -1),
                list("t", "identity", 1.5, 0.8, log(4)), list("t", "log", 1.5, 0.8, log(4)), list("t", "identity", 9, 0.8, log(2)),
                list("lognormal", "log", 2.5, 1.3), list("lognormal", "identity", 2.5, 1.3), list("lognormal", "log", 0.1, 30),
                list("truncated_poisson", "log", 3, 1), list("truncated_poisson", "sqrt", 3, 1),
                list("truncated_nbinom2", "log", 3, 1.7), list("truncated_nbinom2", "identity", 3, 1.7),
                list("truncated_nbinom1", "log", 3, 0.8), list("truncated_nbinom1", "sqrt", 1, 0.8))
  for (cs in cases) {
    family <- cs[[1]]; link <- cs[[2]]; y <- cs[[3]]; phi <- cs[[4]]
    shape <- if (length(cs) >= 5) cs[[5]] else NA
    w <- if (length(cs) >= 6) cs[[6]] else 1
    eta <- if (link %in% c("identity", "sqrt")) c(0.5, 1.2, 3) else c(-2, -0.3, 0.4, 1.5)
    if (family == "t") eta <- c(-2, -0.3, 0.4, 1.5)
    h <- 1e-5
    at <- function(e, ph = phi) more_eval(family, link, y, e, ph, shape, w)
    dat <- function(e, ph = phi) more_derivs(family, link, y, e, ph, shape, w)
    d0 <- dat(eta)
    in_eta <- function(f, col) (f(eta + h)[, col] - f(eta - h)[, col]) / (2 * h)
    in_phi <- function(f, col) (f(eta, phi * exp(h))[, col] - f(eta, phi * exp(-h))[, col]) / (2 * h)
    label <- sprintf("%s(%s) y=%g phi=%g", family, link, y, phi)
    check <- function(value, fd, what) {
      expect_true(all(rel_diff(value, fd, floor = 1e-3) <= 1e-6), label = paste(label, what))
    }
    check(d0[, "grad"], in_eta(at, "loglik"), "grad")
    check(d0[, "info"], -in_eta(dat, "grad"), "info")
    check(d0[, "dinfo"], in_eta(dat, "info"), "dinfo")
    if (family != "truncated_poisson") {
      check(d0[, "dphi"], in_phi(at, "loglik"), "dphi")
      check(d0[, "dgrad_phi"], in_phi(dat, "grad"), "dgrad_phi")
      check(d0[, "dinfo_phi"], in_phi(dat, "info"), "dinfo_phi")
    }
  }
})

test_that("glmmTMB's further families are exact in the tails of the log and logit links", {
  eta <- c(-1000, -745, -300, -40)
  # beta(logit): a = mu phi -> 0, so l = log a + O(a) and l' -> 1, -l'' -> 0 (mirrored at +eta)
  b <- more_derivs("beta", "logit", 0.3, eta, 8)
  expect_equal(unname(b[, "grad"]), rep(1, 4), tolerance = 1e-14)
  expect_lt(max(abs(b[, c("info", "dinfo")])), 1e-15)
  b <- more_derivs("beta", "logit", 0.3, -eta, 8)
  expect_equal(unname(b[, "grad"]), rep(-1, 4), tolerance = 1e-14)
  # betabinomial(logit) with k successes: the k of lgamma(k + a) - lgamma(a) -> log a as a -> 0, so l' -> 1
  bb <- more_derivs("betabinomial", "logit", 0.3, eta, 5, w = 10)
  expect_equal(unname(bb[, "grad"]), rep(1, 4), tolerance = 1e-14)
  # truncated Poisson(log): l' = y - mu - mu / expm1(mu) -> y - 1; -l'' = mu + d(mu / expm1(mu))/deta -> 0
  tp <- more_derivs("truncated_poisson", "log", 4, eta, 1)
  expect_equal(unname(tp[, "grad"]), rep(3, 4), tolerance = 1e-14)
  mu <- exp(-40)
  expect_equal(unname(tp[4, "info"]), mu / 2, tolerance = 1e-10)   # mu - mu/2 + O(mu^2)
  # truncated nbinom2(log) likewise: l' -> y - 1
  tn <- more_derivs("truncated_nbinom2", "log", 4, eta, 1.7)
  expect_equal(unname(tn[, "grad"]), rep(3, 4), tolerance = 1e-14)
  # genpois(log) with y = 0: l = -theta, all derivatives -theta = -mu / sqrt(phi)
  gp <- more_derivs("genpois", "log", 0, c(-30, 0, 30), 4)
  expect_equal(unname(gp[, "grad"]), -exp(c(-30, 0, 30)) / 2, tolerance = 1e-14)
  # lognormal(log) where sigma << mu (v = log(1 + sigma^2/mu^2) underflows): the value saturates, nothing is NaN
  ln <- more_eval("lognormal", "log", 2.5, c(300, 700, 1000), 1)
  expect_true(all(is.finite(ln)))
  # t far from its mean: l' = (nu + 1) z / (sigma (nu + z^2)) with z ~ -1e300 / sigma
  st <- more_derivs("t", "identity", 0, c(1e300, -1e300), 0.7, log(4))
  expect_equal(unname(st[, "grad"]), 5 / c(-1e300, 1e300), tolerance = 1e-14)
})

test_that("the variance functions are glmmTMB's, in C++ and in the R family objects", {
  mu <- c(1e-8, 0.2, 0.7)
  expect_equal(more_eval("beta", "logit", 0.5, qlogis(mu), 8)[, "variance"], mu * (1 - mu))
  expect_equal(beta_family()$variance(mu), mu * (1 - mu))
  m <- c(1e-6, 0.3, 4, 1e4)
  expect_equal(more_eval("genpois", "log", 1, log(m), 2.5)[, "variance"], genpois()$variance(m, 2.5))
  expect_equal(more_eval("tweedie", "log", 1, log(m), 1.5, qlogis(0.6))[, "variance"], tweedie()$variance(m, 1.5, 1.6))
  expect_equal(more_eval("t", "identity", 1, m, 0.7, log(4))[, "variance"], t_family()$variance(m, 0.7))
  expect_equal(more_eval("lognormal", "log", 1, log(m), 0.7)[, "variance"], lognormal()$variance(m, 0.7))
  # truncated: Var(y | y > 0) at the untruncated mean, from the moments of the untruncated family
  trunc_var <- function(mu, ey2, p0) ey2 / (1 - p0) - (mu / (1 - p0))^2
  m <- c(1e-2, 0.3, 4, 50)
  expect_equal(more_eval("truncated_poisson", "log", 1, log(m), 1)[, "variance"], trunc_var(m, m + m^2, exp(-m)), tolerance = 1e-10)
  expect_equal(truncated_poisson()$variance(m), trunc_var(m, m + m^2, exp(-m)), tolerance = 1e-10)
  expect_equal(more_eval("truncated_nbinom2", "log", 1, log(m), 1.7)[, "variance"],
               trunc_var(m, m + m^2 * (1 + 1 / 1.7), dnbinom(0, size = 1.7, mu = m)), tolerance = 1e-10)
  expect_equal(truncated_nbinom2()$variance(m, 1.7), trunc_var(m, m + m^2 * (1 + 1 / 1.7), dnbinom(0, size = 1.7, mu = m)), tolerance = 1e-10)
  expect_equal(more_eval("truncated_nbinom1", "log", 1, log(m), 0.8)[, "variance"],
               trunc_var(m, m * 1.8 + m^2, dnbinom(0, size = m / 0.8, prob = 1 / 1.8)), tolerance = 1e-10)
  expect_equal(truncated_nbinom1()$variance(m, 0.8), trunc_var(m, m * 1.8 + m^2, dnbinom(0, size = m / 0.8, prob = 1 / 1.8)), tolerance = 1e-10)
  skip_if_not_installed("glmmTMB")
  expect_equal(beta_family()$variance(mu), glmmTMB::beta_family()$variance(mu))
  expect_equal(genpois()$variance(m, 2.5), glmmTMB::genpois()$variance(m, 2.5))
  expect_equal(tweedie()$variance(m, 1.5, 1.6), glmmTMB::tweedie()$variance(m, 1.5, 1.6))
  expect_equal(t_family()$variance(m, 0.7), glmmTMB::t_family()$variance(m, 0.7))
  expect_equal(truncated_poisson()$variance(m), glmmTMB::truncated_poisson()$variance(m))
  expect_equal(truncated_nbinom2()$variance(m, 1.7), glmmTMB::truncated_nbinom2()$variance(m, 1.7))
})
