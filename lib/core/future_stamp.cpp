#include "core/future_stamp.h"

#include <type_traits>

namespace sm {

std::optional<FutureStamp> future_stamp(const Message& message, TimestampMs now_ms) {
  return std::visit(
      [&](const auto& m) -> std::optional<FutureStamp> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, UnknownMessage>) {
          return std::nullopt;
        } else {
          // A bar is stamped with its start, which must not be after now; everything else is an
          // instant, allowed the clock tolerance.
          const TimestampMs limit =
              std::is_same_v<T, Bar> ? now_ms : now_ms + kTickClockToleranceMs;
          if (m.ts <= limit) return std::nullopt;
          FutureStamp stamp;
          if constexpr (requires { m.symbol; }) stamp.symbol = m.symbol;
          stamp.ts = m.ts;
          stamp.limit = limit;
          return stamp;
        }
      },
      message);
}

}  // namespace sm
