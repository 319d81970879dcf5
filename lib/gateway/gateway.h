// The risk gateway over the shared database: the pure engine (lib/risk) fed from and recorded in
// SQLite. docs/RISK.md is the user's guide.
//
// What it reads (loaded at open, then kept current):
//   - positions (positions table) and today's P&L as store::todays_pnl defines it (realised and
//     charges of today's fills, what was held at the start of the IST day and its previous close);
//   - latest prices (ticks and bars) of held symbols and of each signal's symbol;
//   - unfilled orders (orders table), approvals of the last five minutes (risk_decisions), the
//     latest heartbeat of every component (with when its status began, from heartbeat_history),
//     instrument tick sizes, active halts and when a person last lifted each trigger.
//   - errors every program stored (errors table), for the error-rate kill switch.
// Fills, orders, heartbeats, errors and held symbols' prices are re-read every poll_interval_ms and
// on every message; halts (a person may halt from another shell) and the signal's own price are
// re-read for every signal.
//
// What it writes, in one transaction per input message (which also holds that message's reads;
// or per pass of the input with begin_batch/end_batch), BEFORE the caller writes the outputs:
// every decision (risk_decisions, with the signal in signals), every halt the kill switches raise
// (halts; daily ones with the next session start as their reset time) and every alert (alerts).
// An approval's order intent is stored with it (risk_decisions.order_json), so a restarted sm-order
// catches up what it never received; sm-order records it in orders before placing.
//
// Catch-up (catch_up()): sm-signal stores every signal before writing it on, so a signal the
// gateway never got (a FIFO whose reader died) is in the signals table without a decision. It is
// decided from there as if it had arrived; one older than risk.signal_max_age_s is denied
// SIGNAL_STALE and so recorded as expired, never approved late.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/corporate_action.h"
#include "core/messages.h"
#include "core/status.h"
#include "risk/engine.h"
#include "store/database.h"
#include "store/ops_records.h"
#include "time/calendar.h"

namespace sm::gateway {

struct GatewayOptions {
  // How often fills, orders, heartbeats and held symbols' prices are re-read from the database.
  std::int64_t poll_interval_ms = 250;
  // catch_up() looks at signals recorded at most this long ago (a day: older ones belong to
  // another session, e.g. a research replay into the same database) ...
  std::int64_t catch_up_window_ms = kMsPerDay;
  // ... and at least this long ago: a younger one may still be on its way on the input.
  std::int64_t catch_up_grace_ms = 2000;
  // The bonuses and splits to apply to held positions on their ex-dates (the corporate-actions
  // file; docs/CORPORATE_ACTIONS.md): at open and at the first refresh of each new IST day the
  // store adjusts the positions that crossed one (store::apply_corporate_actions, once, audited)
  // and the engine follows (RiskEngine::on_corporate_action), so nothing fires on the ex-date.
  std::vector<CorporateAction> corporate_actions;
  // One fsync on the way from a signal to the broker instead of two (issue 14): a batch
  // (begin_batch) commits at synchronous=NORMAL (store::DeferredSync). Set only where every
  // approval goes to sm-order, which commits the intent at FULL before it calls the broker; that
  // commit syncs the shared WAL and the batch's records with it (docs/SCHEMA.md, "Durability").
  // A batch that stored a halt, a fill or a corporate-action adjustment, which nothing later
  // makes durable, syncs the WAL itself after its commit.
  bool defer_decision_sync = false;
};

// What the caller should do with the input line after handle().
enum class Disposition {
  kConsumed,     // a signal: replaced by its decision (and order)
  kPassThrough,  // write the original line unchanged
  kRefused,      // an order intent arriving on the input: never passed on (no bypass)
};

class RiskGateway {
 public:
  // Loads the state as of now. db and calendar (which may be null) must outlive the gateway,
  // which uses db from one thread and sets its mmap_size (memory-mapped reads). Fails with
  // kDatabaseError when a read fails.
  static Result<std::unique_ptr<RiskGateway>> open(store::Database& db, risk::RiskConfig config,
                                                   const time::Calendar* calendar, TimestampMs now,
                                                   GatewayOptions options = {});

  // Handles one input message as of now and appends the messages to write, in order (kill-switch
  // actions that time or the database caused, then the decision and its order, ...). A fill is
  // stored (idempotent on trade_id) before it is applied, so a fill seen both here and in the
  // database counts once; a heartbeat is recorded too; a halt message with action "halt" is stored
  // as a halt; ticks and bars update prices; order updates update the state; an error is stored
  // (errors table, idempotent on the whole record) and counted once by the error-rate switch.
  // On a storage failure nothing unsaved is released: approved decisions in this batch are turned
  // into denials with code STORE_FAILED, their orders dropped, the failure counted as an
  // unexpected error, and the failed Status returned (out still holds what to write).
  Result<Disposition> handle(const Message& message, TimestampMs now, std::vector<Message>& out);

  // Time passing with no input: re-reads the database when a poll is due and evaluates the kill
  // switches. Same storage rules as handle().
  Status tick(TimestampMs now, std::vector<Message>& out);

  // Group commit (issue 14): between begin_batch() and end_batch() every handle() stores into
  // one transaction, each message in a savepoint of its own, so the messages read in one pass of
  // the input cost one commit (and one fsync) instead of one each. Nothing handle() appended
  // while the batch is open is stored durably before end_batch() returns ok: the caller must not
  // write any of it out before then. A begin_batch() that cannot start a transaction (a read-only
  // connection) leaves every handle() on its own, as without a batch.
  // REQUIRES: no batch open; tick() and catch_up() are not called while one is.
  void begin_batch();
  // Commits the batch. outs holds what each handle() of the batch appended, one vector per
  // message, in order. On failure nothing of the batch was stored and nothing unsaved is
  // released: in every vector approvals become STORE_FAILED denials and their orders are
  // dropped (as handle() does for one message), the failure is counted as an unexpected error
  // (its messages appended to the last vector), and the failed Status is returned. Ok and does
  // nothing when no batch is open.
  Status end_batch(TimestampMs now, std::vector<std::vector<Message>>& outs);

