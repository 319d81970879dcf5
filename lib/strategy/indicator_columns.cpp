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

}  // namespace

Result<IndicatorColumns> IndicatorColumns::make(std::span<const std::string> specs) {
  IndicatorColumns out;
  for (const std::string& spec : specs) {
    auto bad = [&](std::string_view why) {
      return error(ErrorCode::kInvalidArgument, fmt::format("indicator '{}': {}", spec, why));
    };
    std::string_view text = spec;
    std::string_view name = text.substr(0, text.find(':'));
    std::vector<double> args;
    if (name.size() < text.size()) {
      std::string_view rest = text.substr(name.size() + 1);
      while (true) {
        std::string_view part = rest.substr(0, rest.find(','));
        double value = 0;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (ec != std::errc() || end != part.data() + part.size() || !std::isfinite(value)) {
          return bad(fmt::format("'{}' is not a number", part));
        }
        args.push_back(value);
        if (part.size() == rest.size()) break;
        rest = rest.substr(part.size() + 1);
      }
    }
    auto period = [&](std::size_t i, int fallback, int min) -> Result<int> {
      if (i >= args.size()) {
        if (fallback == 0) return bad("needs a period, e.g. " + std::string(name) + ":20");
        return fallback;
      }
      double v = args[i];
      if (std::trunc(v) != v || v < min || v > kMaxPeriod) {
        return bad(
            fmt::format("argument {} must be an integer in [{}, {}]", i + 1, min, kMaxPeriod));
      }
      return static_cast<int>(v);
    };
    auto at_most = [&](std::size_t n) -> Status {
      if (args.size() > n) return bad(fmt::format("takes at most {} arguments", n));
      return Status();
    };
    if (name == "sma" || name == "ema" || name == "rsi" || name == "atr") {
      SM_RETURN_IF_ERROR(at_most(1));
      Result<int> n = period(0, name == "rsi" || name == "atr" ? 14 : 0, name == "rsi" ? 2 : 1);
      if (!n.ok()) return n.status();
      out.names_.push_back(fmt::format("{}_{}", name, *n));
      out.widths_.push_back(1);
      if (name == "sma") out.columns_.push_back(of_closes(Sma(*n)));
      if (name == "ema") out.columns_.push_back(of_closes(Ema(*n)));
      if (name == "rsi") out.columns_.push_back(of_closes(Rsi(*n)));
      if (name == "atr") {
        out.columns_.push_back([atr = Atr(*n)](const Bar& bar, std::optional<double>* o) mutable {
          o[0] = atr.update(to_rupees(bar.high), to_rupees(bar.low), to_rupees(bar.close));
        });
      }
    } else if (name == "macd") {
      SM_RETURN_IF_ERROR(at_most(3));
      Result<int> fast = period(0, 12, 2), slow = period(1, 26, 2), signal = period(2, 9, 1);
      for (const auto* r : {&fast, &slow, &signal}) {
        if (!r->ok()) return r->status();
      }
      std::string suffix = fmt::format("{}_{}_{}", *fast, *slow, *signal);
      out.names_.push_back("macd_" + suffix);
      out.names_.push_back("macd_signal_" + suffix);
      out.names_.push_back("macd_hist_" + suffix);
      out.widths_.push_back(3);
      out.columns_.push_back(
          [macd = Macd(*fast, *slow, *signal)](const Bar& bar, std::optional<double>* o) mutable {
            auto v = macd.update(to_rupees(bar.close));
            o[0] = v ? std::optional<double>(v->macd) : std::nullopt;
            o[1] = v ? std::optional<double>(v->signal) : std::nullopt;
            o[2] = v ? std::optional<double>(v->histogram) : std::nullopt;
          });
    } else if (name == "bbands") {
      SM_RETURN_IF_ERROR(at_most(3));
      Result<int> n = period(0, 20, 2);
      if (!n.ok()) return n.status();
      double up = args.size() > 1 ? args[1] : 2.0;
      double down = args.size() > 2 ? args[2] : up;
      if (!(up > 0 && up <= 100 && down > 0 && down <= 100)) {
        return bad("deviations must be in (0, 100]");
      }
      std::string suffix = up == down
                               ? fmt::format("{}_{}", *n, number_name(up))
                               : fmt::format("{}_{}_{}", *n, number_name(up), number_name(down));
      out.names_.push_back("bb_upper_" + suffix);
      out.names_.push_back("bb_middle_" + suffix);
      out.names_.push_back("bb_lower_" + suffix);
      out.widths_.push_back(3);
      out.columns_.push_back(
          [bands = Bollinger(*n, up, down)](const Bar& bar, std::optional<double>* o) mutable {
            auto v = bands.update(to_rupees(bar.close));
            o[0] = v ? std::optional<double>(v->upper) : std::nullopt;
            o[1] = v ? std::optional<double>(v->middle) : std::nullopt;
            o[2] = v ? std::optional<double>(v->lower) : std::nullopt;
          });
    } else if (name == "highest" || name == "lowest" || name == "highest_before" ||
               name == "lowest_before") {
      SM_RETURN_IF_ERROR(at_most(1));
      Result<int> n = period(0, 0, 1);
      if (!n.ok()) return n.status();
      out.names_.push_back(fmt::format("{}_{}", name, *n));
      out.widths_.push_back(1);
      if (name == "highest") out.columns_.push_back(of_prices(Highest(*n), true));
      if (name == "lowest") out.columns_.push_back(of_prices(Lowest(*n), false));
      if (name == "highest_before") out.columns_.push_back(of_prices(HighestBefore(*n), true));
      if (name == "lowest_before") out.columns_.push_back(of_prices(LowestBefore(*n), false));
    } else if (name == "vwap") {
      SM_RETURN_IF_ERROR(at_most(0));
      out.names_.push_back("vwap");
      out.widths_.push_back(1);
      out.columns_.push_back([vwap = Vwap()](const Bar& bar, std::optional<double>* o) mutable {
        double price =
            Vwap::typical_price(to_rupees(bar.high), to_rupees(bar.low), to_rupees(bar.close));
        o[0] = vwap.update(price, static_cast<double>(bar.volume > 0 ? bar.volume : 0),
                           ist_session_id(bar.ts));
      });
    } else {
      return bad(
          "unknown indicator; indicators are: sma, ema, rsi, atr, macd, bbands, highest, lowest, "
          "highest_before, lowest_before, vwap");
    }
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
