#!/usr/bin/env bats
# Every command block of README.md and docs/*.md marked runnable (an HTML comment
# `<!-- runnable -->` on the line before a ```sh fence, see CONTRIBUTING.md) runs as pasted: in a
# fresh directory of its own, with the build's programs on PATH, the repository's data/ and
# examples/ beside it and build/bin/ pointing at the build, and must exit 0.
load common

# Writes each runnable block of the files to $1/NNN.sh and its origin (file:line) to $1/NNN.where.
extract_blocks() {
  local dir=$1
  shift
  awk -v dir="$dir" '
    FNR == 1 { marked = 0; inside = 0 }
    inside && /^```/ { inside = 0; close(script); next }
    inside { print > script; next }
    marked {
      marked = 0
      if ($0 !~ /^```sh/) { printf "%s:%d: runnable marker not followed by a sh block\n", FILENAME, FNR > "/dev/stderr"; exit 1 }
      n++
      script = sprintf("%s/%03d.sh", dir, n)
      printf "%s:%d\n", FILENAME, FNR > sprintf("%s/%03d.where", dir, n)
      close(sprintf("%s/%03d.where", dir, n))
      inside = 1
      next
    }
    /^<!-- runnable -->[[:space:]]*$/ { marked = 1 }
  ' "$@"
}

@test "every runnable command block in README.md and docs/ exits 0 when pasted" {
  mkdir blocks
  (cd "$SM_ROOT" && extract_blocks "$SM_TEST_DIR/blocks" README.md docs/*.md)
  local count
  count=$(find blocks -name '*.sh' | wc -l)
  [ "$count" -ge 5 ]
  local failures=0 script where dir
  for script in blocks/*.sh; do
    where=$(cat "${script%.sh}.where")
    dir="$SM_TEST_DIR/run-$(basename "$script" .sh)"
    mkdir -p "$dir/build"
    ln -s "$SM_ROOT/data" "$dir/data"
    ln -s "$SM_ROOT/examples" "$dir/examples"
    ln -s "$SM_BIN" "$dir/build/bin"
    if ! (cd "$dir" && unset SM_DB && timeout 30 bash -eo pipefail "$SM_TEST_DIR/$script") \
      >"$dir.out" 2>&1; then
      echo "FAILED: the block at $where"
      tail -15 "$dir.out"
      failures=$((failures + 1))
    fi
  done
  [ "$failures" -eq 0 ]
}

# A closing full stop set as a separate argument after one inside quotes (`.IR "No data." .`)
# renders as "No data..": the text of every man page is checked for a doubled stop that is not an
# ellipsis, and groff must render each page without a warning.
@test "every man page renders without groff warnings or a doubled full stop" {
  local page text warnings failures=0 pages=0
  for page in "$SM_ROOT"/man/*.[1-9]; do
    pages=$((pages + 1))
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    if [ -n "$warnings" ]; then
      echo "$page: groff warnings: $warnings"
      failures=$((failures + 1))
    fi
    # man(1) as a reader runs it (its own preprocessors and line length), where man-db is installed.
    if command -v man >/dev/null; then
      warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
      if [ -n "$warnings" ]; then
        echo "$page: man --warnings: $warnings"
        failures=$((failures + 1))
      fi
    fi
    text=$(groff -man -Tascii -rLL=200n -P-cbou "$page" 2>/dev/null)
    if grep -nE '(^|[^.])\.\.([^.]|$)' <<<"$text"; then
      echo "$page: a doubled full stop in the rendered text (above)"
      failures=$((failures + 1))
    fi
  done
  [ "$pages" -ge 12 ]
  [ "$failures" -eq 0 ]
}

@test "every program has a section 1 page whose .TH names it; the overview and config pages exist" {
  local source program failures=0
  for source in "$SM_ROOT"/cmd/sm-*.cpp; do
    program=$(basename "$source" .cpp)
    if ! head -1 "$SM_ROOT/man/$program.1" 2>/dev/null | grep -qi "^\.TH $program 1 "; then
      echo "man/$program.1 is missing or its .TH does not name $program 1"
      failures=$((failures + 1))
    fi
  done
  head -1 "$SM_ROOT/man/stalkmarket.7" | grep -q '^\.TH STALKMARKET 7 '
  head -1 "$SM_ROOT/man/stalkmarket-config.5" | grep -q '^\.TH STALKMARKET-CONFIG 5 '
  [ "$failures" -eq 0 ]
}

@test "the man page check fails on a page with a groff warning (the check can fail)" {
  printf '.TH BROKEN 1\n.SH NAME\nbroken\n.BADMACRO x\n' >broken.1
  [ -n "$(groff -man -Tutf8 -ww -z broken.1 2>&1)" ]
  if command -v man >/dev/null; then
    [ -n "$(MANWIDTH=80 man --warnings -l broken.1 2>&1 >/dev/null)" ]
  fi
}
