// The transition table, written out here independently of the implementation: every pair of the
// 14 statuses (Kite's 13 and our PENDING) plus a status Kite might add later.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "order/state_machine.h"

using namespace sm;
using namespace sm::order;

namespace {

const std::vector<std::string> kAll = {"PENDING",
                                       "PUT ORDER REQ RECEIVED",
                                       "VALIDATION PENDING",
                                       "OPEN PENDING",
                                       "AMO REQ RECEIVED",
                                       "OPEN",
                                       "TRIGGER PENDING",
                                       "MODIFY VALIDATION PENDING",
                                       "MODIFY PENDING",
                                       "MODIFIED",
                                       "CANCEL PENDING",
                                       "COMPLETE",
                                       "CANCELLED",
                                       "REJECTED",
                                       "SOME NEW STATUS"};

// Abbreviations for the table rows/columns, in kAll's order:
//  Pe Pu Va OP AM Op TP MV MP Md CP Co Ca Re Nw
// 1 = legal, 0 = illegal (for equal filled quantities).
// clang-format off
const std::map<std::string, std::string> kTable = {
    //                                Pe Pu Va OP AM Op TP MV MP Md CP Co Ca Re Nw
    {"PENDING",                      "0  1  1  1  1  1  1  1  1  1  1  1  1  1  1"},
    {"PUT ORDER REQ RECEIVED",       "0  1  1  1  0  1  1  1  1  1  1  1  1  1  1"},
    {"VALIDATION PENDING",           "0  0  1  1  0  1  1  1  1  1  1  1  1  1  1"},
    {"OPEN PENDING",                 "0  0  0  1  0  1  1  1  1  1  1  1  1  1  1"},
    {"AMO REQ RECEIVED",             "0  1  1  1  1  1  1  1  1  1  1  1  1  1  1"},
    {"OPEN",                         "0  0  0  0  0  1  1  1  1  1  1  1  1  1  1"},
    {"TRIGGER PENDING",              "0  0  0  0  0  1  1  1  1  1  1  1  1  1  1"},
    {"MODIFY VALIDATION PENDING",    "0  0  0  0  0  1  1  1  1  1  1  1  1  1  1"},
    {"MODIFY PENDING",               "0  0  0  0  0  1  1  1  1  1  1  1  1  1  1"},
    {"MODIFIED",                     "0  0  0  0  0  1  1  1  1  1  1  1  1  1  1"},
    {"CANCEL PENDING",               "0  0  0  0  0  1  1  0  0  0  1  1  1  1  1"},
    {"COMPLETE",                     "0  0  0  0  0  0  0  0  0  0  0  1  0  0  0"},
    {"CANCELLED",                    "0  0  0  0  0  0  0  0  0  0  0  0  1  0  0"},
    {"REJECTED",                     "0  0  0  0  0  0  0  0  0  0  0  0  0  1  0"},
    {"SOME NEW STATUS",              "0  0  0  0  0  1  1  1  1  1  1  1  1  1  1"},
};
// clang-format on

std::vector<bool> row(const std::string& text) {
  std::vector<bool> out;
  for (char c : text) {
    if (c == '0' || c == '1') out.push_back(c == '1');
  }
  return out;
}

}  // namespace

TEST_CASE("every transition between the broker's statuses is legal or illegal as the table says") {
  for (const std::string& from : kAll) {
    const std::vector<bool> expected = row(kTable.at(from));
    REQUIRE(expected.size() == kAll.size());
    for (size_t j = 0; j < kAll.size(); ++j) {
      const std::string& to = kAll[j];
      INFO(from << " -> " << to);
      const Status s = check_transition(from, 0, to, 0);
      CHECK(s.ok() == expected[j]);
      if (!s.ok()) {
        CHECK(s.code() == ErrorCode::kConflict);
        CHECK(s.message().find(from + " -> " + to) != std::string::npos);
      }
    }
  }
}

TEST_CASE("COMPLETE never goes back to OPEN, and the reason says why") {
  const Status s = check_transition("COMPLETE", 10, "OPEN", 10);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == "COMPLETE -> OPEN: a terminal order never changes");
}

TEST_CASE(
    "a partial fill is OPEN to OPEN with more filled, and the filled quantity never shrinks") {
  CHECK(check_transition("OPEN", 0, "OPEN", 4).ok());
  CHECK(check_transition("OPEN", 4, "OPEN", 10).ok());
  CHECK(check_transition("OPEN", 4, "COMPLETE", 10).ok());
  CHECK(check_transition("OPEN", 4, "CANCELLED", 4).ok());  // the rest cancelled
  const Status shrink = check_transition("OPEN", 4, "OPEN", 3);
  REQUIRE_FALSE(shrink.ok());
  CHECK(shrink.message().find("filled quantity went down from 4 to 3") != std::string::npos);
  CHECK_FALSE(check_transition("COMPLETE", 10, "COMPLETE", 12).ok());
  CHECK(check_transition("COMPLETE", 10, "COMPLETE", 10).ok());
}

TEST_CASE("a refused cancel returns the order to OPEN, and a cancel racing a fill ends COMPLETE") {
  CHECK(check_transition("CANCEL PENDING", 0, "OPEN", 0).ok());
  CHECK(check_transition("CANCEL PENDING", 0, "COMPLETE", 5).ok());
  CHECK_FALSE(check_transition("CANCEL PENDING", 0, "MODIFY PENDING", 0).ok());
}

TEST_CASE("the phases and the known-status list") {
  CHECK(phase_of("PENDING") == Phase::kPending);
  CHECK(phase_of("OPEN PENDING") == Phase::kPlacing);
  CHECK(phase_of("TRIGGER PENDING") == Phase::kResting);
  CHECK(phase_of("MODIFIED") == Phase::kModifying);
  CHECK(phase_of("REJECTED") == Phase::kTerminal);
  CHECK(phase_of("open") == Phase::kUnknown);  // Kite's words are upper-case; nothing is guessed
  CHECK(is_known_status("AMO REQ RECEIVED"));
  CHECK_FALSE(is_known_status("PUT ORDER REQUEST RECEIVED"));  // the older docs' spelling
  CHECK(phase_name(Phase::kCancelling) == "cancelling");
  CHECK(check_transition("OPEN", 0, "", 0).code() == ErrorCode::kInvalidArgument);
}
