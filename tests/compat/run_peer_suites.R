# run_peer_suites.R: the compatibility harness. Runs lme4 1.1-31's and glmmTMB 1.1.5's own
# testthat suites with their fitting calls (lme4: lmer, glmer, glmer.nb; glmmTMB: glmmTMB)
# pointed at glmmlab::glmm(), everything else as written, and reports how many of the test blocks
# in scope pass, with the reasons of the failures grouped. Not part of the test suite (it needs
# lme4, glmmTMB and testthat installed, and takes minutes); excluded from the package build.
#
# Usage, from the worktree root (glmmlab installed, e.g. by .ci/dev-install.sh NAME):
#   Rscript tests/compat/run_peer_suites.R [--lib=/tmp/lib_NAME] [--peer=lme4,glmmTMB]
#       [--files=REGEX] [--timeout=60] [--out=results.rds] [--lme4=DIR] [--glmmTMB=DIR] [--list]
#       [--lme4_level=2]
# --lib: library holding the glmmlab to test (first on .libPaths()); --files: only test files
# whose names match; --timeout: seconds per test block (and per top-level setup expression);
# --out: save the per-block results (a data frame); --lme4/--glmmTMB: a peer's tests/testthat
# folder; --list: also list every in-scope block with its outcome.
#
# Where the peers' test files come from (the first that exists): --lme4=/--glmmTMB= folders; the
# installed packages' tests/testthat; the git mirrors that the `fetch` tool creates
# (/work/.mirror/lme4+lme4/repo, /work/.mirror/glmmTMB+glmmTMB/repo, or GLMMLAB_PEER_MIRRORS)
# at the commits of the released versions below (git archive into a temporary folder).
#
# How a file runs: in a child R process (Rscript with this file and --child=SPEC), with
# NOT_CRAN=true (and LME4_TEST_LEVEL, see --lme4_level), the peer package attached and its
# testthat helper/setup files sourced first.
# The file's code is evaluated expression by expression in an environment whose parent is the
# peer's namespace (as testthat does for a package), with the fitting functions replaced by
# wrappers that take the peer's arguments (and defaults: lmer's REML = TRUE) and call glmm().
# `pkg::fun(...)` calls of them are rewritten to the wrappers. glmmTMB's diagnose() is not a generic
# (it reads the TMB object of a glmmTMB fit), so the suite's calls of it go to glmmlab's diagnose(),
# as they do for a user who attached glmmlab instead of glmmTMB. Fits that the suites load from
# files instead of fitting (lme4's lme-tst-fits.rda; glmmTMB's models.rda, which its setup
# rebuilds by make_ex.R) are refitted from their calls. Fits of the other peer (glmmTMB's suite
# compares with lme4 fits) stay real: they are the reference numbers.
# Each test_that() block runs under testthat's ListReporter with an elapsed-time limit; the parent
# kills a child that overruns by 30 s and restarts it after the block (setup code reruns).
#
# Scope of a block, decided from its code and from the top-level fits it refers to: out of scope
# when it needs zero-inflation, dispersion formulas other than ~1, families or covariance structures glmmlab
# lacks, priors, map, smooths, lmList, allFit, nonlinear models, or when it neither fits a model
# nor uses a fitted one; in scope otherwise. Outcome: pass (no failure or error; a block that only
# skips is "skip"), fail (first failed expectation), error, timeout. In-scope blocks that test the
# peer's own object (expect_is(m, "merMod"), m@optinfo, m$obj, ...) are counted in scope and also
# reported apart, with the pass rate without them.

# The released versions' test files: lme4 1.1-31 was released on 2022-11-01 from the state of
# 1de5c0af (2022-10-31); glmmTMB 1.1.5 on 2022-11-16 from 887fb25f (2022-11-15; the next commit
# bumps the version to 1.1.5.9000). The installed packages' own tests/ folders are used when present.
peer_sources <- list(
  lme4 = list(version = "1.1-31", mirror = "lme4+lme4", commit = "1de5c0afcdf40221561d9c00e228e54990d4cef9",
              path = "tests/testthat", fitting = c("lmer", "glmer", "glmer.nb")),
  glmmTMB = list(version = "1.1.5", mirror = "glmmTMB+glmmTMB", commit = "887fb25fb7840b9d601e96152da25c96c5d08d33",
                 path = "glmmTMB/tests/testthat", fitting = "glmmTMB")
)

