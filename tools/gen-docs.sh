#!/usr/bin/env bash
# gen-docs.sh - keeps the generated parts of the documentation in step with the code: each
# block between
#     <!-- BEGIN GENERATED flags PROGRAM -->  and  <!-- END GENERATED -->
# is PROGRAM's flag table, made from its own `--help` (which prints its flag table), and each
#     <!-- BEGIN GENERATED file PATH -->  ...  <!-- END GENERATED -->
# is the file PATH of this tree in a code block. `make docs` rewrites the blocks; `make
# docs-check` (and a test in `make check`) fails when one differs, naming the file.
#
# Usage: gen-docs.sh [--check] --bin DIR [--require "PROGRAM..."] FILE.md...
#   --bin DIR      where the programs are (build/bin)
#   --require L    programs that must have a flag table; regenerating adds a section for a
#                  missing one above the line <!-- NEW FLAG TABLES --> of the first FILE
#   --check        change nothing; exit 1 and show the difference if a block is stale
set -euo pipefail

self=$(readlink -f "$0")

# The flag table of program $1 as Markdown, from its --help:
#   "  --name=VALUE    help text that may wrap onto
#                      further lines (default: 5secs)"
table() {
  "$1" --help | awk '
    function flush() {
      if (flag == "") return
      def = ""
      if (match(help, / ?\(default: [^()]*\)$/)) {
        def = substr(help, RSTART, RLENGTH)
        help = substr(help, 1, RSTART - 1)
        sub(/^ ?\(default: /, "", def)
        sub(/\)$/, "", def)
        def = "`" def "`"
      }
      sub(/=VALUE$/, "", flag)
      gsub(/\|/, "\\|", help)
      gsub(/</, "\\&lt;", help)
      gsub(/>/, "\\&gt;", help)
      printf "| `%s` | %s | %s |\n", flag, def, help
      flag = ""
    }
    BEGIN { print "| Flag | Default | Meaning |"; print "|---|---|---|" }
    /^  --/ {
      flush()
      flag = $1
      help = $0
      sub(/^ *[^ ]+ */, "", help)
      next
    }
    /^      / && flag != "" { line = $0; sub(/^ +/, "", line); help = help " " line; next }
    END { flush() }'
}

# The HTTP endpoints of daemon $1 as Markdown, from its own /help: the daemon is started on a
# free loopback port with a throw-away work directory and stopped again.
endpoints() {
  local prog=$1 dir pid port=''
  dir=$(mktemp -d)
  local args=(--ip=127.0.0.1 --port=0)
  case ${prog##*/} in
    mesos-master) args+=(--registry=in_memory) ;;
    mesos-slave)
      args+=(--master=127.0.0.1:1 --work_dir="$dir/work" --resources='cpus:1;mem:64;disk:8') ;;
  esac
  : > "$dir/log"
  "$prog" "${args[@]}" >> "$dir/log" 2>&1 &
  pid=$!
  # shellcheck disable=SC2064 # expand now: the trap must kill this daemon (it keeps nothing)
  trap "kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf '$dir'" EXIT
  for _ in $(seq 100); do
    port=$(sed -n 's/.*Runtime listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log")
    [[ -z $port ]] || break
    sleep 0.1
  done
  if [[ -z $port ]]; then
    echo "gen-docs: ${prog##*/} did not start:" >&2
    cat "$dir/log" >&2
    return 1
  fi
  curl -sf "http://127.0.0.1:$port/help" | awk '
    function flush() { if (path != "" && help != "") printf "| `%s` | %s |\n", path, help }
    BEGIN { print "| Endpoint | What it answers |"; print "|---|---|" }
    /^\// { flush(); path = $0; help = ""; next }
    {
      line = $0; sub(/^ +/, "", line)
      gsub(/\|/, "\\|", line); gsub(/</, "\\&lt;", line); gsub(/>/, "\\&gt;", line)
      help = help (help == "" ? "" : " ") line
    }
    END { flush() }'
}

# Prints file $1 with every generated block rewritten; programs are in $2.
regenerate() {
  awk -v self="$self" -v bin="$2" '
    function emit(cmd,   line) {
      while ((cmd | getline line) > 0) print line
      if (close(cmd) != 0) { print "gen-docs: failed: " cmd > "/dev/stderr"; failed = 1 }
    }
    /^<!-- BEGIN GENERATED (flags|endpoints|file) [^ ]+ -->$/ {
      print
      kind = $4; what = $5
      if (kind == "flags" || kind == "endpoints") {
        emit("\"" self "\" " (kind == "flags" ? "table" : "endpoints") " \"" bin "/" what "\"")
      } else {
        lang = what ~ /\.[ch]$/ ? "c" : (what ~ /\.sh$/ ? "sh" : "")
        print "```" lang
        emit("cat \"" what "\"")
        print "```"
      }
      skipping = 1
      next
    }
    /^<!-- END GENERATED -->$/ { skipping = 0 }
    !skipping { print }
    END { if (skipping) { print "gen-docs: a block is not closed" > "/dev/stderr"; exit 1 }
          exit failed }' "$1"
}

# Adds a flag table section for each required program that has none, to file $1.
add_missing() {
  local file=$1 name
  shift
  for name in "$@"; do
    grep -qs "^<!-- BEGIN GENERATED flags $name -->\$" "${files[@]}" && continue
    if ! grep -q '^<!-- NEW FLAG TABLES -->$' "$file"; then
      echo "gen-docs: $file has no <!-- NEW FLAG TABLES --> line for $name's flags" >&2
      return 1
    fi
    awk -v name="$name" '/^<!-- NEW FLAG TABLES -->$/ {
        print "### `" name "`\n\n<!-- BEGIN GENERATED flags " name " -->\n<!-- END GENERATED -->\n"
      } { print }' "$file" > "$file.tmp" && mv "$file.tmp" "$file"
    echo "gen-docs: added a flag table for $name to $file: describe it there" >&2
  done
}

main() {
  local check=false bin='' require=''
  while [[ $# -gt 0 ]]; do
    case $1 in
      --check) check=true; shift ;;
      --bin) bin=$2; shift 2 ;;
      --require) require=$2; shift 2 ;;
      *) break ;;
    esac
  done
  if [[ -z $bin || $# -eq 0 ]]; then
    echo "usage: $0 [--check] --bin DIR [--require L] FILE..." >&2
    exit 2
  fi
  files=("$@")
  local stale=0 f name
  # shellcheck disable=SC2086 # the list is space-separated names
  if $check; then
    for name in $require; do
      grep -qs "^<!-- BEGIN GENERATED flags $name -->\$" "${files[@]}" && continue
      echo "gen-docs: $name has no flag table in ${files[*]} (run make docs)" >&2
      stale=1
    done
  else
    add_missing "${files[0]}" $require
  fi
  for f in "${files[@]}"; do
    regenerate "$f" "$bin" > "$f.gen"
    if cmp -s "$f" "$f.gen"; then
      rm "$f.gen"
    elif $check; then
      echo "gen-docs: $f is out of date with the code (run make docs):" >&2
      diff -u "$f" "$f.gen" | head -40 >&2 || true
      rm "$f.gen"
      stale=1
    else
      mv "$f.gen" "$f"
      echo "gen-docs: updated $f" >&2
    fi
  done
  exit $stale
}

if [[ ${1:-} == table || ${1:-} == endpoints ]]; then
  "$1" "$2"
else
  main "$@"
fi
