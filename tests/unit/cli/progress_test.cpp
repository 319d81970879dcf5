// The progress bar: what it draws, and that it stays quiet when stderr is not a terminal.
#include <catch2/catch.hpp>

#include "cli/progress.h"

using namespace sm;

TEST_CASE("the progress bar draws done/total and stays off when stderr is not a terminal",
          "[cli][progress]") {
  CHECK(cli::ProgressBar::render("sweep", 5, 10, 10) == "sweep [#####.....]  50% 5/10");
  CHECK(cli::ProgressBar::render("sweep", 0, 0, 4) == "sweep [####] 100% 0/0");
  cli::ProgressBar forced_off("x", true);
  CHECK_FALSE(forced_off.enabled());
}