# Markers of features out of this harness's scope: a name, and a regular expression on the
# deparsed code of a block (or of a top-level fit it uses).
out_of_scope_markers <- c(
  "zero-inflation / hurdle" = "ziformula|\\bzi\\s*=\\s*~|truncated_|hurdle|\"zi\"|\\$zi\\b|fm3ZIP|zeroinfl",
  "dispersion formula" = "dispformula\\s*=\\s*~(?!\\s*1\\s*[,)])|\\bdisp\\s*=\\s*~(?!\\s*1\\s*[,)])|dispformula\\s*=\\s*[a-zA-Z]",
  "family glmmlab lacks" = paste0("\\b(tweedie|beta_family|betabinomial|genpois|compois|t_family|ziGamma|lognormal|",
                                  "nbinom12|skewnormal|ordbeta|inverse\\.gaussian|negative\\.binomial|quasi[a-z]*|",
                                  "student|bell|gaussian\\(link\\s*=\\s*\"log\"\\)\\s*,\\s*dispformula)\\b"),
  "covariance structure other than us/diag" = "\\b(ou|ar1|cs|exp|gau|mat|toep|rr|homdiag|propto|hetar1|homcs|hetcs|equalto)\\((?:[^()]|\\([^()]*\\))*\\|",
  "priors" = "\\bpriors\\s*=|set_priors",
  "map" = "\\bmap\\s*=",
  "smooths" = "\\b(s|t2|te|ti)\\([^()]*\\)\\s*[+~)]|mgcv|gamm4",
  "lmList" = "lmList",
  "allFit" = "allFit",
  "nonlinear model" = "nlmer|nlformula|SSlogis|SSmicmen|deriv\\("
)

# In-scope blocks that test the peer's own object rather than the fit (its class, S4 slots of a
# merMod, the TMB object of a glmmTMB fit): counted as in scope, and reported separately.
peer_internals_marker <- paste0(
  "(,\\s*|is_a\\()\"(merMod|lmerMod|glmerMod|nlmerMod|glmmTMB|summary\\.merMod|summary\\.glmmTMB|coef\\.mer|ranef\\.mer|",
  "fixef\\.glmmTMB|VarCorr\\.merMod|VarCorr\\.glmmTMB)\"\\s*\\)|",
  "@(call|frame|optinfo|resp|pp|devcomp|theta|beta|u|flist|cnms|Gp|lower)\\b|\\$(obj|fit|sdr|modelInfo)\\b|up2date\\(")

# ------------------------------------------------------------------------------------------------
# Shared helpers (parent and child)

# Command-line arguments --name=value as a named list (flags without "=" are TRUE).
parse_args <- function(args) {
  out <- list()
  for (a in args) {
    if (!startsWith(a, "--")) next
    kv <- strsplit(sub("^--", "", a), "=", fixed = TRUE)[[1L]]
    out[[kv[1L]]] <- if (length(kv) > 1L) paste(kv[-1L], collapse = "=") else TRUE
  }
  out
}

# The deparsed text of an expression, on one line.
code_text <- function(expr) paste(deparse(expr, width.cutoff = 500L, control = NULL), collapse = " ")

# Names of the out-of-scope features an expression's text shows.
scope_markers <- function(text) {
  hits <- vapply(out_of_scope_markers, function(re) grepl(re, text, perl = TRUE), logical(1))
  names(out_of_scope_markers)[hits]
}

# ------------------------------------------------------------------------------------------------
# Parent: find the test files, run each in a child with a watchdog, summarize.

