// The alert for a systemd unit that failed. Every StalkMarket unit names sm-alert@.service in
// OnFailure=, so a crash loop (the start limit reached), an exit a person must act on
// (RestartPreventExitStatus=: configuration, drift, authentication) or a failed timer job
// becomes this alert instead of a unit that just stays down (docs/SYSTEMD.md).
#pragma once

#include <string_view>

#include "core/messages.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace sm::alert {

// Whether unit is a plausible systemd unit name (letters, digits and ":-_.\@", a dot-suffix, at
// most 256 characters); kInvalidArgument naming it otherwise.
Status check_unit_name(std::string_view unit);

// The critical alert unit_failed for unit at now: component the unit, one incident per failure
// (the dedup key holds the time), text naming the unit and where to look.
// REQUIRES: check_unit_name(unit).ok().
Alert unit_failed_alert(std::string_view unit, TimestampMs now);

}  // namespace sm::alert
