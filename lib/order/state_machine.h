// The order state machine over Kite's own status words (reference §1.4 "Order statuses";
// docs/ORDERS.md draws it). sm-order learns an order's state by polling, so it may see any later
// state without the ones between (OPEN PENDING straight to COMPLETE); what it must never accept is
// an order going backwards: out of a terminal state, back to placement once it rested, or a filled
// quantity that shrinks.
//
//   phase        statuses                                              may move to
//   pending      PENDING (ours: recorded, the broker has not said)     any broker status
//   placing      PUT ORDER REQ RECEIVED < VALIDATION PENDING <         a later placing status, and
//                OPEN PENDING                                          resting, modifying,
//                                                                      cancelling, terminal
//   amo          AMO REQ RECEIVED                                      placing, resting, modifying,
//                                                                      cancelling, terminal
//   resting      OPEN, TRIGGER PENDING                                 resting, modifying,
//                                                                      cancelling, terminal
//   modifying    MODIFY VALIDATION PENDING, MODIFY PENDING, MODIFIED   modifying, resting,
//                                                                      cancelling, terminal
//   cancelling   CANCEL PENDING                                        resting (the cancel was
//                                                                      refused), terminal
//   terminal     COMPLETE, CANCELLED, REJECTED                         nothing
//   unknown      any other text (a status Kite adds later)             like resting; entered from
//                                                                      any non-terminal phase
// Staying in the same status is legal (a partial fill is OPEN -> OPEN with more filled), except
// that a terminal order must repeat itself exactly. Nothing goes back to PENDING.
#pragma once

#include <string_view>

#include "core/money.h"
#include "core/status.h"

namespace sm::order {

// Our own status for an intent that is recorded but not (yet) acknowledged by the broker. The
// store uses the same word.
inline constexpr const char* kStatusPending = "PENDING";

enum class Phase {
  kPending,
  kPlacing,
  kAmo,
  kResting,
  kModifying,
  kCancelling,
  kTerminal,
  kUnknown
};
std::string_view phase_name(Phase phase);

// The phase of a status word (exact, upper-case as Kite sends it); kUnknown for other text.
Phase phase_of(std::string_view status);
// True for the thirteen statuses Kite documents and our PENDING.
bool is_known_status(std::string_view status);

// Ok when an order stored as (from, from_filled) may become (to, to_filled). Otherwise kConflict
// with a message naming both states and the rule broken ("COMPLETE -> OPEN: a terminal order never
// changes"). An empty `to` is refused (kInvalidArgument).
Status check_transition(std::string_view from, Quantity from_filled, std::string_view to,
                        Quantity to_filled);

}  // namespace sm::order
