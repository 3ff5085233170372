// unit_glmm.cpp: the second of glmmlab's two translation units (see Makevars): the GLMM core, the
// penalized system and its blocked factor, the zero-inflation model and the R entry points.
#include "glmm_core.cpp"
#include "penalized_system.cpp"
#include "blocked_cholesky.cpp"
#include "glm_start.cpp"
#include "observation_model.cpp"
#include "zero_laplace.cpp"
#include "exports_core.cpp"
#include "RcppExports.cpp"
#include "dense_kernels.cpp"