# The folder of a peer's testthat files (see the header for the order tried), or NULL.
peer_test_dir <- function(peer, opts) {
  src <- peer_sources[[peer]]
  if (!is.null(opts[[peer]])) return(normalizePath(opts[[peer]]))
  for (lib in .libPaths()) {
    d <- file.path(lib, peer, "tests", "testthat")
    if (dir.exists(d)) return(d)
  }
  roots <- c(strsplit(Sys.getenv("GLMMLAB_PEER_MIRRORS"), ":", fixed = TRUE)[[1L]], "/work/.mirror")
  for (root in roots[nzchar(roots)]) {
    git_dir <- file.path(root, src$mirror, "repo")
    if (!dir.exists(git_dir)) next
    dest <- file.path(tempdir(), paste0("peer_", peer))
    dir.create(dest, showWarnings = FALSE)
    cmd <- sprintf("(git --git-dir=%s archive %s %s 2>/dev/null) | tar -x -C %s", shQuote(git_dir), src$commit, src$path, shQuote(dest))
    if (system(cmd, ignore.stderr = TRUE) == 0L && dir.exists(file.path(dest, src$path))) return(file.path(dest, src$path))
  }
  NULL
}

# Run one test file in child processes (restarted after a block that overruns); its results.
run_file <- function(peer, dir, file, opts, script) {
  timeout <- as.numeric(if (is.null(opts$timeout)) 60 else opts$timeout)
  work <- tempfile("compat_")
  dir.create(work)
  results <- list()
  skip_blocks <- integer(0)
  skip_setup <- integer(0)
  repeat {
    spec <- list(peer = peer, dir = dir, file = file, lib = opts$lib, timeout = timeout, work = work,
                 skip_blocks = skip_blocks, skip_setup = skip_setup, fitting = peer_sources[[peer]]$fitting,
                 markers = out_of_scope_markers, internals = peer_internals_marker, lme4_level = if (is.null(opts$lme4_level)) "2" else opts$lme4_level)
    spec_path <- file.path(work, "spec.rds")
    saveRDS(spec, spec_path)
    status_path <- file.path(work, "status")
    unlink(status_path)
    log_path <- file.path(work, "child.log")
    proc <- processx::process$new(file.path(R.home("bin"), "Rscript"), c(script, paste0("--child=", spec_path)),
                                  stdout = log_path, stderr = "2>&1")
    killed <- NULL
    while (proc$is_alive()) {
      Sys.sleep(0.5)
      st <- if (file.exists(status_path)) tryCatch(readLines(status_path, warn = FALSE), error = function(e) character()) else character()
      if (length(st) >= 3L && difftime(Sys.time(), as.POSIXct(as.numeric(st[3L]), origin = "1970-01-01"), units = "secs") > timeout + 30) {
        proc$kill_tree()
        killed <- st
        break
      }
    }
    got <- list.files(work, pattern = "^block_.*[.]rds$", full.names = TRUE)
    for (g in got) { r <- readRDS(g); results[[as.character(r$index)]] <- r }
    done <- file.exists(file.path(work, "done"))
    if (done) break
    if (!is.null(killed)) {
      idx <- as.integer(killed[2L])
      if (killed[1L] == "block") {
        results[[as.character(idx)]] <- data.frame(peer = peer, file = file, index = idx, desc = paste(killed[-(1:3)], collapse = " "),
                                                   status = "timeout", scope = "in", reason = sprintf("timeout (> %g s, killed)", timeout), internals = FALSE,
                                                   stringsAsFactors = FALSE)
        skip_blocks <- c(skip_blocks, idx)
      } else skip_setup <- c(skip_setup, idx)
      next
    }
    # the child died without finishing: record the crash once and stop this file
    log <- if (file.exists(log_path)) tail(readLines(log_path, warn = FALSE), 5) else ""
    results[["crash"]] <- data.frame(peer = peer, file = file, index = NA_integer_, desc = "(child process)",
                                     status = "crash", scope = "in", reason = paste("child R process died:", paste(log, collapse = " | ")), internals = FALSE,
                                     stringsAsFactors = FALSE)
    break
  }
  unlink(work, recursive = TRUE)
  if (!length(results)) return(NULL)
  results <- lapply(results, function(r) { if (is.null(r$internals)) r$internals <- FALSE; r })
  out <- do.call(rbind, lapply(results, function(r) r[c("peer", "file", "index", "desc", "status", "scope", "reason", "internals")]))
  out[order(out$index), , drop = FALSE]
}

