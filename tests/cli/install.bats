#!/usr/bin/env bats
# An installed copy (cmake --install --prefix) finds its data under its own prefix.

load common

# The build directory SM_BIN belongs to.
build_dir() {
  (cd "$SM_BIN/.." && pwd)
}

@test "installed programs read the calendar under their own prefix, not the source tree's" {
  # Regression: `make install PREFIX=/opt/x` put the calendar under /opt/x, but the programs looked
  # only in the source tree and the build-time prefix.
  [ -f "$(build_dir)/cmake_install.cmake" ] || skip "SM_BIN is not a CMake build directory"
  prefix="$SM_TEST_DIR/x"
  cmake --install "$(build_dir)" --prefix "$prefix" >/dev/null
  installed="$prefix/share/stalkmarket/nse-calendar.csv"
  [ -f "$installed" ]
  # Mark the installed copy: it covers no year after 2019, so loading it warns and names its path.
  # The source tree's calendar is left in place; only the lookup order can make this pass.
  grep -v '^20[2-9][0-9],year_covered,' "$SM_ROOT/data/nse-calendar.csv" >"$installed"
  mkdir elsewhere
  cd elsewhere
  SM_CFG__RISK__CAPITAL=1000000 "$prefix/bin/sm-risk" --event-time </dev/null >out 2>err
  jq -e -s --arg path "$installed" \
    'any(.[]; .event == "calendar_coverage" and (.message | startswith($path + " ")))' err
  ! grep -q calendar_unavailable err
}
