#!/usr/bin/env bats
# The sm-order crash test (tests/crash/sm-order-crash, docs/ORDERS.md "Crash test"), short form:
# 100 SIGKILLs (SM_CRASH_KILLS) at seeded random moments under six fault settings of the paper
# broker, then one broker order per intent at most, no fill missing, positions equal. About 45 s on
# two cores; `make crash` runs it with its full 200 kills after the 1000-kill pipeline run.
#
# It found a spurious drift at restart under slow responses: an order the broker placed late
# (after the client had timed out and been killed) could fill between the trades and the positions
# read of the start-up reconciliation, which then saw a position nobody traded and refused to
# start. Fixed in lib/order/reconcile.cpp (the broker's book and trades are read again after its
# positions until they agree; drift must show against the database read before and after the
# broker); regression tests in tests/unit/order/reconcile_test.cpp.
#
# It then found, in CI, a fill missing at the end: sm-order stopped at end of input while an order
# it had just placed was still open, because its open-order count was refreshed only by the next
# poll. The count now includes placements at once (regression test in order_manager_test.cpp).

load common

@test "sm-order survives SIGKILL at random moments under every injected fault without a second order" {
  run env SM_CRASH_KILLS="${SM_CRASH_KILLS:-100}" "$SM_ROOT/tests/crash/sm-order-crash"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"ok   every intent maps to at most one broker order"* ]]
  [[ "$output" == *"ok   our positions equal the broker's"* ]]
  [[ "$output" == *"ok   every order reached a final state"* ]]
  ! [[ "$output" == *FAIL* ]]
}