# Normalize a failure message into a cause shared by similar failures.
failure_cause <- function(reason) {
  r <- gsub("[\r\n]+", " ", reason)
  rules <- list(
    c("could not find function \"([^\"]+)\"", "missing function: \\1"),
    c("no applicable method for '([^']+)' applied to an object of class \"[^\"]*glmmlab[^\"]*\"", "no method for glmmlab: \\1"),
    c("no applicable method for '([^']+)'.*", "no applicable method: \\1"),
    c("unused arguments? \\(([a-zA-Z._]+).*", "glmm() does not take argument: \\1"),
    c(".*has no random-effect terms.*", "model without random effects refused"),
    c(".*inherits from `'glmmlab'` not .*|.*inherits from .glmmlab. not .*|.* is not TRUE.*inherits.*glmmlab.*", "class check (merMod / glmmTMB class expected)"),
    c(".*is not an S4 object.*|.*no slot of name.*|trying to get slot.*", "S4 slot access (merMod internals)"),
    c(".*\\$ operator is invalid for atomic vectors.*", "$ on an atomic vector"),
    c(".*(reached elapsed time limit|timeout).*", "timeout"),
    c(".*`?start`? .*|.*start\\$.*", "start values"),
    c(".*only one level.*", "grouping factor with one level"),
    c("^(.{0,90}).*", "\\1")
  )
  for (rule in rules) if (grepl(rule[1L], r, perl = TRUE)) return(sub(rule[1L], rule[2L], r, perl = TRUE))
  r
}

# Print the summary: counts per peer and overall, failures grouped by cause, out-of-scope reasons.
print_summary <- function(res, list_blocks = FALSE) {
  cat("\n==== glmmlab against the peers' own test suites ====\n")
  for (peer in c(unique(res$peer), "all")) {
    r <- if (peer == "all") res else res[res$peer == peer, ]
    ins <- r[r$scope == "in" & r$status != "skip", ]
    n_pass <- sum(ins$status == "pass")
    cat(sprintf("%-8s blocks: %3d | in scope (run, not skipped): %3d | pass: %3d (%.1f%%) | skipped: %d | out of scope: %d\n",
                peer, nrow(r), nrow(ins), n_pass, 100 * n_pass / max(nrow(ins), 1), sum(r$scope == "in" & r$status == "skip"),
                sum(r$scope != "in")))
  }
  ins <- res[res$scope == "in" & res$status != "skip", ]
  own <- ins[!ins$internals, ]
  cat(sprintf(paste("of the in-scope blocks, %d test the peer's own object (its class, merMod slots, the TMB object; %d of them pass);",
                    "without them: %d of %d pass (%.1f%%)\n"),
              sum(ins$internals), sum(ins$internals & ins$status == "pass"), sum(own$status == "pass"), nrow(own),
              100 * sum(own$status == "pass") / max(nrow(own), 1)))
  ins <- res[res$scope == "in" & !res$status %in% c("pass", "skip"), ]
  if (nrow(ins)) {
    cause <- vapply(ins$reason, failure_cause, "")
    tab <- sort(table(cause), decreasing = TRUE)
    cat("\n-- in-scope failures by cause (count: cause [blocks]) --\n")
    for (cz in names(tab)) {
      who <- ins[cause == cz, ]
      cat(sprintf("%3d: %s\n      [%s]\n", tab[[cz]], cz,
                  paste(sprintf("%s/%s#%s", who$peer, sub("^test-", "", sub("[.]R$", "", who$file)), who$index), collapse = ", ")))
    }
  }
  out <- res[res$scope != "in", ]
  if (nrow(out)) {
    cat("\n-- out of scope, by reason --\n")
    print(sort(table(out$reason), decreasing = TRUE))
  }
  if (list_blocks) {
    cat("\n-- in-scope blocks --\n")
    r <- res[res$scope == "in", ]
    for (i in seq_len(nrow(r))) cat(sprintf("%-7s %s%s/%s#%d %s: %s\n", r$status[i], if (r$internals[i]) "[internals] " else "", r$peer[i], r$file[i], r$index[i], r$desc[i],
                                            if (r$status[i] == "pass") "" else substr(gsub("\n", " ", r$reason[i]), 1, 160)))
  }
}

