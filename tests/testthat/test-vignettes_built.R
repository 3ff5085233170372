# test-vignettes_built.R: the vignette outputs committed in inst/doc and their index
# build/vignette.rds (which `R CMD INSTALL .` installs, since it never builds vignettes) match the
# sources in vignettes/. Rebuild them with `bash tools/build-vignettes.sh`. Runs in a source tree
# (the README's test command); R CMD check, which builds them itself, has no vignettes/ beside its tests.

test_that("every vignette has committed, current outputs in inst/doc and an entry in build/vignette.rds", {
  root <- test_path("..", "..")
  skip_if_not(dir.exists(file.path(root, "vignettes")) && file.exists(file.path(root, "DESCRIPTION")),
              "not run from a source tree")
  rebuild <- "; rebuild them with `bash tools/build-vignettes.sh`"
  sources <- list.files(file.path(root, "vignettes"), pattern = "[.]Rmd$")
  index_file <- file.path(root, "build", "vignette.rds")
  expect_true(file.exists(index_file), label = paste0("build/vignette.rds exists", rebuild))
  index <- readRDS(index_file)
  expect_setequal(index$File, sources)
  for (f in sources) {
    built_source <- file.path(root, "inst", "doc", f)
    expect_true(file.exists(built_source), label = paste0("inst/doc/", f, " exists", rebuild))
    expect_identical(readLines(built_source, warn = FALSE), readLines(file.path(root, "vignettes", f), warn = FALSE),
                     label = paste0("inst/doc/", f, " (built from an older vignettes/", f, rebuild, ")"))
    html <- index$PDF[index$File == f]
    expect_length(html, 1L)
    expect_true(file.exists(file.path(root, "inst", "doc", html)), label = paste0("inst/doc/", html, " exists", rebuild))
  }
  # the chapter vignette shows the chapter's numbers from the course data
  chapter_html <- readLines(file.path(root, "inst", "doc", "glmmlab.html"), warn = FALSE)
  expect_true(any(grepl("1790.8", chapter_html, fixed = TRUE)))
  expect_true(any(grepl("patch:pop", chapter_html, fixed = TRUE)))
})
