// The book keeps the unrealised P&L incrementally and the position-loss kill switch looks only at
// the symbols that changed (issue 14). Both must decide exactly as a re-mark of every position
// would: random sequences of fills, prices, corporate actions and day rolls are driven through an
// engine and, in lock step, through a reference engine whose book is rebuilt from scratch before
// every event (a copy re-marks everything and counts every symbol as changed); every message and
// today's P&L must agree, and the P&L must equal one recomputed here from the positions.
#include <catch2/catch.hpp>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/messages.h"
#include "risk/book.h"
#include "risk/engine.h"
#include "risk_fixture.h"

using namespace sm;
using namespace sm::risk;
using namespace sm::risk::testing;

namespace {

// Sum over open positions of qty * latest price - cost, each position marked from scratch.
Int128 remarked_unrealised(const Book& book) {
  Int128 sum = 0;
  for (const auto& [key, position] : book.positions()) {
    if (position.qty == 0) continue;
    const PricePoint* price = book.find_price(position.symbol);
    const Paise value =
        price == nullptr ? position.cost : saturate(Int128{position.qty} * price->price);
    sum += Int128{value} - position.cost;
  }
  return sum;
}

Paise remarked_daily_pnl(const RiskState& state) {
  return saturate(Int128{state.realised_today} - state.charges_today +
                  remarked_unrealised(state.book) - state.day_start_unrealised);
}

// The messages of out from index from on, as JSON lines.
std::vector<std::string> encoded(const std::vector<Message>& out, size_t from) {
  std::vector<std::string> lines;
  for (size_t k = from; k < out.size(); ++k) lines.push_back(to_json(out[k]));
  return lines;
}

// A seeded source of choices: pick(n) in [0, n), one(items) one of them.
struct Chooser {
  explicit Chooser(std::uint64_t seed) : rng(seed) {}
  std::int64_t pick(std::int64_t n) {
    return std::uniform_int_distribution<std::int64_t>(0, n - 1)(rng);
  }
  size_t index(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); }
  std::mt19937_64 rng;
};

PositionState position(std::string strategy, std::string symbol, Quantity qty, Paise cost) {
  PositionState p;
  p.strategy = std::move(strategy);
  p.symbol = std::move(symbol);
  p.qty = qty;
  p.cost = cost;
  return p;
}

// The book's mark of a position it holds; a missing one fails the test case.
Paise marked(const Book& book, const std::string& strategy, const std::string& symbol) {
  const PositionState* held = book.find_position(strategy, symbol);
  REQUIRE(held != nullptr);
  return book.mark(*held);
}

}  // namespace

