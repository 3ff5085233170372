#' glmmlab: fast linear and generalized linear mixed models
#'
#' Fits mixed models with [glmm()], a drop-in for `glmmTMB()` in course material: the same
#' formulas, the same numbers, and the methods users expect (`summary`, `VarCorr`, `fixef`,
#' `ranef`, `coef`, `predict`, ...). The C++ core computes the profiled deviance of linear mixed
#' models by penalized least squares with a sparse Cholesky factor.
#'
#' @keywords internal
#' @useDynLib glmmlab, .registration = TRUE
#' @importFrom Rcpp evalCpp
#' @importFrom stats gaussian simulate
#' @importFrom nloptr nloptr
"_PACKAGE"