main_parent <- function(opts, script) {
  if (!requireNamespace("processx", quietly = TRUE)) stop("the harness needs the 'processx' package (child processes with a watchdog)")
  if (!is.null(opts$lib)) .libPaths(c(opts$lib, .libPaths()))
  peers <- if (is.null(opts$peer)) names(peer_sources) else strsplit(opts$peer, ",", fixed = TRUE)[[1L]]
  cat(sprintf("glmmlab %s from %s\n", utils::packageVersion("glmmlab"), dirname(find.package("glmmlab"))))
  all <- list()
  for (peer in peers) {
    dir <- peer_test_dir(peer, opts)
    if (is.null(dir)) { cat(sprintf("no test files found for %s (see the header for where they are looked for)\n", peer)); next }
    cat(sprintf("%s %s tests from %s (installed: %s)\n", peer, peer_sources[[peer]]$version, dir,
                tryCatch(as.character(utils::packageVersion(peer)), error = function(e) "no")))
    files <- sort(list.files(dir, pattern = "^test.*[.][rR]$"))
    if (!is.null(opts$files)) files <- grep(opts$files, files, value = TRUE)
    for (f in files) {
      t0 <- Sys.time()
      r <- run_file(peer, dir, f, opts, script)
      if (is.null(r)) next
      ins <- r[r$scope == "in" & r$status != "skip", ]
      cat(sprintf("  %-28s %3d blocks, %3d in scope, %3d pass  (%.0f s)\n", f, nrow(r), nrow(ins), sum(ins$status == "pass"),
                  as.numeric(difftime(Sys.time(), t0, units = "secs"))))
      all[[paste(peer, f)]] <- r
    }
  }
  res <- do.call(rbind, all)
  rownames(res) <- NULL
  if (!is.null(opts$out)) saveRDS(res, opts$out)
  print_summary(res, isTRUE(opts$list))
  invisible(res)
}

# ------------------------------------------------------------------------------------------------
# Child: evaluate one test file.

main_child <- function(spec_path) {
  spec <- readRDS(spec_path)
  if (!is.null(spec$lib)) .libPaths(c(spec$lib, .libPaths()))
  Sys.setenv(NOT_CRAN = "true", LME4_TEST_LEVEL = spec$lme4_level)
  options(warn = 1)
  suppressPackageStartupMessages({
    library(testthat)
    library(spec$peer, character.only = TRUE)
    loadNamespace("glmmlab")
  })
  setwd(spec$dir)
  state <- new.env()
  state$block <- 0L
  state$setup <- 0L
  state$fits <- list()   # top-level objects holding fits: name -> list(markers, error)
  env <- new.env(parent = asNamespace(spec$peer))
  install_redirects(env, spec, state)
  env$test_that <- function(desc, code) run_block(desc, substitute(code), parent.frame(), spec, state)
  env$context <- function(...) invisible()
  for (helper in list.files(spec$dir, pattern = "^(helper|setup).*[.][rR]$")) eval_file(helper, env, spec, state)
  eval_file(spec$file, env, spec, state)
  file.create(file.path(spec$work, "done"))
}

# Write the child's status (what it runs now, and since when) for the parent's watchdog.
set_status <- function(spec, kind, index, desc = "") {
  writeLines(c(kind, index, format(as.numeric(Sys.time()), digits = 15), desc), file.path(spec$work, "status"))
}

# Evaluate a file's top-level expressions in env, each with the time limit; fits are recorded.
eval_file <- function(file, env, spec, state) {
  exprs <- tryCatch(parse(file, keep.source = FALSE), error = function(e) expression())
  eval_sequence(as.list(exprs), env, spec, state)
}

