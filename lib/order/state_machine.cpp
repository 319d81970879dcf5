#include "order/state_machine.h"

#include <fmt/format.h>

#include <array>
#include <string>
#include <utility>

#include "broker/types.h"

namespace sm::order {
namespace {

struct StatusInfo {
  std::string_view status;
  Phase phase;
  int rank;  // order inside the placing phase; 0 elsewhere
};

constexpr std::array<StatusInfo, 14> kStatuses = {{
    {kStatusPending, Phase::kPending, 0},
    {broker::kStatusPutOrderReqReceived, Phase::kPlacing, 1},
    {broker::kStatusValidationPending, Phase::kPlacing, 2},
    {broker::kStatusOpenPending, Phase::kPlacing, 3},
    {broker::kStatusAmoReqReceived, Phase::kAmo, 0},
    {broker::kStatusOpen, Phase::kResting, 0},
    {broker::kStatusTriggerPending, Phase::kResting, 0},
    {broker::kStatusModifyValidationPending, Phase::kModifying, 0},
    {broker::kStatusModifyPending, Phase::kModifying, 0},
    {broker::kStatusModified, Phase::kModifying, 0},
    {broker::kStatusCancelPending, Phase::kCancelling, 0},
    {broker::kStatusComplete, Phase::kTerminal, 0},
    {broker::kStatusCancelled, Phase::kTerminal, 0},
    {broker::kStatusRejected, Phase::kTerminal, 0},
}};

const StatusInfo* find_status(std::string_view status) {
  for (const StatusInfo& info : kStatuses) {
    if (info.status == status) return &info;
  }
  return nullptr;
}

// Which phases each phase may move to (besides staying in the same status).
bool phase_allows(Phase from, Phase to) {
  switch (from) {
    case Phase::kPending:
      return to != Phase::kPending;
    case Phase::kPlacing:
      return to != Phase::kPending && to != Phase::kAmo;
    case Phase::kAmo:
      return to != Phase::kPending;
    case Phase::kResting:
    case Phase::kModifying:
    case Phase::kUnknown:
      return to == Phase::kResting || to == Phase::kModifying || to == Phase::kCancelling ||
             to == Phase::kTerminal || to == Phase::kUnknown;
    case Phase::kCancelling:
      // A refused cancel leaves the order resting; a modification cannot start while cancelling.
      return to == Phase::kCancelling || to == Phase::kResting || to == Phase::kTerminal ||
             to == Phase::kUnknown;
    case Phase::kTerminal:
      return false;
  }
  return false;
}

Status illegal(std::string_view from, std::string_view to, std::string_view why) {
  return error(ErrorCode::kConflict, fmt::format("{} -> {}: {}", from, to, why));
}

}  // namespace

std::string_view phase_name(Phase phase) {
  switch (phase) {
    case Phase::kPending:
      return "pending";
    case Phase::kPlacing:
      return "placing";
    case Phase::kAmo:
      return "amo";
    case Phase::kResting:
      return "resting";
    case Phase::kModifying:
      return "modifying";
    case Phase::kCancelling:
      return "cancelling";
    case Phase::kTerminal:
      return "terminal";
    case Phase::kUnknown:
      return "unknown";
  }
  return "unknown";
}

Phase phase_of(std::string_view status) {
  const StatusInfo* info = find_status(status);
  return info == nullptr ? Phase::kUnknown : info->phase;
}

bool is_known_status(std::string_view status) { return find_status(status) != nullptr; }

Status check_transition(std::string_view from, Quantity from_filled, std::string_view to,
                        Quantity to_filled) {
  if (to.empty()) return error(ErrorCode::kInvalidArgument, "a transition needs a target status");
  if (to_filled < from_filled) {
    return illegal(from, to,
                   fmt::format("filled quantity went down from {} to {}", from_filled, to_filled));
  }
  const Phase from_phase = phase_of(from);
  const Phase to_phase = phase_of(to);
  if (from == to) {
    if (from_phase == Phase::kTerminal && to_filled != from_filled) {
      return illegal(from, to, "a terminal order never changes");
    }
    if (from_phase == Phase::kPending)
      return illegal(from, to, "PENDING is ours, never the broker's");
    return Status();
  }
  if (from_phase == Phase::kTerminal) return illegal(from, to, "a terminal order never changes");
  if (to_phase == Phase::kPending) return illegal(from, to, "an order never returns to PENDING");
  if (!phase_allows(from_phase, to_phase)) {
    return illegal(
        from, to,
        fmt::format("a {} order cannot become {}", phase_name(from_phase), phase_name(to_phase)));
  }
  if (from_phase == Phase::kPlacing && to_phase == Phase::kPlacing &&
      find_status(to)->rank < find_status(from)->rank) {
    return illegal(from, to, "placement steps only move forward");
  }
  return Status();
}

}  // namespace sm::order
