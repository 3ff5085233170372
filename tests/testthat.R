# Runs the test suite under R CMD check; interactively use testthat::test_local(".").
library(testthat)
library(glmmlab)

test_check("glmmlab")
