#!/usr/bin/env bash
# .ci/check.sh: build the source tarball and run `R CMD check --as-cran` on it, as CRAN would, in
# CI's network (Debian's and CRAN's package registries only). Called by .ci/run; also usable alone:
#   bash .ci/check.sh [WORKDIR]      (default: a new temporary folder; the tree is only read)
# Exits 1 on any ERROR or WARNING (or when the build or the check itself fails), 0 otherwise.
# Each NOTE is printed with a one-line explanation; a NOTE with none on file is flagged (not fatal).
#
# Settings for CI's network and machine (R Internals, "Tools", lists the _R_CHECK_* variables):
#   _R_CHECK_FORCE_SUGGESTS_=false       DHARMa (Suggests) cannot be installed on R 4.2 (below)
#   _R_CHECK_CRAN_INCOMING_REMOTE_=false the remote incoming checks need Bioconductor, CRAN's web
#                                        area and every URL host in the package: not reachable from
#                                        CI. GLMMLAB_CI_CHECK_REMOTE=1 turns them on.
#   _R_CHECK_SYSTEM_CLOCK_=false         the clock check asks an Internet time server
#   R_CRAN_WEB (only when CRAN's web/packages/packages.rds cannot be read): --as-cran looks up
#                                        there whether a suggested package that is not installed
#                                        is orphaned; a local empty table answers "none is".
#   --no-manual                          the PDF manual needs a TeX installation (about 1 GB), and
#                                        R 4.2 checks the HTML manual only along with it; the Rd
#                                        files themselves are still checked (syntax, metadata, line
#                                        widths, cross-references, usage, contents).
# As on CRAN, NOT_CRAN is unset: the tests that skip on CRAN skip (the README's test command runs
# the full suite). R CMD build rebuilds the vignettes (knitr and markdown; no pandoc needed).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -ge 1 ]; then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/glmmlab-check.XXXXXX")
  trap 'rm -rf "$work"' EXIT   # everything worth keeping is printed
fi
start=$SECONDS

# 1. Build from a copy of the tree (R CMD build writes into the folder it builds).
rm -rf "$work/glmmlab" "$work"/glmmlab_*.tar.gz "$work/glmmlab.Rcheck"
mkdir -p "$work/glmmlab"
(cd "$repo" && tar --exclude=.git --exclude='*.o' --exclude='*.so' -cf - .) | (cd "$work/glmmlab" && tar -xf -)
echo "== R CMD build (the vignettes need knitr and markdown)"
if ! (cd "$work" && env -u NOT_CRAN R CMD build glmmlab > build.log 2>&1); then
  cat "$work/build.log"
  echo "R CMD build failed ($((SECONDS - start)) s)"
  exit 1
fi
tarball=$(ls "$work"/glmmlab_*.tar.gz)
echo "   built $(basename "$tarball") ($((SECONDS - start)) s)"

# 2. CRAN's web area: use it when it answers, else a local empty table of packages.
cran_web_env=()
if ! Rscript -e 'options(timeout = 20); invisible(tools::CRAN_package_db())' > /dev/null 2>&1; then
  mkdir -p "$work/cran_web/web/packages"
  Rscript -e 'saveRDS(data.frame(Package = character(), Maintainer = character()), commandArgs(TRUE)[1])' \
    "$work/cran_web/web/packages/packages.rds"
  cran_web_env=("R_CRAN_WEB=file://$work/cran_web")
  echo "   CRAN's web area is not reachable: the orphaned-package lookup uses an empty local table"
fi
remote=false
[ "${GLMMLAB_CI_CHECK_REMOTE:-0}" = 1 ] && remote=true

# 3. The check.
echo "== R CMD check --as-cran --no-manual $(basename "$tarball")"
check_start=$SECONDS
(cd "$work" && env -u NOT_CRAN "${cran_web_env[@]}" \
   _R_CHECK_FORCE_SUGGESTS_=false _R_CHECK_CRAN_INCOMING_REMOTE_=$remote _R_CHECK_SYSTEM_CLOCK_=false \
   R CMD check --as-cran --no-manual "$(basename "$tarball")" > check.out 2>&1)
