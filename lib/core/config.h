// Configuration shared by every sm-* program: one JSON file (comments allowed) with one top-level
// section per program or module, plus environment overrides. docs/CONFIG.md is the user's guide
// and lists the keys; this header is the contract.
//
// Precedence, highest first: command-line flag (handled by the program) > environment override
// (SM_CFG__SECTION__KEY=value, applied by load()) > configuration file > the default passed to the
// getter. Secrets never live here: a key that looks like a secret is refused (see secrets.h).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/money.h"
#include "core/status.h"

namespace sm {

// Not thread-safe: getters record which keys were read (unread_keys). Read the configuration at
// start-up on one thread and pass plain values on.
class Config {
 public:
  // The top-level sections programs use today. parse() loads a file with any other top-level key
  // with a warning; load_config refuses it (check_known_keys).
  static const std::set<std::string>& known_sections();
  // Every key a program reads, as dot paths: the one table docs/CONFIG.md documents (types,
  // defaults, meaning). "*" stands for any one name (a strategy id, a symbol). A key whose value is
  // a list or an object its reader checks (signal.strategies) is one entry. Modules add their keys
  // here when they start reading them.
  static const std::vector<std::string>& known_keys();

  // OK when every top-level key is a known section and every key under them is in known_keys() (a
  // key that is a prefix of known keys may hold an object of them, or null). Otherwise
  // kConfigError naming the first unknown section or key and where it came from (the file or an
  // SM_CFG__ variable), so a misspelt limit never runs on its default.
  Status check_known_keys() const;

  // No file: every getter returns its default. No environment overrides are applied.
  static Config defaults();

  // Reads path (JSON; // and /* */ comments allowed), then applies SM_CFG__ overrides from the
  // process environment. Errors (all kConfigError, message names the file): the file is missing
  // or unreadable; bad JSON ("path:line:column: reason"); the top level is not an object; a key
  // looks like a secret; a bad override variable.
  static Result<Config> load(const std::string& path);
  // load(path) when path is non-empty, else defaults() plus the environment overrides. This is what
  // a program does with its --config / $SM_CONFIG value.
  static Result<Config> load_or_defaults(const std::string& path);
  // Parses text in memory (no environment); source names it in messages.
  static Result<Config> parse(std::string_view text, std::string_view source = "<config>");

  // Applies overrides from `NAME=VALUE` entries (the format of `environ`); entries not starting
  // with SM_CFG__ are ignored. SM_CFG__RISK__MAX_ORDER_QTY=500 sets risk.max_order_qty: the name
  // after the prefix is split at "__" and lower-cased. The value is parsed as JSON if it parses
  // (500, true, "x", [1,2], {"a":1}), else taken as a string. Errors (kConfigError): an empty
  // path part, a path through a non-object, a secret-looking key. Applied entries are listed in
  // overrides().
  Status apply_overrides(const std::vector<std::string>& environment);
  // The same with the process environment.
  Status apply_environment();

  // Typed getters. `path` is dot-separated ("risk.max_order_qty"). A missing key (or a missing
  // parent) yields default_value; a value of the wrong type is kConfigError naming the key, where
  // it came from (file or variable) and the expected type — never silently the default.
  // Each call marks the key as read (see unread_keys).
  Result<std::int64_t> get_int(std::string_view path, std::int64_t default_value) const;
  Result<double> get_double(std::string_view path, double default_value) const;  // int or float
  Result<bool> get_bool(std::string_view path, bool default_value) const;
  // A string. A number or bool set by an environment override is returned as the variable's text
  // (SM_CFG__ALERT__TELEGRAM__CHAT_ID=12345 reads as "12345").
  Result<std::string> get_string(std::string_view path, std::string default_value) const;
  Result<std::vector<std::string>> get_string_list(std::string_view path,
                                                   std::vector<std::string> default_value) const;
  // Exact rupee amounts as paise, from a JSON string ("1250.50") or number (1250.5, 1250).
  // A number is read through its shortest round-trip decimal text, so 1250.5 is exactly 125050
  // paise; more than two decimals, NaN or an out-of-range amount is kConfigError.
  Result<Paise> get_rupees(std::string_view path, Paise default_value) const;
  // A whole object (e.g. a program's section, or "strategy.params"); {} when missing;
  // kConfigError if present and not an object. Marks every key under it as read.
  Result<nlohmann::json> get_section(std::string_view path) const;
  bool has(std::string_view path) const;

  // Keys under `section` (leaves, dot paths) that no getter has asked for: after reading its
  // configuration a program logs these as warnings (probably misspelt keys).
  std::vector<std::string> unread_keys(std::string_view section) const;
  // Warnings found while loading (unknown top-level sections). Never contains values.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Environment variables applied by apply_overrides, as (variable name, config path).
  const std::vector<std::pair<std::string, std::string>>& overrides() const { return overrides_; }
  // The file this came from; empty for defaults().
  const std::string& source() const { return source_; }

  // The effective configuration (file plus overrides) as compact JSON with keys sorted at every
  // level: equal configurations give equal text whatever the file's order, spacing or comments.
  // This text and its hash are what programs record in the database (config_changes).
  std::string canonical_text() const;
  // sha256 of canonical_text(), lower-case hex.
  std::string content_hash() const;
  const nlohmann::json& json() const { return root_; }

 private:
  Config() : root_(nlohmann::json::object()) {}
  Result<const nlohmann::json*> find(std::string_view path) const;
  std::string origin(const std::string& path) const;
  Status type_error(std::string_view path, std::string_view expected,
                    const nlohmann::json& value) const;

  nlohmann::json root_;
  std::string source_;
  std::vector<std::string> warnings_;
  std::vector<std::pair<std::string, std::string>> overrides_;
  std::map<std::string, std::string> override_text_;  // config path -> the variable's raw value
  mutable std::set<std::string> read_;                // paths asked for (prefixes of leaves)
};

// The one way a program loads its configuration (docs/CONFIG.md): reads path (empty = built-in
// defaults) plus the SM_CFG__ environment overrides, checks that every section and key is known
// (check_known_keys), and logs config_loaded with its hash. Errors are kConfigError (a named file
// that does not exist, bad JSON, an unknown section or key, ...): the caller logs them as
// config_error and exits with kExitConfigError.
Result<Config> load_config(const std::string& path, const Logger& log);

// $USER, else $LOGNAME, else "unknown": who a configuration or a manual action is recorded as by
// default.
std::string default_actor();

}  // namespace sm