# Evaluate expressions in order, as top-level code: `{ ... }` and the branch an `if` takes are
# flattened (glmmTMB's make_ex.R fits everything inside one if/else), so that one failing fit
# does not lose the others; each plain expression gets the time limit and is recorded as a fit
# when it assigns one.
eval_sequence <- function(exprs, env, spec, state) {
  for (e in exprs) {
    e <- rewrite_calls(e, spec$fitting)
    if (is.call(e) && identical(e[[1L]], as.name("{"))) {
      eval_sequence(as.list(e)[-1L], env, spec, state)
      next
    }
    if (is.call(e) && identical(e[[1L]], as.name("if"))) {
      cond <- tryCatch(isTRUE(as.logical(eval(e[[2L]], env))), error = function(err) NA)
      if (is.na(cond)) next
      branch <- if (cond) e[[3L]] else if (length(e) > 3L) e[[4L]] else NULL
      if (!is.null(branch)) eval_sequence(list(branch), env, spec, state)
      next
    }
    contains_block <- "test_that" %in% all.names(e)
    if (!contains_block) {
      state$setup <- state$setup + 1L
      if (state$setup %in% spec$skip_setup) next
      set_status(spec, "setup", state$setup)
    }
    err <- tryCatch({
      if (contains_block) eval(e, env) else with_time_limit(spec$timeout, eval(e, env))
      NULL
    }, error = function(err) conditionMessage(err))
    if (!contains_block) record_fit(e, env, spec, state, err)
  }
}

# Evaluate expr with an elapsed-time limit (seconds).
with_time_limit <- function(seconds, expr) {
  setTimeLimit(elapsed = seconds, transient = TRUE)
  on.exit(setTimeLimit(elapsed = Inf))
  expr
}

# `pkg::fun(...)` for the suite's fitting functions -> `fun(...)` (the wrappers).
rewrite_calls <- function(e, fitting) {
  if (is.call(e)) {
    head <- e[[1L]]
    if (is.call(head) && as.character(head[[1L]]) %in% c("::", ":::") && as.character(head[[3L]]) %in% fitting) {
      e[[1L]] <- as.name(as.character(head[[3L]]))
    }
    for (i in seq_along(e)) if (!is.null(e[[i]]) && !missing_arg(e[[i]])) e[[i]] <- rewrite_calls(e[[i]], fitting)
  } else if (is.expression(e) || is.pairlist(e)) {
    for (i in seq_along(e)) if (!is.null(e[[i]]) && !missing_arg(e[[i]])) e[[i]] <- rewrite_calls(e[[i]], fitting)
  }
  e
}
missing_arg <- function(x) identical(x, quote(expr = ))

# Assignments in a top-level expression (also inside calls such as suppressWarnings(m <- ...),
# not inside function definitions) whose value uses a fitting function (or a recorded fit) record
# their target as a fit, with the out-of-scope markers of its code and those it inherits.
record_fit <- function(e, env, spec, state, err) {
  for (a in find_assignments(e)) {
    names_used <- all.names(a[[3L]])
    uses <- intersect(names_used, names(state$fits))
    if (!any(spec$fitting %in% names_used) && !length(uses)) next
    markers <- unique(c(scope_markers(code_text(e)), unlist(lapply(state$fits[uses], `[[`, "markers"))))
    state$fits[[as.character(a[[2L]])]] <- list(markers = markers, error = err)
  }
  invisible()
}

# The assignment calls `name <- value` in an expression, outside function definitions.
find_assignments <- function(e) {
  if (!is.call(e)) return(list())
  head <- if (is.name(e[[1L]])) as.character(e[[1L]]) else ""
  if (head == "function") return(list())
  here <- if (head %in% c("<-", "=", "<<-") && is.name(e[[2L]])) list(e) else list()
  rest <- unlist(lapply(as.list(e)[-1L], function(x) if (missing_arg(x)) list() else find_assignments(x)), recursive = FALSE)
  c(here, rest)
}

