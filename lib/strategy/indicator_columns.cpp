#include "strategy/indicator_columns.h"

#include <fmt/format.h>
#include <charconv>
#include <cmath>
#include <functional>

#include "strategy/indicators.h"

namespace sm::strategy {

namespace {

constexpr int kMaxPeriod = 100'000;

// Column for an indicator of closes with one output.
template <typename Indicator>
auto of_closes(Indicator indicator) {
  return [indicator](const Bar& bar, std::optional<double>* out) mutable {
    out[0] = indicator.update(to_rupees(bar.close));
  };
}

// Column for a highest / lowest of the bars' highs or lows.
template <typename Indicator>
auto of_prices(Indicator indicator, bool highs) {
  return [indicator, highs](const Bar& bar, std::optional<double>* out) mutable {
    out[0] = indicator.update(to_rupees(highs ? bar.high : bar.low));
  };
}

std::string number_name(double value) { return fmt::format("{}", value); }

using ColumnFn = std::function<void(const Bar&, std::optional<double>*)>;

// One indicator's output columns: their names and the function that fills them, in that order.
struct ColumnGroup {
  std::vector<std::string> names;
  ColumnFn column;
};

// "name:arg,arg,..." split into its name and numeric arguments, with the argument checks that
// name the spec in their errors.
class IndicatorSpec {
 public:
  static Result<IndicatorSpec> parse(const std::string& spec) {
    IndicatorSpec out;
    out.spec_ = spec;
    std::string_view text = spec;
    out.name_ = std::string(text.substr(0, text.find(':')));
    if (out.name_.size() == text.size()) return out;
    std::string_view rest = text.substr(out.name_.size() + 1);
    while (true) {
      std::string_view part = rest.substr(0, rest.find(','));
      double value = 0;
      auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
      if (ec != std::errc() || end != part.data() + part.size() || !std::isfinite(value)) {
        return out.bad(fmt::format("'{}' is not a number", part));
      }
      out.args_.push_back(value);
      if (part.size() == rest.size()) break;
      rest = rest.substr(part.size() + 1);
    }
    return out;
  }

  const std::string& name() const { return name_; }
  const std::vector<double>& args() const { return args_; }

  Status bad(std::string_view why) const {
    return error(ErrorCode::kInvalidArgument, fmt::format("indicator '{}': {}", spec_, why));
  }

  // Argument i as a period in [min, kMaxPeriod]; fallback when absent, where 0 means required.
  Result<int> period(std::size_t i, int fallback, int min) const {
    if (i >= args_.size()) {
      if (fallback == 0) return bad("needs a period, e.g. " + name_ + ":20");
      return fallback;
    }
    double v = args_[i];
    if (std::trunc(v) != v || v < min || v > kMaxPeriod) {
      return bad(fmt::format("argument {} must be an integer in [{}, {}]", i + 1, min, kMaxPeriod));
    }
    return static_cast<int>(v);
  }

  Status at_most(std::size_t n) const {
    if (args_.size() > n) return bad(fmt::format("takes at most {} arguments", n));
    return Status();
  }

