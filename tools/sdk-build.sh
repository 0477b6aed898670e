#!/usr/bin/env bash
# sdk-build.sh - two steps of building the SDK (libmesos-core, -sched, -exec) that the
# Makefile hands to a script to keep its rules readable.
#
#   sdk-build.sh header SRC OUT PUBLIC...
#       Copies the public header SRC to OUT for include/mesos/, rewriting its includes of the
#       other public headers ("wire/wire.h") to their installed names (<mesos/wire.h>). Any
#       other quoted include means a public header leans on an internal one: an error.
#
#   sdk-build.sh exports CC "HEADERS" OBJECT...
#       Prints the linker version script of a shared library: it exports the symbols its
#       objects define that its public HEADERS declare (after the preprocessor, so generated
#       declarations count) and hides everything else, the runtime's internals included.
set -euo pipefail

header() {
  local src=$1 out=$2 sed_args=() p
  shift 2
  for p in "$@"; do sed_args+=(-e "s|^#include \"$p\"|#include <mesos/${p##*/}>|"); done
  sed "${sed_args[@]}" "$src" > "$out.tmp"
  if grep -n '^#include "' "$out.tmp" >&2; then
    echo "sdk-build: $src includes a header that is not public (above)" >&2
    rm -f "$out.tmp"
    exit 1
  fi
  mv "$out.tmp" "$out"
}

exports() {
  local cc=$1 headers=$2 h
  shift 2
  # $cc may be a command with arguments ("ccache gcc"): word splitting is wanted.
  # shellcheck disable=SC2086
  comm -12 \
    <(for h in $headers; do printf '#include "%s"\n' "$h"; done \
        | $cc -std=c11 -D_GNU_SOURCE -I. -E -P -x c - | grep -oE '[A-Za-z_][A-Za-z0-9_]*' \
        | sort -u) \
    <(nm -g --defined-only "$@" | awk 'NF == 3 { print $3 }' | sort -u) \
    | awk 'BEGIN { print "{\n  global:" } { print "    " $0 ";" } END { print "  local: *;\n};" }'
}

case "${1:-}" in
  header) shift; header "$@" ;;
  exports) shift; exports "$@" ;;
  *) echo "usage: $0 header SRC OUT PUBLIC... | exports CC HEADERS OBJECT..." >&2; exit 2 ;;
esac
