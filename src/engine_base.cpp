// engine_base.cpp: errors and user interrupts of the C++ engine (engine_base.h).
#include "engine_base.h"
#include <cstdarg>
#include <cstdio>
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
}  // namespace

bool user_interrupted() { return R_ToplevelExec(check_interrupt_fn, NULL) == FALSE; }

void check_user_interrupt() {
  if (user_interrupted()) throw UserInterrupt();
}