  // Decides, as of now and through handle(), every stored signal that has no decision (see
  // "Catch-up" above), appending what to write to out; caught counts them. Each call reads only
  // signals stored since the last one looked. Fails as handle() does.
  Status catch_up(TimestampMs now, std::vector<Message>& out, std::int64_t& caught);

  risk::RiskEngine& engine() { return engine_; }
  // The engine's assessment after re-reading everything.
  Result<risk::Assessment> assess(TimestampMs now);

  // Storage failures so far (each also reported through handle/tick).
  std::int64_t store_failures() const { return store_failures_; }

 private:
  RiskGateway(store::Database& db, risk::RiskConfig config, const time::Calendar* calendar,
              GatewayOptions options);
  // Loads the state as of now (inside open's read transaction), one part per step.
  Status load(TimestampMs now);
  Status load_positions();
  // Today's realised P&L and charges, and the unrealised P&L at the day's start, from
  // store::todays_pnl (the one definition of today's P&L).
  Status load_today(TimestampMs now);
  Status load_prices(TimestampMs now);
  Status load_tick_sizes();
  Status load_recent_decisions(TimestampMs now);
  Status load_components();
  Status poll(TimestampMs now, std::vector<Message>& out, bool force);
  // Once per IST day: the corporate actions due by now, in the store and then the engine.
  Status apply_corporate_actions(TimestampMs now);
  Status sync_halts(TimestampMs now);
  Status refresh_price(const std::string& symbol, TimestampMs now, std::vector<Message>& out);
  Status poll_fills(TimestampMs now, std::vector<Message>& out);
  Status sync_pending();
  Status deny_unavailable(const Signal& signal, const Status& why, TimestampMs now,
                          std::vector<Message>& out);
  Status poll_heartbeats(TimestampMs now, std::vector<Message>& out);
  // Counts the errors other programs stored since the last look (the errors table).
  Status poll_errors(TimestampMs now, std::vector<Message>& out);
  // Errors stored in the minute before now, so a restart keeps the error-rate window.
  Status load_errors(TimestampMs now);
  Status mark_if_decided(const Signal& signal);
  // The write transaction a message or tick runs in; nullopt when one cannot start (a read-only
  // connection): the reads then run alone and the store step fails.
  std::optional<store::Transaction> try_begin();
  // Brings the engine up to date with the database and the clock before anything is decided;
  // errors say the state could not be read.
  Status refresh(TimestampMs now, std::vector<Message>& out);
  // Stores out[from...] and returns the status; on failure rewrites the batch (see handle()).
  Status commit(size_t from, const Signal* signal, TimestampMs now, std::vector<Message>& out,
                std::optional<store::Transaction>& outer);
  // What a failed commit does to out[from...]: approvals become STORE_FAILED denials naming why,
  // their orders are dropped and forgotten by the engine.
  void withdraw_unsaved(size_t from, const Status& why, std::vector<Message>& out);

  store::Database& db_;
  risk::RiskEngine engine_;
  GatewayOptions options_;
  std::int64_t last_fill_id_ = 0;
  std::int64_t last_error_id_ = 0;
  std::int64_t caught_up_to_signal_id_ = 0;
  TimestampMs last_poll_ms_ = 0;
  bool polled_ = false;
  std::optional<Date> actions_applied_day_;
  std::int64_t store_failures_ = 0;
  // The open group-commit transaction (begin_batch); handle() nests savepoints in it.
  std::optional<store::Transaction> batch_;
  // The batch's synchronous=NORMAL (GatewayOptions::defer_decision_sync), and whether it stored
  // something that must be synced after its commit all the same.
  std::optional<store::DeferredSync> deferred_;
  bool needs_sync_ = false;
};

// Manual control, for `sm-risk halt` and `sm-risk resume`. Both are recorded with who, when and
// why, and return the messages to print (the Halt, then an Alert for people), which are also
// stored (the alert in alerts).
//
// Sets a halt of level (block_entries, halt or pause) with trigger "manual" that only a person
// lifts. An identical active manual halt is reused (nothing new is written). Fails with
// kInvalidArgument on an unknown level or an empty reason.
Result<std::vector<Message>> manual_halt(store::Database& db, std::string_view level,
                                         std::string_view reason, std::string_view by,
                                         TimestampMs now);
// Lifts every active halt of level (all levels when empty), automatic or manual. The resume is
// kept in the halts table (cleared_ms, cleared_by, clear_reason), and the kill switches then weigh
// only later evidence (a daily-loss switch stays quiet for the rest of the day). Returns the
// messages to print and how many halts were lifted (0 is not an error). Fails with
// kInvalidArgument on an unknown level or an empty reason.
struct ResumeOutcome {
  std::int64_t lifted = 0;
  std::vector<Message> messages;
};
Result<ResumeOutcome> manual_resume(store::Database& db, std::string_view level,
                                    std::string_view reason, std::string_view by, TimestampMs now);

// When a message's content became known: the gateway's "now" when it replays history (sm-risk
// --event-time). Its ts, except for a complete bar, whose close is known only at its end (start +
// timeframe; 15:30 IST for a daily bar), the time a live gateway would have received it. 0 for a
// message without a time.
TimestampMs known_at(const Message& message);

}  // namespace sm::gateway
