#include "core/corporate_action.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <tuple>

#include "core/data_dir.h"
#include "core/read_file.h"

namespace sm {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> split(std::string_view line, char delimiter) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t at = line.find(delimiter, start);
    out.push_back(trim(line.substr(start, at == std::string_view::npos ? at : at - start)));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

}  // namespace

std::int64_t CorporateAction::numerator() const { return kind == ActionKind::kBonus ? b : a; }
std::int64_t CorporateAction::denominator() const { return kind == ActionKind::kBonus ? a + b : b; }

std::string CorporateAction::kind_name() const {
  return kind == ActionKind::kBonus ? "bonus" : "split";
}

std::string CorporateAction::ratio() const { return fmt::format("{}:{}", a, b); }

std::string CorporateAction::describe() const {
  return fmt::format("{} {}:{} (x{:.4g})", kind_name(), a, b,
                     static_cast<double>(numerator()) / static_cast<double>(denominator()));
}

Result<std::vector<CorporateAction>> parse_corporate_actions(std::string_view text,
                                                             std::string_view source) {
  std::vector<CorporateAction> out;
  std::set<std::pair<std::string, Date>> seen;
  int columns[4] = {-1, -1, -1, -1};
  bool header = false;
  std::int64_t line_number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? end : end - start);
    start = end == std::string_view::npos ? text.size() + 1 : end + 1;
    ++line_number;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](const std::string& why) {
      return error(ErrorCode::kParseError, fmt::format("{}:{}: {}", source, line_number, why));
    };
    std::vector<std::string_view> cells = split(line, ',');
    if (!header) {
      static const char* kNames[] = {"symbol", "ex_date", "kind", "ratio"};
      for (std::size_t i = 0; i < cells.size(); ++i) {
        for (int c = 0; c < 4; ++c) {
          if (lower(cells[i]) == kNames[c]) columns[c] = static_cast<int>(i);
        }
      }
      for (int c = 0; c < 4; ++c) {
        if (columns[c] < 0) return bad(fmt::format("the header has no '{}' column", kNames[c]));
      }
      header = true;
      continue;
    }
    auto cell = [&](int c) -> std::string_view {
      std::size_t i = static_cast<std::size_t>(columns[c]);
      return i < cells.size() ? cells[i] : std::string_view();
    };
    CorporateAction action;
    action.symbol = upper(cell(0));
    if (action.symbol.empty()) return bad("symbol is empty");
    Result<Date> date = parse_date(cell(1));
    if (!date.ok()) return bad(fmt::format("ex_date '{}' is not a date (YYYY-MM-DD)", cell(1)));
    action.ex_date = *date;
    const std::string kind = lower(cell(2));
    if (kind == "split")
      action.kind = ActionKind::kSplit;
    else if (kind == "bonus")
      action.kind = ActionKind::kBonus;
    else
      return bad(fmt::format("kind '{}' is not split or bonus", cell(2)));
    std::vector<std::string_view> parts = split(cell(3), ':');
    bool ratio_ok = parts.size() == 2;
    std::int64_t values[2] = {0, 0};
    for (std::size_t i = 0; ratio_ok && i < 2; ++i) {
      Result<std::int64_t> v = parse_fixed_point(parts[i], 0);
      ratio_ok = v.ok() && *v >= 1 && *v <= 1000;
      if (ratio_ok) values[i] = *v;
    }
    if (!ratio_ok) {
      return bad(fmt::format("ratio '{}' is not A:B with whole numbers from 1 to 1000", cell(3)));
    }
    action.a = values[0];
    action.b = values[1];
    if (action.kind == ActionKind::kSplit && action.a == action.b) {
      return bad(fmt::format("split ratio '{}' changes nothing", cell(3)));
    }
    if (!seen.insert({action.symbol, action.ex_date}).second) {
      return bad(
          fmt::format("{} has two actions on {}", action.symbol, format_date(action.ex_date)));
    }
    out.push_back(std::move(action));
  }
  if (!header) return error(ErrorCode::kParseError, fmt::format("{}: no header line", source));
  std::sort(out.begin(), out.end(), [](const CorporateAction& x, const CorporateAction& y) {
    return std::tie(x.symbol, x.ex_date) < std::tie(y.symbol, y.ex_date);
  });
  return out;
}

Result<std::vector<CorporateAction>> load_corporate_actions(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  return parse_corporate_actions(*text, path);
}

Result<std::string> corporate_actions_default_path() {
  return find_data_file("corporate-actions.csv", "SM_CORPORATE_ACTIONS", "corporate-actions file");
}

Result<DefaultActions> load_default_corporate_actions() {
  DefaultActions out;
  Result<std::string> path = corporate_actions_default_path();
  if (!path.ok()) {
    out.missing = path.status().message();
    return out;
  }
  Result<std::vector<CorporateAction>> actions = load_corporate_actions(*path);
  if (!actions.ok()) return actions.status();
  out.path = *path;
  out.actions = std::move(*actions);
  return out;
}

PositionAdjustment adjust_position(const Position& position, const CorporateAction& action) {
  PositionAdjustment out;
  out.position = position;
  // qty * denominator / numerator; C++ division truncates toward zero, which drops the fraction
  // of a share of a long and of a short alike.
  const Int128 scaled = Int128{position.qty} * action.denominator();
  const Int128 whole = scaled / action.numerator();
  const Int128 rest = scaled % action.numerator();
  if (whole != saturate(whole)) {
    out.overflow = true;
    return out;
  }
  out.position.qty = static_cast<Quantity>(whole);
  out.fraction_numerator = static_cast<std::int64_t>(rest < 0 ? -rest : rest);
  return out;
}

std::vector<CorporateAction> actions_crossed(const std::vector<CorporateAction>& actions,
                                             std::string_view symbol, Date after, Date up_to) {
  std::vector<CorporateAction> out;
  for (const CorporateAction& action : actions) {
    if (action.symbol == symbol && action.ex_date > after && action.ex_date <= up_to) {
      out.push_back(action);
    }
  }
  return out;
}

}  // namespace sm
