# formula.R: stage 1 of the pipeline. Split a mixed-model formula into its fixed part and its
# random-effect terms `(lhs | group)`, expanding `||` (uncorrelated) and `/` (nesting).

# The random-effect terms of a formula, as a list of list(lhs, group) language objects.
find_re_terms <- function(formula) {
  rhs <- formula[[length(formula)]]
  terms <- collect_bars(rhs)
  unlist(lapply(terms, expand_re_term), recursive = FALSE)
}

# Walk a formula's right-hand side and return every `(a | b)` or `(a || b)` call.
collect_bars <- function(expr) {
  if (!is.call(expr)) return(list())
  head <- as.character(expr[[1L]])
  if (head %in% c("|", "||")) return(list(expr))
  if (head == "(") return(collect_bars(expr[[2L]]))
  if (head %in% c("+", "-") || head == "~") {
    return(unlist(lapply(as.list(expr)[-1L], collect_bars), recursive = FALSE))
  }
  list()
}

# One bar call -> list of terms: `||` splits the left side into uncorrelated terms and
# `a/b` in the grouping becomes the two terms `b:a` and `a` (innermost first).
expand_re_term <- function(bar) {
  lhs <- bar[[2L]]
  groups <- expand_slash(bar[[3L]])
  lhs_list <- if (identical(as.character(bar[[1L]]), "||")) split_double_bar(lhs) else list(lhs)
  out <- list()
  for (g in groups) for (l in lhs_list) out[[length(out) + 1L]] <- list(lhs = l, group = g)
  out
}

# Grouping expression `a/b/c` -> list(c:b:a, b:a, a) (glmmTMB's names); anything else unchanged.
expand_slash <- function(g) {
  if (is.call(g) && identical(g[[1L]], as.name("("))) return(expand_slash(g[[2L]]))
  if (is.call(g) && identical(g[[1L]], as.name("/"))) {
    outer <- expand_slash(g[[2L]])
    return(c(list(prepend_interaction(g[[3L]], outer[[1L]])), outer))
  }
  list(g)
}

# `inner` joined to the front of the interaction `outer`, flat: c + (b:a) -> c:b:a, not c:(b:a).
prepend_interaction <- function(inner, outer) {
  if (is.call(outer) && identical(outer[[1L]], as.name(":"))) {
    outer[[2L]] <- prepend_interaction(inner, outer[[2L]])
    return(outer)
  }
  call(":", inner, outer)
}

# `(x + z || g)` -> intercept alone, then each other term without intercept.
split_double_bar <- function(lhs) {
  tt <- stats::terms(stats::as.formula(call("~", lhs)))
  labels <- attr(tt, "term.labels")
  out <- list()
  if (attr(tt, "intercept") == 1L) out[[1L]] <- 1
  for (lab in labels) out[[length(out) + 1L]] <- str2lang(paste("0 +", lab))
  out
}

# The formula without its random-effect terms (the fixed part), keeping its environment.
fixed_formula <- function(formula) {
  rhs <- drop_bars(formula[[length(formula)]])
  if (is.null(rhs)) rhs <- 1
  out <- if (length(formula) == 3L) call("~", formula[[2L]], rhs) else call("~", rhs)
  stats::as.formula(out, env = environment(formula))
}

# Remove bar terms from an expression; NULL when nothing is left.
drop_bars <- function(expr) {
  if (!is.call(expr)) return(expr)
  head <- as.character(expr[[1L]])
  if (head %in% c("|", "||")) return(NULL)
  if (head == "(" && is.call(expr[[2L]]) && as.character(expr[[2L]][[1L]]) %in% c("|", "||")) return(NULL)
  if (head == "+" && length(expr) == 3L) {
    a <- drop_bars(expr[[2L]])
    b <- drop_bars(expr[[3L]])
    if (is.null(a)) return(b)
    if (is.null(b)) return(a)
    return(call("+", a, b))
  }
  if (head == "-" && length(expr) == 3L) {
    a <- drop_bars(expr[[2L]])
    if (is.null(a)) return(call("-", expr[[3L]]))
    return(call("-", a, expr[[3L]]))
  }
  expr
}

# A formula naming every variable the model needs, for model.frame(): each `(lhs | g)` becomes
# `lhs + g` with the nesting and interaction operators of g turned into `+`; the response and
# fixed terms are left alone (so `incidence / size ~ ...` stays a ratio).
frame_formula <- function(formula) {
  as_sum <- function(g) {
    if (is.call(g) && as.character(g[[1L]]) %in% c("/", ":")) return(call("+", as_sum(g[[2L]]), as_sum(g[[3L]])))
    g
  }
  sub <- function(e) {
    if (!is.call(e)) return(e)
    head <- as.character(e[[1L]])
    if (head %in% c("|", "||")) return(call("+", e[[2L]], as_sum(e[[3L]])))
    if (head %in% c("+", "(")) for (i in seq_along(e)[-1L]) e[[i]] <- sub(e[[i]])
    e
  }
  rhs <- sub(formula[[length(formula)]])
  out <- if (length(formula) == 3L) call("~", formula[[2L]], rhs) else call("~", rhs)
  stats::as.formula(out, env = environment(formula))
}

# Text of a grouping expression as glmmTMB and lme4 print it (e.g. "patch:pop").
group_label <- function(g) paste(deparse(g, width.cutoff = 500L), collapse = "")