TEST_CASE("the book's unrealised P&L equals a re-mark of every position after any change") {
  const std::vector<std::string> symbols = {"TCS", "INFY", "SBIN", "IDEA"};
  const std::vector<std::string> strategies = {"trend", "swing", "canary"};
  Chooser choose(14);
  const auto pick = [&](std::int64_t n) { return choose.pick(n); };
  Book book;
  for (int step = 0; step < 20'000; ++step) {
    const std::string& symbol = symbols[choose.index(symbols.size())];
    const std::string& strategy = strategies[choose.index(strategies.size())];
    switch (pick(4)) {
      case 0:
        book.put_price(symbol, PricePoint{1 + pick(400'000), step, 0});
        break;
      case 1:
      case 2:  // long, short, flat; now and then a cost so large that the sum of the positions'
               // mark - cost passes int64 (the marks stay in range: the next case saturates them)
        book.put_position(position(strategy, symbol, pick(3) == 0 ? 0 : pick(2'001) - 1'000,
                                   pick(10) == 0 ? INT64_MAX / 3 : pick(4'000'000) - 2'000'000));
        break;
      default:
        book.erase_position(strategy, symbol);
        break;
    }
    REQUIRE(book.unrealised() == remarked_unrealised(book));
  }
  const Book copy = book;
  CHECK(copy.unrealised() == book.unrealised());
}

TEST_CASE("a mark past int64 saturates as a full re-mark did, and the unrealised sum stays exact") {
  constexpr Paise kMax = std::numeric_limits<Paise>::max();
  constexpr Paise kMin = std::numeric_limits<Paise>::min();
  const Quantity huge = 1'000'000'000'000;  // x 1e8 paise = 1e20, past int64 (9.2e18)
  Book book;
  book.put_position(position("trend", "TCS", huge, rupees(1'000)));
  book.put_position(position("swing", "TCS", -huge, -rupees(2'000)));
  book.put_position(position("canary", "TCS", 3, rupees(300)));
  book.put_position(position("trend", "INFY", huge, rupees(500)));
  book.put_price("TCS", PricePoint{100'000'000, 1, 0});
  book.put_price("INFY", PricePoint{200'000'000, 1, 0});

  // What the engine's full re-mark gave before the book (b47cbc7: saturate(Int128{qty} * price)).
  CHECK(marked(book, "trend", "TCS") == kMax);
  CHECK(marked(book, "swing", "TCS") == kMin);
  CHECK(marked(book, "canary", "TCS") == 300'000'000);
  CHECK(marked(book, "trend", "INFY") == kMax);
  // The sum of the saturated marks less the costs, in 128 bits: it passes int64 and is kept
  // exactly, not saturated on the way.
  const Int128 expected = (Int128{kMax} - rupees(1'000)) + (Int128{kMin} + rupees(2'000)) +
                          (Int128{300'000'000} - rupees(300)) + (Int128{kMax} - rupees(500));
  CHECK(expected > Int128{kMax});
  CHECK(book.unrealised() == expected);
  CHECK(book.unrealised() == remarked_unrealised(book));

  // Back in range: the marks are the products again and the sum follows.
  book.put_price("TCS", PricePoint{2, 2, 0});
  CHECK(marked(book, "trend", "TCS") == 2 * huge);
  CHECK(book.unrealised() == remarked_unrealised(book));
  CHECK(book.unrealised() == Int128{2 * huge} - rupees(1'000) + (-2 * huge + rupees(2'000)) +
                                 (6 - rupees(300)) + (Int128{kMax} - rupees(500)));
  CHECK(Book(book).unrealised() == book.unrealised());
}

TEST_CASE("the book names the positions of the symbols changed since it was last asked") {
  Book book;
  book.put_position(position("trend", "TCS", 10, rupees(30'000)));
  book.put_position(position("swing", "TCS", 5, rupees(15'000)));
  book.put_position(position("trend", "INFY", 10, rupees(15'000)));
  std::vector<const PositionState*> changed = book.take_changed_positions();
  REQUIRE(changed.size() == 3);  // in (strategy, symbol) order
  CHECK((changed[0]->strategy == "swing" && changed[0]->symbol == "TCS"));
  CHECK((changed[1]->strategy == "trend" && changed[1]->symbol == "INFY"));
  CHECK((changed[2]->strategy == "trend" && changed[2]->symbol == "TCS"));
  CHECK(book.take_changed_positions().empty());

  book.put_price("INFY", PricePoint{rupees(1'400), 1, 0});
  changed = book.take_changed_positions();
  REQUIRE(changed.size() == 1);
  CHECK(changed[0]->symbol == "INFY");
  CHECK(book.unrealised() == Int128{rupees(-1'000)});

  book.put_price("WIPRO", PricePoint{rupees(500), 1, 0});  // held by nobody
  CHECK(book.take_changed_positions().empty());

  const Book copy = book;  // counts everything as changed
  Book assigned;
  assigned = book;
  CHECK(Book(copy).take_changed_positions().size() == 3);
  CHECK(assigned.take_changed_positions().size() == 3);
}

TEST_CASE("marking incrementally decides every kill switch as a re-mark of the whole book would") {
  RiskConfig config = test_config();
  config.capital = rupees(2'00'000);  // so the daily-loss switches fire within a run
  const std::vector<std::string> symbols = {"TCS", "INFY", "SBIN", "IDEA", "ITC"};
  const std::vector<Paise> start_prices = {rupees(3000), rupees(1500), rupees(600), 1'337, 43'215};
  const std::vector<std::string> strategies = {"trend", "swing"};
  std::int64_t messages = 0;
  std::int64_t position_loss_exits = 0;
  std::int64_t daily_halts = 0;

  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Chooser choose(seed);
    const auto pick = [&](std::int64_t n) { return choose.pick(n); };
    Harness incremental(config);
    Harness reference(config);
    std::vector<Paise> prices = start_prices;
    TimestampMs now = kTen;
    int trade = 0;
    const auto both = [&](const auto& event) {
      const size_t a = incremental.out.size();
      const size_t b = reference.out.size();
      reference.engine.state().book = Book(reference.engine.state().book);
      event(incremental.engine, incremental.out);
      event(reference.engine, reference.out);
      REQUIRE(encoded(incremental.out, a) == encoded(reference.out, b));
      messages += static_cast<std::int64_t>(incremental.out.size() - a);
      REQUIRE(incremental.engine.daily_pnl() == reference.engine.daily_pnl());
      REQUIRE(incremental.engine.daily_pnl() == remarked_daily_pnl(incremental.engine.state()));
    };
    for (size_t i = 0; i < symbols.size(); ++i) {
      both([&](RiskEngine& e, std::vector<Message>& out) {
        e.on_price(symbols[i], prices[i], now, now, out);
      });
    }

    for (int step = 0; step < 400; ++step) {
      now += 1'000 + pick(60'000);
      const size_t s = choose.index(symbols.size());
      switch (pick(10)) {
        case 0:
        case 1:
        case 2:
        case 3: {  // a price move, mostly small, now and then a fall past the position-loss limit
          const std::int64_t bps = pick(8) == 0 ? -(400 + pick(800)) : pick(201) - 100;
          prices[s] = std::max<Paise>(1, prices[s] + prices[s] * bps / 10'000);
          const TimestampMs known_at = pick(20) == 0 ? now - 3'600'000 : now;  // older: ignored
          both([&](RiskEngine& e, std::vector<Message>& out) {
            e.on_price(symbols[s], prices[s], known_at, now, out);
          });
          break;
        }
        case 4:
        case 5: {  // a fill: buys open, sells close (to zero or through it)
          Fill fill;
          fill.trade_id = numbered("T", ++trade);
          fill.strategy = strategies[choose.index(strategies.size())];
          fill.symbol = symbols[s];
          const PositionState* held =
              incremental.engine.state().book.find_position(fill.strategy, fill.symbol);
          const Quantity qty = held == nullptr ? 0 : held->qty;
          fill.side = pick(2) == 0 ? Side::kBuy : Side::kSell;
          fill.qty = fill.side == Side::kSell && qty > 0 && pick(2) == 0 ? qty : 1 + pick(50);
          fill.price = prices[s] + pick(11) - 5;
          fill.charges = pick(2'000);
          // Now and then a late fill from before today.
          fill.ts =
              pick(8) == 0 ? incremental.engine.state().day_start_ms - 1 - pick(3'600'000) : now;
          both([&](RiskEngine& e, std::vector<Message>& out) { e.on_fill(fill, now, out); });
          break;
        }
        case 6: {  // a bonus or split of a held position on today's ex-date
          const std::string& strategy = strategies[choose.index(strategies.size())];
          const PositionState* held =
              incremental.engine.state().book.find_position(strategy, symbols[s]);
          if (held == nullptr || held->qty <= 0) break;
          const std::int64_t factor = 2 + pick(4);
          const CorporateActionEffect effect{
              strategy, symbols[s], ist_date(now), held->qty, held->qty * factor, 1, factor};
          prices[s] = std::max<Paise>(1, prices[s] / factor);
          both([&](RiskEngine& e, std::vector<Message>&) { e.on_corporate_action(effect); });
          break;
        }
        case 7: {  // the next day (or later), whose marks start from today's last prices
          if (pick(4) != 0) break;
          now += 86'400'000 * (1 + pick(3));
          both([&](RiskEngine& e, std::vector<Message>& out) { e.evaluate(now, out); });
          break;
        }
        case 8: {
          if (pick(6) == 0) {
            both([&](RiskEngine& e, std::vector<Message>&) { e.on_resume("", now); });
          }
          break;
        }
        default:
          both([&](RiskEngine& e, std::vector<Message>& out) { e.evaluate(now, out); });
          break;
      }
    }
    for (const Message& m : incremental.out) {
      if (const Alert* alert = std::get_if<Alert>(&m)) {
        if (alert->event == "kill_switch_position_loss") ++position_loss_exits;
        if (alert->event == "kill_switch_daily_loss_halt") ++daily_halts;
      }
    }
  }
  // The runs reach what they are meant to compare.
  CHECK(messages > 1'000);
  CHECK(position_loss_exits > 20);
  CHECK(daily_halts > 5);
}