 private:
  std::string spec_;
  std::string name_;
  std::vector<double> args_;
};

// sma, ema, rsi and atr: one period, one column.
Result<ColumnGroup> single_columns(const IndicatorSpec& spec) {
  const std::string& name = spec.name();
  SM_RETURN_IF_ERROR(spec.at_most(1));
  Result<int> n = spec.period(0, name == "rsi" || name == "atr" ? 14 : 0, name == "rsi" ? 2 : 1);
  if (!n.ok()) return n.status();
  ColumnGroup group{{fmt::format("{}_{}", name, *n)}, {}};
  if (name == "sma") group.column = of_closes(Sma(*n));
  if (name == "ema") group.column = of_closes(Ema(*n));
  if (name == "rsi") group.column = of_closes(Rsi(*n));
  if (name == "atr") {
    group.column = [atr = Atr(*n)](const Bar& bar, std::optional<double>* o) mutable {
      o[0] = atr.update(to_rupees(bar.high), to_rupees(bar.low), to_rupees(bar.close));
    };
  }
  return group;
}

Result<ColumnGroup> macd_columns(const IndicatorSpec& spec) {
  SM_RETURN_IF_ERROR(spec.at_most(3));
  Result<int> fast = spec.period(0, 12, 2), slow = spec.period(1, 26, 2),
              signal = spec.period(2, 9, 1);
  for (const auto* r : {&fast, &slow, &signal}) {
    if (!r->ok()) return r->status();
  }
  std::string suffix = fmt::format("{}_{}_{}", *fast, *slow, *signal);
  return ColumnGroup{
      {"macd_" + suffix, "macd_signal_" + suffix, "macd_hist_" + suffix},
      [macd = Macd(*fast, *slow, *signal)](const Bar& bar, std::optional<double>* o) mutable {
        auto v = macd.update(to_rupees(bar.close));
        o[0] = v ? std::optional<double>(v->macd) : std::nullopt;
        o[1] = v ? std::optional<double>(v->signal) : std::nullopt;
        o[2] = v ? std::optional<double>(v->histogram) : std::nullopt;
      }};
}

Result<ColumnGroup> bbands_columns(const IndicatorSpec& spec) {
  const std::vector<double>& args = spec.args();
  SM_RETURN_IF_ERROR(spec.at_most(3));
  Result<int> n = spec.period(0, 20, 2);
  if (!n.ok()) return n.status();
  double up = args.size() > 1 ? args[1] : 2.0;
  double down = args.size() > 2 ? args[2] : up;
  if (!(up > 0 && up <= 100 && down > 0 && down <= 100)) {
    return spec.bad("deviations must be in (0, 100]");
  }
  std::string suffix = up == down ? fmt::format("{}_{}", *n, number_name(up))
                                  : fmt::format("{}_{}_{}", *n, number_name(up), number_name(down));
  return ColumnGroup{
      {"bb_upper_" + suffix, "bb_middle_" + suffix, "bb_lower_" + suffix},
      [bands = Bollinger(*n, up, down)](const Bar& bar, std::optional<double>* o) mutable {
        auto v = bands.update(to_rupees(bar.close));
        o[0] = v ? std::optional<double>(v->upper) : std::nullopt;
        o[1] = v ? std::optional<double>(v->middle) : std::nullopt;
        o[2] = v ? std::optional<double>(v->lower) : std::nullopt;
      }};
}

// highest, lowest, highest_before and lowest_before: of the bars' highs or lows.
Result<ColumnGroup> extreme_columns(const IndicatorSpec& spec) {
  const std::string& name = spec.name();
  SM_RETURN_IF_ERROR(spec.at_most(1));
  Result<int> n = spec.period(0, 0, 1);
  if (!n.ok()) return n.status();
  ColumnGroup group{{fmt::format("{}_{}", name, *n)}, {}};
  if (name == "highest") group.column = of_prices(Highest(*n), true);
  if (name == "lowest") group.column = of_prices(Lowest(*n), false);
  if (name == "highest_before") group.column = of_prices(HighestBefore(*n), true);
  if (name == "lowest_before") group.column = of_prices(LowestBefore(*n), false);
  return group;
}

Result<ColumnGroup> vwap_columns(const IndicatorSpec& spec) {
  SM_RETURN_IF_ERROR(spec.at_most(0));
  return ColumnGroup{{"vwap"}, [vwap = Vwap()](const Bar& bar, std::optional<double>* o) mutable {
                       double price = Vwap::typical_price(to_rupees(bar.high), to_rupees(bar.low),
                                                          to_rupees(bar.close));
                       o[0] =
                           vwap.update(price, static_cast<double>(bar.volume > 0 ? bar.volume : 0),
                                       ist_session_id(bar.ts));
                     }};
}

Result<ColumnGroup> columns_for(const IndicatorSpec& spec) {
  const std::string& name = spec.name();
  if (name == "sma" || name == "ema" || name == "rsi" || name == "atr") {
    return single_columns(spec);
  }
  if (name == "macd") return macd_columns(spec);
  if (name == "bbands") return bbands_columns(spec);
  if (name == "highest" || name == "lowest" || name == "highest_before" ||
      name == "lowest_before") {
    return extreme_columns(spec);
  }
  if (name == "vwap") return vwap_columns(spec);
  return spec.bad(
      "unknown indicator; indicators are: sma, ema, rsi, atr, macd, bbands, highest, lowest, "
      "highest_before, lowest_before, vwap");
}

}  // namespace

Result<IndicatorColumns> IndicatorColumns::make(std::span<const std::string> specs) {
  IndicatorColumns out;
  for (const std::string& text : specs) {
    Result<IndicatorSpec> spec = IndicatorSpec::parse(text);
    if (!spec.ok()) return spec.status();
    Result<ColumnGroup> group = columns_for(*spec);
    if (!group.ok()) return group.status();
    out.widths_.push_back(group->names.size());
    for (std::string& name : group->names) out.names_.push_back(std::move(name));
    out.columns_.push_back(std::move(group->column));
  }
  return out;
}

void IndicatorColumns::update(const Bar& bar, std::vector<std::optional<double>>& out) {
  out.resize(names_.size());
  std::optional<double>* next = out.data();
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    columns_[i](bar, next);
    next += widths_[i];
  }
}

}  // namespace sm::strategy
