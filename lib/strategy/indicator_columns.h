// Named indicator series for research output: what a program prints when asked for "sma:20" or
// "macd:12,26,9" over a data file or the database (as CSV or NDJSON). Column names match the
// TA-Lib reference files (sma_20, macd_signal_12_26_9, bb_upper_20_2, ...).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/messages.h"
#include "core/status.h"

namespace sm::strategy {

class IndicatorColumns {
 public:
  // Each spec is "name:arguments" with comma-separated arguments (defaults in brackets):
  //   sma:N  ema:N  rsi:N[14]  atr:N[14]           -> sma_N, ema_N, rsi_N, atr_N
  //   macd:FAST,SLOW,SIGNAL[12,26,9]               -> macd_F_S_G, macd_signal_F_S_G,
  //   macd_hist_F_S_G bbands:N,DEV[20,2] or bbands:N,UP,DOWN       -> bb_upper_N_DEV,
  //   bb_middle_N_DEV, bb_lower_N_DEV
  //                                                   (N_UP_DOWN when they differ)
  //   highest:N  lowest:N                          -> highest_N, lowest_N (of highs / lows, bar
  //                                                   included)
  //   highest_before:N  lowest_before:N            -> the N bars before, bar excluded
  //   vwap                                         -> vwap (typical price, IST session)
  // sma and ema need N. Indicators of closes use the close, atr the bar's high, low and close.
  // Fails with kInvalidArgument naming the spec when a name or argument is unknown or out of range.
  static Result<IndicatorColumns> make(std::span<const std::string> specs);

  // Column names in output order.
  const std::vector<std::string>& names() const { return names_; }

  // Takes the next bar and writes one value per column (nullopt = not defined yet) into out,
  // which is resized to names().size().
  void update(const Bar& bar, std::vector<std::optional<double>>& out);

 private:
  // One per indicator: takes the bar and writes its outputs (one, or three for macd and bbands)
  // from the given position on.
  using Column = std::function<void(const Bar&, std::optional<double>*)>;
  std::vector<std::string> names_;
  std::vector<Column> columns_;
  std::vector<std::size_t> widths_;
};

}  // namespace sm::strategy