# Wrappers for the suite's fitting functions, with the peer's formals and defaults; each calls
# glmmlab::glmm() with the arguments as given (evaluated where the call was made), so that the
# fit's call holds the user's expressions.
install_redirects <- function(env, spec, state) {
  redirect <- function(extra) {
    force(extra)
    function(...) {
      mc <- match.call()
      mc[[1L]] <- quote(glmmlab::glmm)
      for (nm in names(extra)) if (is.null(mc[[nm]])) mc[[nm]] <- extra[[nm]]
      eval(mc, parent.frame())
    }
  }
  fns <- list(
    lmer = function(formula, data = NULL, REML = TRUE, control, start = NULL, verbose = 0L, subset, weights,
                    na.action, offset, contrasts = NULL, devFunOnly) NULL,
    glmer = function(formula, data = NULL, family = gaussian, control, start = NULL, verbose = 0L, nAGQ = 1L,
                     subset, weights, na.action, offset, contrasts = NULL, mustart, etastart, devFunOnly) NULL,
    glmer.nb = function(formula, data = NULL, ..., interval, tol, verbose, nb.control, initCtrl) NULL,
    glmmTMB = function(formula, data = NULL, family = gaussian(), ziformula, dispformula, weights, offset,
                       contrasts, na.action, se, verbose, doFit, control, REML, start, map, sparseX) NULL
  )
  extras <- list(lmer = list(REML = TRUE), glmer = list(), glmer.nb = list(family = quote(glmmlab::nbinom2)), glmmTMB = list())
  for (f in spec$fitting) {
    w <- redirect(extras[[f]])
    formals(w) <- formals(fns[[f]])
    env[[f]] <- w
    assign(f, w, envir = globalenv())   # helper files sourced into the global environment
  }
  # the peers' stored fits are refitted from their calls
  if (spec$peer == "lme4") env$load <- function(file, envir = parent.frame(), verbose = FALSE) {
    loaded <- base::load(file, envir = envir, verbose = verbose)
    for (nm in loaded) {
      obj <- get(nm, envir = envir)
      if (!inherits(obj, "merMod")) next
      refit <- refit_stored(obj, envir, env)
      state$fits[[nm]] <- list(markers = scope_markers(code_text(stats::getCall(obj))), error = refit$error)
      if (is.null(refit$error)) assign(nm, refit$fit, envir = envir) else rm(list = nm, envir = envir)
    }
    invisible(loaded)
  }
  if (spec$peer == "glmmTMB") env$gt_load <- function(...) FALSE   # setup then sources make_ex.R (rebuilt)
  # the peers' non-generic functions that cannot work on another class (see the header)
  if (spec$peer == "glmmTMB") env$diagnose <- getExportedValue("glmmlab", "diagnose")
  # sourced files run as top-level code too (make_ex.R's fits are recorded); nothing is saved
  env$source <- function(file, local = FALSE, chdir = FALSE, ...) {
    target <- if (isTRUE(local)) parent.frame() else if (is.environment(local)) local else globalenv()
    if (chdir) { owd <- setwd(dirname(file)); on.exit(setwd(owd)) }
    eval_sequence(as.list(parse(file, keep.source = FALSE)), target, spec, state)
    invisible()
  }
  assign("source", env$source, envir = globalenv())
  assign("save.image", function(...) invisible(), envir = globalenv())
  invisible()
}

# A stored lme4 fit refitted by glmm() from its call, its data completed by the columns of the
# fit's frame it lacks (lme4 stores the frame: cbpp's `obs` was added before fitting):
# list(fit, error).
refit_stored <- function(obj, envir, env) {
  cl <- stats::getCall(obj)
  cl[[1L]] <- as.name(as.character(cl[[1L]]))
  frame <- obj@frame
  plain <- names(frame)[make.names(names(frame)) == names(frame)]
  original <- tryCatch(eval(cl$data, envir), error = function(e) NULL)
  data <- if (is.null(original)) frame[plain] else original
  extra <- setdiff(plain, names(data))
  if (length(extra) && nrow(data) == nrow(frame)) data[extra] <- frame[extra]
  if (!identical(data, original)) {
    data_name <- paste0(".refit_data_", if (is.name(cl$data)) as.character(cl$data) else "frame")
    assign(data_name, data, envir = envir)
    cl$data <- as.name(data_name)
  }
  tryCatch(list(fit = suppressMessages(eval(cl, env)), error = NULL),
           error = function(e) list(fit = NULL, error = conditionMessage(e)))
}

