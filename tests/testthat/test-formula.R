# Formula parsing (R/formula.R): random-effect terms with `||` and `/` expanded, the fixed part,
# the model-frame formula, and group labels.

# Each term of find_re_terms() as the text "lhs | group".
re_term_text <- function(formula) {
  vapply(glmmlab:::find_re_terms(formula), function(t) {
    paste(deparse(t$lhs), "|", glmmlab:::group_label(t$group))
  }, "")
}

test_that("find_re_terms finds every bar term, in formula order, inside parentheses", {
  expect_equal(re_term_text(y ~ x + (1 | g)), "1 | g")
  expect_equal(re_term_text(y ~ (x | g) + z + (1 | h)), c("x | g", "1 | h"))
  expect_equal(re_term_text(y ~ x + (0 + x | g)), "0 + x | g")
  expect_equal(re_term_text(y ~ x), character())
  expect_equal(re_term_text(~ (1 | g)), "1 | g")
  expect_equal(re_term_text(y ~ x - 1 + (1 | g)), "1 | g")
})

test_that("`||` is one term with a diagonal covariance (glmmTMB's diag), written out by expand_double_bars() as lme4 does", {
  expect_equal(re_term_text(y ~ (x || g)), "x | g")
  expect_equal(vapply(glmmlab:::find_re_terms(y ~ (x || g) + (z | h) + diag(w | k)), `[[`, "", "structure"), c("diag", "us", "diag"))
  expect_equal(re_term_text(y ~ (x + z || g)), "x + z | g")
  expect_equal(re_term_text(y ~ us(x | g)), "x | g")
  expect_equal(glmmlab:::expand_double_bars(y ~ (x || g)), y ~ (1 | g) + (0 + x | g), ignore_attr = TRUE)
  expect_equal(glmmlab:::expand_double_bars(y ~ (0 + x + z || g)), y ~ (0 + x | g) + (0 + z | g), ignore_attr = TRUE)
  expect_equal(glmmlab:::expand_double_bars(y ~ (x:z || g)), y ~ (1 | g) + (0 + x:z | g), ignore_attr = TRUE)
})

test_that("`/` expands nesting innermost first, named inner:outer as lme4 and glmmTMB do", {
  expect_equal(re_term_text(y ~ (1 | pop / patch)), c("1 | patch:pop", "1 | pop"))
  expect_equal(re_term_text(y ~ (1 | a / b / c)), c("1 | c:b:a", "1 | b:a", "1 | a"))
  expect_equal(re_term_text(y ~ (x | a / b)), c("x | b:a", "x | a"))
  expect_equal(re_term_text(y ~ (x || a / b)), c("x | b:a", "x | a"))
  expect_equal(re_term_text(y ~ (1 | (a / b) / c)), c("1 | c:b:a", "1 | b:a", "1 | a"))
  expect_equal(re_term_text(y ~ (1 | a:b)), "1 | a:b")
})

test_that("fixed_formula drops the bar terms and keeps the rest and the environment", {
  env <- new.env()
  f <- y ~ x + (1 | g) + z
  environment(f) <- env
  ff <- glmmlab:::fixed_formula(f)
  expect_equal(ff, y ~ x + z, ignore_attr = TRUE)
  expect_identical(environment(ff), env)
  expect_equal(glmmlab:::fixed_formula(y ~ (1 | g)), y ~ 1, ignore_attr = TRUE)
  expect_equal(glmmlab:::fixed_formula(y ~ 0 + (1 | g)), y ~ 0, ignore_attr = TRUE)
  expect_equal(glmmlab:::fixed_formula(y ~ x - 1 + (x || g)), y ~ x - 1, ignore_attr = TRUE)
  expect_equal(glmmlab:::fixed_formula(y ~ x * z + offset(o) + (1 | a / b)), y ~ x * z + offset(o), ignore_attr = TRUE)
  expect_equal(glmmlab:::fixed_formula(cbind(k, n - k) ~ x + (1 | g)), cbind(k, n - k) ~ x, ignore_attr = TRUE)
})

test_that("frame_formula names every variable and keeps a ratio response as it is", {
  ff <- glmmlab:::frame_formula(incidence / size ~ period + (1 | herd))
  expect_equal(ff[[2L]], quote(incidence / size))
  expect_setequal(all.vars(ff), c("incidence", "size", "period", "herd"))
  ff <- glmmlab:::frame_formula(UBW ~ LBW + (1 | pop / patch))
  expect_setequal(all.vars(ff), c("UBW", "LBW", "pop", "patch"))
  expect_false(any(c("/", ":") %in% all.names(ff[[3L]])))   # nesting turned into sums on the right
  ff <- glmmlab:::frame_formula(y ~ x + (0 + z || a:b))
  expect_setequal(all.vars(ff), c("y", "x", "z", "a", "b"))
  # the model frame built from it has the ratio as its response column
  dat <- data.frame(incidence = c(1, 2, 0, 3), size = c(4, 4, 5, 6), period = 1:4, herd = c("a", "a", "b", "b"))
  mf <- model.frame(glmmlab:::frame_formula(incidence / size ~ period + (1 | herd)), dat)
  expect_equal(unname(model.response(mf)), dat$incidence / dat$size)
})

test_that("group labels print as glmmTMB and lme4 print them", {
  expect_equal(glmmlab:::group_label(quote(patch:pop)), "patch:pop")
  expect_equal(glmmlab:::group_label(quote(g)), "g")
  expect_equal(glmmlab:::group_label(as.name("study site")), "study site")
  long <- as.call(c(as.name(":"), as.name(strrep("a", 300)), as.name(strrep("b", 300))))
  expect_length(glmmlab:::group_label(long), 1L)
})