check_rc=$?
log="$work/glmmlab.Rcheck/00check.log"
[ -f "$log" ] || log="$work/check.out"
cat "$log"
echo "   (check: $((SECONDS - check_start)) s; build and check: $((SECONDS - start)) s)"

# 4. The verdict: the Status line; every NOTE explained.
status_line=$(grep -E '^Status: ' "$log" | tail -n 1)
if [ -z "$status_line" ]; then
  tail -n 30 "$work/check.out"
  echo "R CMD check did not complete (exit code $check_rc)"
  exit 1
fi

# Size of the checked package's shared library with its debug information stripped, e.g. "0.7 MB".
size_without_debug_info() {
  local so="$work/glmmlab.Rcheck/glmmlab/libs/glmmlab.so" copy="$work/glmmlab_stripped.so"
  if [ -f "$so" ] && command -v strip > /dev/null && cp "$so" "$copy" && strip --strip-debug "$copy"; then
    awk -v b="$(wc -c < "$copy")" 'BEGIN { printf "%.1f MB", b / 1e6 }'
  else
    echo "size unknown"
  fi
  rm -f "$copy"
}

# One line on why a NOTE is expected here, from the check's name and text; empty if none on file.
explain_note() {
  local name=$1 text=$2
  case "$name" in
    *"package dependencies"*)
      [[ $text == *DHARMa* ]] && echo "DHARMa (Suggests) cannot be installed on R 4.2: its dependency qgam needs a newer mgcv than CRAN offers for R 4.2; the DHARMa test skips without it" ;;
    *"installed package size"*)
      echo "Debian's R compiles with -g: libs/ is mostly debug information (the library without it: $(size_without_debug_info)); the README's install strips it (R CMD INSTALL --strip). The check installs unstripped, since its compiled-code check reads the library's symbols" ;;
    *"examples"*)
      # explained only when every listed example's CPU time (user + system) is under 5 s
      [[ $text == *"elapsed time"* ]] && printf '%s\n' "$text" |
        awk '/user +system +elapsed/ { table = 1; next } table && NF == 4 { n++; if ($2 + $3 >= 5) slow = 1 }
             END { exit !(n > 0 && !slow) }' &&
        echo "elapsed time over 5 s on a busy 2-core machine; each example's CPU time (user + system, above) is under 5 s" ;;
    *"data for non-ASCII characters"*)
      [[ $text == *"marked UTF-8 strings"* ]] && echo "the Eulaema data's study-area names have accents (Estação, ...): UTF-8 strings, marked as such, as the course's names are" ;;
    *"CRAN incoming feasibility"*)
      [[ $text == *"New submission"* ]] && echo "glmmlab is not on CRAN yet: a first submission is always noted" ;;
    *"future file timestamps"*)
      [[ $text == *"unable to verify current time"* ]] && echo "the clock check needs an Internet time server, which CI cannot reach" ;;
  esac
}

echo "== R CMD check: $status_line"
unexplained=0
# NOTE blocks: from "* checking ... NOTE" to the next line starting with "* ".
while IFS= read -r -d $'\x1e' block; do
  name=$(printf '%s\n' "$block" | head -n 1 | sed -E 's/^\* checking (.*) \.\.\..*/\1/')
  why=$(explain_note "$name" "$block")
  if [ -n "$why" ]; then
    echo "   NOTE ($name): $why"
  else
    echo "   NOTE ($name): no explanation on file; read it above and explain it in .ci/check.sh"
    unexplained=$((unexplained + 1))
  fi
done < <(awk '/^\* / { if (b != "") printf "%s\036", b; b = ""; if ($0 ~ /\.\.\..* NOTE$/) b = $0; next }
              b != "" { b = b "\n" $0 }
              END { if (b != "") printf "%s\036", b }' "$log")
[ "$unexplained" -gt 0 ] && echo "   $unexplained NOTE(s) without an explanation"

if printf '%s\n' "$status_line" | grep -Eq 'ERROR|WARNING'; then
  echo "R CMD check --as-cran: $status_line (see above)"
  exit 1
fi
exit 0
