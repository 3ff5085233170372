// engine_base.h: what the C++ engine's files share, without Rcpp (so they compile quickly):
// Eigen's dense and sparse-core modules, the sparse matrix type, errors and user interrupts.
// An error is a std::runtime_error (engine_stop(), printf-style); the R entry points
// (exports.h) turn it into an R error. A user interrupt is checked by check_user_interrupt(),
// which throws UserInterrupt, turned into R's interrupt by the entry points; nothing longjmps
// over C++ frames.
#ifndef GLMMLAB_ENGINE_BASE_H
#define GLMMLAB_ENGINE_BASE_H

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <stdexcept>
#include <string>

typedef Eigen::SparseMatrix<double, Eigen::ColMajor, int> SpMat;

// Throw std::runtime_error with a printf-style message.
[[noreturn]] void engine_stop(const char* format, ...);

// Thrown by check_user_interrupt() when the user asked R to stop (Ctrl-C, Esc).
struct UserInterrupt : public std::exception {
  const char* what() const noexcept override { return "user interrupt"; }
};

// Throw UserInterrupt if the user interrupted (R's check, run so that it cannot longjmp).
void check_user_interrupt();
// The same check without throwing: true when the user interrupted.
bool user_interrupted();

#endif
