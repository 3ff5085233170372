# make_fixtures.R: store the data sets the tests borrow from other packages as small fixtures
# (tests/testthat/fixtures/<name>.rds), so that the tests run where those packages are not
# installed. Run from the project root: Rscript tests/references/make_fixtures.R
# Add a data set by adding a line to `borrowed` below.
borrowed <- c(
  "lme4::sleepstudy", "lme4::cbpp", "lme4::Penicillin", "lme4::Dyestuff", "lme4::Dyestuff2", "lme4::Pastes",
  "lme4::cake", "lme4::grouseticks", "lme4::VerbAgg", "lme4::Arabidopsis", "lme4::InstEval",
  "glmmTMB::Salamanders", "glmmTMB::Owls", "glmmTMB::epil2"
)
dir.create(file.path("tests", "testthat", "fixtures"), showWarnings = FALSE)
for (item in borrowed) {
  parts <- strsplit(item, "::", fixed = TRUE)[[1L]]
  env <- new.env()
  ok <- tryCatch({ utils::data(list = parts[2L], package = parts[1L], envir = env); TRUE },
                 warning = function(w) FALSE, error = function(e) FALSE)
  if (!ok || !exists(parts[2L], envir = env, inherits = FALSE)) { message("skipped (not found): ", item); next }
  d <- get(parts[2L], envir = env)
  attr(d, "source") <- sprintf("%s %s", item, as.character(utils::packageVersion(parts[1L])))
  out <- file.path("tests", "testthat", "fixtures", paste0(parts[2L], ".rds"))
  saveRDS(d, out, version = 2, compress = "xz")
  message(sprintf("%-24s %6d rows  %7.1f kB", item, NROW(d), file.size(out) / 1024))
}

# Simulated data sets, stored for the same reason (the generator's random stream could change).
# kb07_like: a reduced kb07-like design (Kronmueller & Barr 2007): 32 subjects x 16 items, three
# +-1 factors S, P, C counterbalanced in a Latin square, correlated subject and item effects on
# 1, S, P and S:P, and 10% of the rows dropped at random (so that the fixed effects' estimates
# depend on the variance parameters, as in unbalanced data).
simulate_kb07_like <- function(nsubj = 32, nitem = 16, seed = 907) {
  set.seed(seed)
  d <- expand.grid(item = seq_len(nitem), subj = seq_len(nsubj))
  cond <- (d$subj + d$item) %% 8
  d$S <- ifelse(cond %% 2 == 0, -1, 1)
  d$P <- ifelse((cond %/% 2) %% 2 == 0, -1, 1)
  d$C <- ifelse(cond %/% 4 == 0, -1, 1)
  Z <- cbind(1, d$S, d$P, d$S * d$P)
  effects <- function(k, sds, rho) {
    R <- matrix(rho, 4, 4)
    diag(R) <- 1
    matrix(rnorm(k * 4), k, 4) %*% chol(diag(sds) %*% R %*% diag(sds))
  }
  bs <- effects(nsubj, c(0.4, 0.15, 0.2, 0.1), 0.3)
  bi <- effects(nitem, c(0.3, 0.1, 0.25, 0.1), 0.2)
  y <- 2.2 + 0.07 * d$S - 0.3 * d$P + 0.08 * d$C + 0.02 * d$S * d$P + rowSums(Z * bs[d$subj, ]) +
    rowSums(Z * bi[d$item, ]) + rnorm(nrow(d), 0, 0.3)
  out <- data.frame(y, S = d$S, P = d$P, C = d$C, subj = factor(d$subj), item = factor(d$item))
  out <- out[sort(sample.int(nrow(out), round(0.9 * nrow(out)))), ]
  rownames(out) <- NULL
  out
}
kb07 <- simulate_kb07_like()
attr(kb07, "source") <- "simulate_kb07_like() in tests/references/make_fixtures.R"
saveRDS(kb07, file.path("tests", "testthat", "fixtures", "kb07_like.rds"), version = 2, compress = "xz")
message(sprintf("%-24s %6d rows", "kb07_like (simulated)", nrow(kb07)))
