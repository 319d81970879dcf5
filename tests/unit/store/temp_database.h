// The store tests' former temporary directory, now support/temp_dir.h's under its old name for
// tests/unit/gateway/gateway_fixture.h, which still includes this header. New code includes
// "support/temp_dir.h" or "support/temp_database.h".
#pragma once

#include "support/temp_dir.h"

namespace sm::store::testing {

using TempDir = sm::testing::TempDir;

}  // namespace sm::store::testing
