# formula.R: stage 1 of the pipeline. Split a mixed-model formula into its fixed part and its
# random-effect terms `(lhs | group)` (unstructured) or `(lhs || group)` (diagonal), expanding `/`
# (nesting), and expand `.` in the fixed part.

# The random-effect terms of a formula, as a list of list(lhs, group, structure): `(a | g)` and
# `us(a | g)` are "us" terms (unstructured covariance), `(a || g)` and `diag(a | g)` "diag" terms
# (uncorrelated columns, one term as glmmTMB has it); other covariance structures are an error.
find_re_terms <- function(formula) {
  rhs <- formula[[length(formula)]]
  terms <- collect_structured_bars(rhs)
  unlist(lapply(terms, expand_re_term), recursive = FALSE)
}

# glmmTMB's covariance structures: those glmm() fits, and the others (named in an error).
supported_structures <- c("us", "diag")
other_structures <- c("cs", "ar1", "ou", "exp", "gau", "mat", "toep", "rr", "homdiag", "propto", "hetar1", "homcs", "equalto")

# The name of a call's function when it is a plain name ("" otherwise, e.g. for splines::ns).
call_name <- function(expr) if (is.call(expr) && is.name(expr[[1L]])) as.character(expr[[1L]]) else ""

# Is expr a covariance-structure call such as diag(x | g)? (Its argument is a bar term.)
is_structure_call <- function(expr) {
  call_name(expr) %in% c(supported_structures, other_structures) && length(expr) == 2L &&
    call_name(expr[[2L]]) %in% c("|", "||")
}

# Walk a formula's right-hand side and return every `(a | b)`, `(a || b)` or `diag(a | b)`
# call, each as list(bar, structure).
collect_structured_bars <- function(expr) {
  if (!is.call(expr)) return(list())
  head <- call_name(expr)
  if (head == "|") return(list(list(bar = expr, structure = "us")))
  if (head == "||") return(list(list(bar = expr, structure = "diag")))
  if (is_structure_call(expr)) {
    if (head %in% other_structures) {
      stop(sprintf("covariance structure %s() is not available in glmm(): use (terms | group) for an unstructured covariance or (terms || group) / diag(terms | group) for uncorrelated random effects",
                   head), call. = FALSE)
    }
    return(list(list(bar = expr[[2L]], structure = if (call_name(expr[[2L]]) == "||") "diag" else head)))
  }
  if (head == "(") return(collect_structured_bars(expr[[2L]]))
  if (head %in% c("+", "-", "~")) {
    return(unlist(lapply(as.list(expr)[-1L], collect_structured_bars), recursive = FALSE))
  }
  list()
}

# Every bar call `(a | b)` or `(a || b)` of an expression (those inside diag() too), in order.
collect_bars <- function(expr) lapply(collect_structured_bars(expr), `[[`, "bar")

# One bar -> list of terms: `a/b` in the grouping becomes the two terms `b:a` and `a`
# (innermost first), each with the bar's left-hand side and structure.
expand_re_term <- function(found) {
  bar <- found$bar
  lapply(expand_slash(bar[[3L]]), function(g) list(lhs = bar[[2L]], group = g, structure = found$structure))
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

# The formula without its random-effect terms (the fixed part), keeping its environment.
fixed_formula <- function(formula) {
  rhs <- drop_bars(formula[[length(formula)]])
  if (is.null(rhs)) rhs <- 1
  out <- if (length(formula) == 3L) call("~", formula[[2L]], rhs) else call("~", rhs)
  stats::as.formula(out, env = environment(formula))
}

# Remove bar terms (and covariance-structure calls around them) from an expression; NULL when
# nothing is left.
drop_bars <- function(expr) {
  if (!is.call(expr)) return(expr)
  head <- call_name(expr)
  if (head %in% c("|", "||") || is_structure_call(expr)) return(NULL)
  if (head == "(" && (call_name(expr[[2L]]) %in% c("|", "||") || is_structure_call(expr[[2L]]))) return(NULL)
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
    if (call_name(g) %in% c("/", ":")) return(call("+", as_sum(g[[2L]]), as_sum(g[[3L]])))
    g
  }
  sub <- function(e) {
    if (!is.call(e)) return(e)
    head <- call_name(e)
    if (head %in% c("|", "||")) return(call("+", e[[2L]], as_sum(e[[3L]])))
    if (is_structure_call(e)) return(sub(e[[2L]]))
    if (head %in% c("+", "(")) for (i in seq_along(e)[-1L]) e[[i]] <- sub(e[[i]])
    e
  }
  rhs <- sub(formula[[length(formula)]])
  out <- if (length(formula) == 3L) call("~", formula[[2L]], rhs) else call("~", rhs)
  stats::as.formula(out, env = environment(formula))
}

# The formula with `||` terms written out as lme4 does, (x || g) -> (1 | g) + (0 + x | g), so that
# update() can remove one of them (update(m, . ~ . - (0 + x | g))).
expand_double_bars <- function(formula) {
  expand <- function(e) {
    if (!is.call(e)) return(e)
    head <- call_name(e)
    if (head == "(" && call_name(e[[2L]]) == "||") return(expand(e[[2L]]))
    if (head == "||") {
      tt <- stats::terms(stats::as.formula(call("~", e[[2L]])))
      parts <- lapply(attr(tt, "term.labels"), function(lab) call("(", call("|", str2lang(paste("0 +", lab)), e[[3L]])))
      if (attr(tt, "intercept") == 1L) parts <- c(list(call("(", call("|", 1, e[[3L]]))), parts)
      return(Reduce(function(a, b) call("+", a, b), parts))
    }
    if (head %in% c("+", "-", "(")) for (i in seq_along(e)[-1L]) e[[i]] <- expand(e[[i]])
    e
  }
  out <- formula
  out[[length(out)]] <- expand(formula[[length(formula)]])
  out
}

# Text of a grouping expression as glmmTMB and lme4 print it (e.g. "patch:pop").
group_label <- function(g) paste(deparse(g, width.cutoff = 500L), collapse = "")

# `.` in the fixed part expanded as lm() and lme4 do: every column of `data` that is not in the
# response; the random-effect terms are kept as they are.
expand_dot <- function(formula, data) {
  if (length(formula) != 3L || !"." %in% all.vars(formula[[3L]])) return(formula)
  if (!is.data.frame(data)) {
    stop("`.` in the formula stands for the other columns of `data`, so `data` must be a data frame", call. = FALSE)
  }
  fixed <- stats::formula(stats::terms(fixed_formula(formula), data = data, simplify = TRUE))
  rhs <- Reduce(function(a, b) call("+", a, b), c(list(fixed[[3L]]), bar_expressions(formula[[3L]])))
  stats::as.formula(call("~", formula[[2L]], rhs), env = environment(formula))
}

# The random-effect terms of an expression as written, e.g. `(x | g)` or `diag(x | g)`.
bar_expressions <- function(expr) {
  if (!is.call(expr)) return(list())
  head <- call_name(expr)
  if (head %in% c("|", "||") || is_structure_call(expr)) return(list(expr))
  if (head == "(" && (call_name(expr[[2L]]) %in% c("|", "||") || is_structure_call(expr[[2L]]))) return(list(expr))
  if (head %in% c("+", "(")) return(unlist(lapply(as.list(expr)[-1L], bar_expressions), recursive = FALSE))
  list()
}