# Run one test_that() block (or record why it is not run); writes block_<index>.rds.
run_block <- function(desc, code, where, spec, state) {
  state$block <- state$block + 1L
  index <- state$block
  if (index %in% spec$skip_blocks) return(invisible())
  scope <- block_scope(code, where, spec, state)
  row <- data.frame(peer = spec$peer, file = spec$file, index = index, desc = desc, status = NA_character_,
                    scope = scope$scope, reason = scope$reason,
                    internals = grepl(spec$internals, code_text(code), perl = TRUE), stringsAsFactors = FALSE)
  if (scope$scope == "in") {
    set_status(spec, "block", index, desc)
    outcome <- run_test_code(desc, code, where, spec$timeout)
    row$status <- outcome$status
    row$reason <- outcome$reason
    if (outcome$status %in% c("fail", "error")) row$reason <- explain_missing_fit(row$reason, state)
  } else row$status <- "out"
  saveRDS(row, file.path(spec$work, sprintf("block_%04d.rds", index)))
  invisible()
}

# In or out of scope, and why: the block's own code, then the recorded fits it uses.
block_scope <- function(code, where, spec, state) {
  names_used <- all.names(code)
  fits_used <- intersect(names_used, names(state$fits))
  markers <- unique(c(scope_markers(code_text(code)), unlist(lapply(state$fits[fits_used], `[[`, "markers"))))
  if (length(markers)) return(list(scope = "out", reason = markers[1L]))
  fits_here <- any(spec$fitting %in% names_used) || length(fits_used) > 0L
  if (!fits_here) {
    # a loaded fit (refitted) or any glmmlab object reachable by name also counts
    found <- vapply(setdiff(names_used, c("T", "F")), function(nm) {
      obj <- get0(nm, envir = where, inherits = TRUE)
      inherits(obj, "glmmlab")
    }, logical(1))
    fits_here <- any(found)
  }
  if (!fits_here) return(list(scope = "out", reason = "does not depend on a fitted model"))
  list(scope = "in", reason = "")
}

# Evaluate test_that(desc, code) under a ListReporter with a time limit: list(status, reason).
run_test_code <- function(desc, code, where, timeout) {
  reporter <- testthat::ListReporter$new()
  call <- call("test_that", desc, code)
  call[[1L]] <- quote(testthat::test_that)
  res <- tryCatch({
    with_time_limit(timeout, testthat::with_reporter(reporter, eval(call, where), start_end_reporter = TRUE))
    NULL
  }, error = function(e) list(status = "error", reason = conditionMessage(e)))
  if (!is.null(res)) return(res)
  results <- unlist(lapply(reporter$get_results(), `[[`, "results"), recursive = FALSE)
  kinds <- vapply(results, function(r) class(r)[1L], "")
  msg <- function(k) conditionMessage(results[[which(kinds == k)[1L]]])
  if (any(kinds == "expectation_error")) {
    m <- msg("expectation_error")
    return(list(status = if (grepl("elapsed time limit", m)) "timeout" else "error", reason = m))
  }
  if (any(kinds == "expectation_failure")) return(list(status = "fail", reason = msg("expectation_failure")))
  if (any(kinds == "expectation_skip") && !any(kinds == "expectation_success")) return(list(status = "skip", reason = msg("expectation_skip")))
  list(status = "pass", reason = "")
}

# "object 'fm3' not found" where fm3 was a top-level fit that failed: that fit's error instead
# (followed through fits made from failed fits).
explain_missing_fit <- function(reason, state, depth = 0L) {
  m <- regmatches(reason, regexec("object '([^']+)' not found", reason))[[1L]]
  if (length(m) == 2L && depth < 5L && !is.null(state$fits[[m[2L]]]$error)) {
    return(explain_missing_fit(paste0("setup fit ", m[2L], " failed: ", state$fits[[m[2L]]]$error), state, depth + 1L))
  }
  reason
}

# ------------------------------------------------------------------------------------------------

local({
  args <- commandArgs(trailingOnly = TRUE)
  opts <- parse_args(args)
  script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L])
  if (!is.null(opts$child)) main_child(opts$child) else main_parent(opts, normalizePath(script))
})
