// engine_base.cpp: errors and user interrupts of the C++ engine (engine_base.h).
#include "engine_base.h"
#include <cstdarg>
#include <cstdio>
#include <thread>
#define R_NO_REMAP
#include <Rinternals.h>
#include <R_ext/Utils.h>

void engine_stop(const char* format, ...) {
  char message[1024];
  va_list args;
  va_start(args, format);
  std::vsnprintf(message, sizeof(message), format, args);
  va_end(args);
  throw std::runtime_error(message);
}

namespace {
// R_CheckUserInterrupt longjmps; run it at top level so that no C++ frame is skipped.
void check_interrupt_fn(void*) { R_CheckUserInterrupt(); }

// R's own thread: the one that loads the package (static initialization runs at dlopen()).
const std::thread::id r_thread = std::this_thread::get_id();
}  // namespace

// Only R's own thread may call into R: a core read in another thread never asks (so several
// threads may each use their own core; mixed_core.h).
bool user_interrupted() {
  if (std::this_thread::get_id() != r_thread) return false;
  return R_ToplevelExec(check_interrupt_fn, NULL) == FALSE;
}

void check_user_interrupt() {
  if (user_interrupted()) throw UserInterrupt();
}
