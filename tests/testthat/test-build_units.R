# The C++ sources compile as two translation units (src/unit_lmm.cpp, src/unit_glmm.cpp; see
# src/Makevars): every .cpp file must be #included by exactly one unit and listed with it in
# Makevars (or a changed file would not rebuild its unit), and every header listed, so that a
# file added to src/ cannot silently drop out of the build. Runs from a source tree only.

src_dir <- function() {
  d <- file.path("..", "..", "src")
  if (!file.exists(file.path(d, "Makevars"))) skip("the package's src/ is not beside the tests (an installed check)")
  d
}

# The file names a make variable lists in Makevars (continuation lines joined).
makevars_list <- function(lines, name) {
  text <- paste(lines, collapse = "\n")
  text <- gsub("\\\\\n", " ", text)
  line <- grep(paste0("^", name, " ="), strsplit(text, "\n")[[1L]], value = TRUE)
  expect_length(line, 1L)
  strsplit(trimws(sub(paste0("^", name, " ="), "", line)), "[[:space:]]+")[[1L]]
}

test_that("every C++ source is compiled in exactly one unit, and Makevars lists it and every header", {
  d <- src_dir()
  sources <- setdiff(list.files(d, "\\.cpp$"), c("unit_lmm.cpp", "unit_glmm.cpp", "unit_avx2.cpp"))
  headers <- list.files(d, "\\.h$")
  included <- function(unit) sub('^#include "(.*)"$', "\\1", grep("^#include", readLines(file.path(d, unit)), value = TRUE))
  in_lmm <- included("unit_lmm.cpp")
  in_glmm <- included("unit_glmm.cpp")
  expect_setequal(c(in_lmm, in_glmm), sources)
  expect_length(intersect(in_lmm, in_glmm), 0L)
  for (mk in c("Makevars", "Makevars.win")) {
    lines <- readLines(file.path(d, mk))
    expect_setequal(makevars_list(lines, "LMM_SOURCES"), in_lmm)
    expect_setequal(makevars_list(lines, "GLMM_SOURCES"), in_glmm)
    expect_setequal(makevars_list(lines, "HEADERS"), headers)
    expect_setequal(makevars_list(lines, "OBJECTS"), c("unit_lmm.o", "unit_glmm.o", "unit_avx2.o"))
  }
})
