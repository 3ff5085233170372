#!/usr/bin/env bash
# .ci/sanitize.sh: glmmlab's C++ core under AddressSanitizer + UndefinedBehaviorSanitizer, then
# (if valgrind is installed) a leak and memory-error check under valgrind. Run from anywhere:
#   bash .ci/sanitize.sh
# 1. Installs the working tree (copied; the tree is not touched) into a temporary library built
#    with -fsanitize=address,undefined via a private R_MAKEVARS_USER file, and runs
#    tests/sanitize/run.R with gcc's libasan preloaded. Fails on any ASan or UBSan report.
#    (Leak detection is off there: R itself keeps memory until exit by design.)
# 2. Installs a plain build (-g -O1) and runs `run.R quick` under valgrind --leak-check=full.
#    Fails on "definitely lost" loss records with a frame in glmmlab.so (R's own are not ours)
#    and on invalid reads/writes/frees anywhere.
# Exits 0 when clean, 1 on any finding or failure. Environment (all optional):
#   SANITIZE_SKIP_VALGRIND=1   skip step 2;  SANITIZE_KEEP=1  keep the work folder for inspection
#   SANITIZE_WORK       work folder (default: a new mktemp -d)
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${SANITIZE_WORK:-$(mktemp -d /tmp/glmmlab-sanitize.XXXXXX)}
mkdir -p "$work"
[ "${SANITIZE_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
export MAKEFLAGS="${MAKEFLAGS:--j$(nproc 2>/dev/null || echo 2)}"
status=0
t_all=$SECONDS
say() { printf '== sanitize: %s\n' "$*"; }
fail() { printf '== sanitize: FAIL: %s\n' "$*"; status=1; }

# Copy the source tree (without build products) to $work/src/glmmlab.
copy_tree() {
  rm -rf "$work/src"; mkdir -p "$work/src/glmmlab"
  (cd "$repo" && tar --exclude=.git --exclude="*.o" --exclude="*.so" -cf - .) | (cd "$work/src/glmmlab" && tar -xf -)
}

# Install the copy into library $1 with the Makevars file $2; log in $3. --no-test-load: a
# sanitized glmmlab.so only loads with libasan preloaded.
install_with() {
  mkdir -p "$1"
  R_MAKEVARS_USER="$2" R CMD INSTALL --no-docs --no-multiarch --no-test-load --preclean -l "$1" "$work/src/glmmlab" > "$3" 2>&1
}

# Write the R script that reads valgrind's XML report and prints the findings that fail the
# run: invalid reads/writes/frees anywhere; uninitialised values and "definitely lost" blocks
# with a frame in glmmlab.so. Exit status 1 when there is any.
write_findings_script() {
  cat > "$1" <<'EOF'
xml_file <- commandArgs(trailingOnly = TRUE)[1L]
if (!file.exists(xml_file)) { cat("valgrind wrote no XML report\n"); quit(status = 1L) }
txt <- paste(readLines(xml_file, warn = FALSE), collapse = "\n")
tag <- function(x, name) {
  if (!length(x)) return(character())
  m <- regmatches(x[1L], gregexpr(sprintf("(?s)<%s>.*?</%s>", name, name), x[1L], perl = TRUE))[[1L]]
  gsub(sprintf("^<%s>|</%s>$", name, name), "", m)
}
unescape <- function(x) gsub("&amp;", "&", gsub("&gt;", ">", gsub("&lt;", "<", x)))
errors <- tag(txt, "error")
always_bad <- c("InvalidRead", "InvalidWrite", "InvalidFree", "MismatchedFree", "InvalidJump",
                "InvalidMemPool", "Overlap", "FishyValue")
ours_bad <- c("Leak_DefinitelyLost", "UninitCondition", "UninitValue", "SyscallParam", "ClientCheck")
counts <- table(factor(vapply(errors, function(e) tag(e, "kind")[1L], ""), levels = c(always_bad, ours_bad, "other")))
findings <- 0L
other_leaks <- 0L
for (e in errors) {
  kind <- tag(e, "kind")[1L]
  frames <- tag(e, "frame")
  objs <- vapply(frames, function(f) { o <- tag(f, "obj"); if (length(o)) o[1L] else "" }, "")
  ours <- any(grepl("glmmlab\\.so$", objs))
  if (kind == "Leak_DefinitelyLost" && !ours) { other_leaks <- other_leaks + 1L; next }
  if (!(kind %in% always_bad || (kind %in% ours_bad && ours))) next
  findings <- findings + 1L
  what <- c(tag(e, "what"), tag(tag(e, "xwhat"), "text"))[1L]
  cat(sprintf("\n[valgrind] %s: %s\n", kind, unescape(what)))
  for (f in head(tag(tag(e, "stack"), "frame"), 16L)) {   # the first stack: where it happened
    fn <- c(tag(f, "fn"), "?")[1L]; file <- tag(f, "file"); line <- tag(f, "line")
    obj <- c(tag(f, "obj"), "")[1L]
    where <- if (length(file)) sprintf("%s:%s", file[1L], c(line, "?")[1L]) else basename(obj)
    cat(sprintf("    %s (%s)%s\n", unescape(fn), where, if (grepl("glmmlab\\.so$", obj)) "  <- glmmlab" else ""))
  }
}
cat(sprintf("valgrind: %d finding(s) in glmmlab or invalid accesses; %d definitely-lost record(s) outside glmmlab (R's own, ignored)\n",
            findings, other_leaks))
quit(status = if (findings > 0L) 1L else 0L)
EOF
}

copy_tree

# ---- 1. AddressSanitizer + UndefinedBehaviorSanitizer ----------------------------------------
libasan=$(gcc -print-file-name=libasan.so)
if [ ! -e "$libasan" ] || [ "$libasan" = libasan.so ]; then
  fail "gcc's libasan.so not found (gcc -print-file-name=libasan.so gave '$libasan'); install libasan"
  exit 1
fi
sanflags="-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cat > "$work/Makevars.asan" <<EOF
CXXFLAGS = $sanflags
CXX11FLAGS = $sanflags
CXX14FLAGS = $sanflags
CXX17FLAGS = $sanflags
CFLAGS = $sanflags
LDFLAGS = -fsanitize=address,undefined
EOF
say "1/2 installing glmmlab with -fsanitize=address,undefined (log: install-asan.log)"
t0=$SECONDS
if ! install_with "$work/lib-asan" "$work/Makevars.asan" "$work/install-asan.log"; then
  tail -40 "$work/install-asan.log"
  fail "sanitized install failed (see above)"
  exit 1
fi
if ! grep -q -- "-fsanitize=address" "$work/install-asan.log"; then
  fail "the sanitizer flags did not reach the compiler (R_MAKEVARS_USER ignored?)"; exit 1
fi
say "   installed in $((SECONDS - t0)) s; running tests/sanitize/run.R with $libasan preloaded"
t0=$SECONDS
asan_log="$work/run-asan.log"
GLMMLAB_LIB="$work/lib-asan" LD_PRELOAD="$libasan" \
  ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1:print_summary=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  Rscript --vanilla "$repo/tests/sanitize/run.R" > "$asan_log" 2>&1
run_status=$?
cat "$asan_log"
say "   run.R finished in $((SECONDS - t0)) s (exit status $run_status)"
if grep -Eq "ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer" "$asan_log"; then
  fail "sanitizer report(s) above; first one:"
  grep -m1 -A30 -E "ERROR: AddressSanitizer|runtime error:" "$asan_log"
elif [ "$run_status" -ne 0 ] || ! grep -q "SANITIZE RUN COMPLETED" "$asan_log"; then
  fail "tests/sanitize/run.R did not complete under ASan/UBSan (exit status $run_status; see above)"
else
  say "   ASan/UBSan: clean"
fi

# ---- 2. valgrind -----------------------------------------------------------------------------
if [ "${SANITIZE_SKIP_VALGRIND:-0}" = 1 ]; then
  say "2/2 valgrind step skipped (SANITIZE_SKIP_VALGRIND=1)"
elif ! command -v valgrind > /dev/null; then
  say "2/2 valgrind not installed: leak check skipped (apt-get install valgrind to run it)"
else
  printf 'CXXFLAGS = -g -O1\nCXX11FLAGS = -g -O1\nCXX14FLAGS = -g -O1\nCXX17FLAGS = -g -O1\n' > "$work/Makevars.plain"
  say "2/2 installing a plain -g -O1 build for valgrind (log: install-plain.log)"
  t0=$SECONDS
  if ! install_with "$work/lib-plain" "$work/Makevars.plain" "$work/install-plain.log"; then
    tail -40 "$work/install-plain.log"; fail "plain install for valgrind failed"
  else
    say "   installed in $((SECONDS - t0)) s; running 'run.R quick' under valgrind"
    t0=$SECONDS
    vg_log="$work/valgrind.log"; vg_xml="$work/valgrind.xml"
    GLMMLAB_LIB="$work/lib-plain" R --vanilla --no-echo \
      -d "valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=101 --num-callers=30 --xml=yes --xml-file=$vg_xml" \
      -f "$repo/tests/sanitize/run.R" --args quick > "$vg_log" 2>&1
    vg_status=$?
    grep -v '^==[0-9]*== *$' "$vg_log" | tail -n 80
    say "   valgrind run finished in $((SECONDS - t0)) s (exit status $vg_status)"
    if ! grep -q "SANITIZE RUN COMPLETED" "$vg_log"; then
      fail "run.R did not complete under valgrind (exit status $vg_status; see $vg_log above)"
    fi
    write_findings_script "$work/findings.R"
    if ! Rscript --vanilla "$work/findings.R" "$vg_xml"; then
      fail "valgrind findings above"
    fi
  fi
fi

say "total $((SECONDS - t_all)) s"
if [ "$status" -eq 0 ]; then say "CLEAN"; else
  say "NOT CLEAN"
  [ "${SANITIZE_KEEP:-0}" = 1 ] && say "logs kept in $work"
fi
exit "$status"
