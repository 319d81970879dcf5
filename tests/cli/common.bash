# Shared set-up for every program's bats tests: a private temporary directory and database, and
# the build's programs first on PATH. scripts/run-tests sets SM_BIN to the build's bin directory.
bats_require_minimum_version 1.5.0

SM_ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
SM_SAMPLE="$SM_ROOT/data/sample"
SM_FIXTURES="$SM_ROOT/tests/fixtures"

setup() {
  SM_TEST_DIR="$(mktemp -d "${BATS_TMPDIR:-/tmp}/sm-cli.XXXXXX")"
  export SM_DB="$SM_TEST_DIR/test.db"
  export PATH="${SM_BIN:?set SM_BIN to the build bin directory}:$PATH"
  unset SM_CONFIG SM_LOG_LEVEL
  cd "$SM_TEST_DIR" || return 1
}

teardown() {
  cd / && rm -rf "$SM_TEST_DIR"
}

# Fails unless every non-empty line of the file (default: $output) is one JSON object.
assert_json_lines() {
  local file=${1:-}
  if [ -z "$file" ]; then
    file="$SM_TEST_DIR/.output"
    printf '%s\n' "$output" >"$file"
  fi
  if ! jq -R -e -s 'split("\n") | map(select(length > 0) | fromjson | type == "object") | all' "$file" >/dev/null; then
    echo "not every line of $file is a JSON object:" >&2
    head -5 "$file" >&2
    return 1
  fi
}
