#include "sqlite/connection.h"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace sm::sqlite {

struct Statement::Cache {
  sqlite3* db = nullptr;
  // One idle statement per SQL text. A statement checked out twice at once gets a second prepare;
  // the spare is finalized when it comes back to an occupied slot.
  std::unordered_map<std::string, sqlite3_stmt*> idle;
  int next_savepoint = 1;

  ~Cache() {
    for (auto& [sql, stmt] : idle) sqlite3_finalize(stmt);
  }
};

namespace {

// "file:<path>?immutable=1", with the characters a URI gives meaning to escaped.
std::string immutable_uri(const std::string& path) {
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

Status sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const char* reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return error(ErrorCode::kDatabaseError, fmt::format("{}: {} (sqlite code {})", what, reason, rc));
}

std::string_view first_line(std::string_view sql) {
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n')) sql.remove_prefix(1);
  const size_t end = sql.find('\n');
  return end == std::string_view::npos ? sql : sql.substr(0, end);
}

}  // namespace

std::string_view synchronous_name(Synchronous mode) {
  switch (mode) {
    case Synchronous::kOff:
      return "OFF";
    case Synchronous::kNormal:
      return "NORMAL";
    case Synchronous::kFull:
      return "FULL";
  }
  return "FULL";
}

Statement::~Statement() { release(); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      cache_(std::exchange(other.cache_, nullptr)),
      bind_error_(std::move(other.bind_error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    stmt_ = std::exchange(other.stmt_, nullptr);
    cache_ = std::exchange(other.cache_, nullptr);
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

void Statement::release() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (cache_ != nullptr) {
    auto [it, inserted] = cache_->idle.try_emplace(sqlite3_sql(stmt_), stmt_);
    if (!inserted) sqlite3_finalize(stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  cache_ = nullptr;
}

namespace {
Status bind_failure(sqlite3_stmt* stmt, int index, int rc) {
  return error(ErrorCode::kDatabaseError,
               fmt::format("bind parameter {} of '{}': {}", index, first_line(sqlite3_sql(stmt)),
                           sqlite3_errstr(rc)));
}
}  // namespace

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = bind_failure(stmt_, index, rc);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = bind_failure(stmt_, index, rc);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  // A default-constructed string_view has a null data pointer, which SQLite would bind as NULL;
  // empty text must stay empty text.
  const char* data = value.data() != nullptr ? value.data() : "";
  const int rc =
      sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = bind_failure(stmt_, index, rc);
  return *this;
}

Statement& Statement::bind_static(int index, std::string_view value) {
  const char* data = value.data() != nullptr ? value.data() : "";
  const int rc = sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = bind_failure(stmt_, index, rc);
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_.ok()) bind_error_ = bind_failure(stmt_, index, rc);
  return *this;
}

Result<bool> Statement::step() {
  if (!bind_error_.ok()) return bind_error_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  Status failed = sqlite_error(db, rc, fmt::format("'{}'", first_line(sqlite3_sql(stmt_))));
  // A failed step must be reset before the statement can run again.
  sqlite3_reset(stmt_);
  return failed;
}

Status Statement::run() {
  while (true) {
    Result<bool> row = step();
    if (!row.ok()) return row.status();
    if (!*row) return Status();
  }
}

std::int64_t Statement::changes() const { return sqlite3_changes64(sqlite3_db_handle(stmt_)); }

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = Status();
}

void Statement::reset_keeping_bindings() {
  sqlite3_reset(stmt_);
  bind_error_ = Status();
}

std::int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string_view Statement::column_text_view(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  const int bytes = sqlite3_column_bytes(stmt_, column);
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(bytes)};
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Transaction::~Transaction() { rollback(); }

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), savepoint_(other.savepoint_) {}

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    rollback();
    db_ = std::exchange(other.db_, nullptr);
    savepoint_ = other.savepoint_;
  }
  return *this;
}

Status Transaction::commit() {
  if (db_ == nullptr) return error(ErrorCode::kInternal, "commit of a finished transaction");
  const std::string sql =
      savepoint_ == 0 ? std::string("COMMIT") : fmt::format("RELEASE sm_savepoint_{}", savepoint_);
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Status failed = sqlite_error(db_, rc, "commit");
    rollback();
    return failed;
  }
  db_ = nullptr;
  return Status();
}

void Transaction::rollback() {
  if (db_ == nullptr) return;
  if (savepoint_ == 0) {
    // After some errors SQLite has already rolled back; ROLLBACK then fails harmlessly.
    if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  } else {
    const std::string sql =
        fmt::format("ROLLBACK TO sm_savepoint_{0}; RELEASE sm_savepoint_{0}", savepoint_);
    sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  db_ = nullptr;
}

Connection::Connection() = default;

Connection::~Connection() {
  cache_.reset();  // finalizes idle statements before the connection closes
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Connection::Connection(Connection&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      cache_(std::move(other.cache_)),
      path_(std::move(other.path_)),
      synchronous_(other.synchronous_),
      read_only_(other.read_only_),
      wal_frames_(std::move(other.wal_frames_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    cache_.reset();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    cache_ = std::move(other.cache_);
    path_ = std::move(other.path_);
    synchronous_ = other.synchronous_;
    read_only_ = other.read_only_;
    wal_frames_ = std::move(other.wal_frames_);
  }
  return *this;
}

Status Connection::error_status(std::string_view what) const {
  return error(ErrorCode::kDatabaseError,
               fmt::format("{}: {}: {}", path_, what, db_ ? sqlite3_errmsg(db_) : "not open"));
}

Result<Connection> Connection::open(const std::string& path, OpenOptions options) {
  if (path.empty()) return error(ErrorCode::kInvalidArgument, "database path is empty");
  const bool in_memory = path == ":memory:";
  if (!in_memory && options.create_parent_directory) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return error(ErrorCode::kDatabaseError, fmt::format("{}: cannot create directory {}: {}",
                                                            path, parent.string(), ec.message()));
      }
    }
  }
  Connection db;
  db.path_ = path;
  // NOMUTEX: a connection belongs to one thread at a time (connection.h), so SQLite's own per-call
  // locking is pure overhead (about 6% of a bulk insert).
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status failed = error(ErrorCode::kDatabaseError,
                          fmt::format("{}: cannot open database: {}", path,
                                      db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc)));
    return failed;
  }
  db.cache_ = std::make_unique<Statement::Cache>();
  db.cache_->db = db.db_;
  SM_RETURN_IF_ERROR(db.configure(options));
  return db;
}

Result<Connection> Connection::open_readonly(const std::string& path, int busy_timeout_ms) {
  std::error_code ec;
  if (path != ":memory:" && !std::filesystem::exists(path, ec)) {
    return error(ErrorCode::kNotFound, fmt::format("{}: database file does not exist", path));
  }
  // A reader of a WAL database needs its -shm file, and creates it (and the -wal) when the last
  // writer has closed and removed them. A user who may not write the directory then gets
  // SQLITE_READONLY or SQLITE_CANTOPEN. With no -wal file there is nothing beyond the main file
  // to read and no writer running (a writer keeps a -wal open), so the file can be opened as
  // immutable (https://sqlite.org/wal.html#readonly): no -shm, no locks, nothing written.
  Status first_failure;
  for (const bool immutable : {false, true}) {
    Connection db;
    db.path_ = path;
    db.read_only_ = true;
    const std::string name = immutable ? immutable_uri(path) : path;
    const int flags =
        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | (immutable ? SQLITE_OPEN_URI : 0);
    const int rc = sqlite3_open_v2(name.c_str(), &db.db_, flags, nullptr);
    if (rc != SQLITE_OK) {
      return error(ErrorCode::kDatabaseError,
                   fmt::format("{}: cannot open database read-only: {}", path,
                               db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc)));
    }
    db.cache_ = std::make_unique<Statement::Cache>();
    db.cache_->db = db.db_;
    sqlite3_busy_timeout(db.db_, busy_timeout_ms);
    // Reading user_version makes SQLite read the header, so a file that is not a database fails
    // here with a clear message instead of in the first report query.
    Result<int> version = db.schema_version();
    if (version.ok()) return db;
    if (immutable) return first_failure;
    const int code = sqlite3_errcode(db.db_) & 0xff;
    if (path == ":memory:" || (code != SQLITE_READONLY && code != SQLITE_CANTOPEN) ||
        std::filesystem::exists(path + "-wal", ec) || ec) {
      return version.status();
    }
    first_failure = version.status();
  }
  return first_failure;
}

Status Connection::configure(const OpenOptions& options) {
  sqlite3_busy_timeout(db_, options.busy_timeout_ms);
  sqlite3_extended_result_codes(db_, 1);
  // Switching to WAL needs an exclusive lock. When several programs open a fresh file at once the
  // loser can see SQLITE_BUSY without the busy handler being consulted, so retry within the
  // timeout. Once the file is in WAL mode (it is persistent) this is a cheap no-op.
  std::string mode;
  for (int waited_ms = 0;; waited_ms += 10) {
    Result<Statement> stmt = prepare("PRAGMA journal_mode=WAL");
    if (!stmt.ok()) return stmt.status().with_context(path_);
    Result<bool> row = stmt->step();
    if (row.ok() && *row) {
      mode = stmt->column_text(0);
      break;
    }
    const int rc = sqlite3_errcode(db_) & 0xff;
    if (row.ok() || (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) ||
        waited_ms >= options.busy_timeout_ms) {
      return row.ok() ? error_status("PRAGMA journal_mode returned nothing")
                      : row.status().with_context(path_);
    }
    sqlite3_sleep(10);
  }
  if (mode != "wal" && !(path_ == ":memory:" && mode == "memory")) {
    return error(ErrorCode::kDatabaseError,
                 fmt::format("{}: cannot switch to WAL journal (journal_mode is {})", path_, mode));
  }
  SM_RETURN_IF_ERROR(execute("PRAGMA foreign_keys=ON"));
  if (!options.auto_checkpoint) {
    // A WAL hook of our own replaces SQLite's automatic checkpoint (which is one too).
    wal_frames_ = std::make_unique<int>(0);
    sqlite3_wal_hook(
        db_,
        [](void* frames, sqlite3* /*db*/, const char* /*name*/, int pages) {
          *static_cast<int*>(frames) = pages;
          return SQLITE_OK;
        },
        wal_frames_.get());
  }
  return set_synchronous(options.synchronous);
}

Status Connection::checkpoint() {
  // Inside a transaction of this connection: the caller's commit comes first, then another chance.
  if (in_transaction()) return Status();
  if (wal_frames_) *wal_frames_ = 0;
  int wal_pages = 0;
  int copied = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
  if ((rc & 0xff) == SQLITE_BUSY) return Status();
  if (rc != SQLITE_OK) return error_status("checkpoint of the WAL failed");
  if (wal_pages <= 0 || copied < wal_pages) return Status();
  // The whole WAL is in the database, so the next commit starts the WAL over: it writes the WAL's
  // header and syncs it before its pages, even at synchronous=NORMAL. That commit is made here,
  // the smallest there is (user_version rewritten as it is), not by the next one on the path.
  Result<Transaction> tx = begin();
  if (!tx.ok()) return tx.status();
  Result<int> version = schema_version();
  if (!version.ok()) return version.status();
  SM_RETURN_IF_ERROR(execute(fmt::format("PRAGMA user_version={}", *version)));
  SM_RETURN_IF_ERROR(tx->commit());
  if (wal_frames_) *wal_frames_ = 0;  // that commit's one page is no reason for another
  return Status();
}

Status Connection::set_synchronous(Synchronous mode) {
  SM_RETURN_IF_ERROR(execute(fmt::format("PRAGMA synchronous={}", synchronous_name(mode))));
  synchronous_ = mode;
  return Status();
}

Status Connection::migrate(std::span<const Migration> migrations) {
  const int latest = static_cast<int>(migrations.size());
  Result<int> current = schema_version();
  if (!current.ok()) return current.status();
  if (*current > latest) {
    return error(ErrorCode::kDatabaseError,
                 fmt::format("{}: schema version {} is newer than this program knows ({}); "
                             "upgrade StalkMarket",
                             path_, *current, latest));
  }
  while (*current < latest) {
    Result<Transaction> tx = begin();
    if (!tx.ok()) return tx.status().with_context(path_);
    // Another process may have migrated while we waited for the write lock.
    current = schema_version();
    if (!current.ok()) return current.status();
    if (*current >= latest) break;
    const Migration& step = migrations[static_cast<size_t>(*current)];
    Status applied = execute(step.sql);
    if (!applied.ok()) {
      return applied.with_context(
          fmt::format("migration to version {} ({})", *current + 1, step.description));
    }
    SM_RETURN_IF_ERROR(execute(fmt::format("PRAGMA user_version={}", *current + 1)));
    SM_RETURN_IF_ERROR(tx->commit());
    current = *current + 1;
  }
  return Status();
}

Status Connection::execute(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    Status failed = error(ErrorCode::kDatabaseError,
                          fmt::format("{}: '{}': {} (sqlite code {})", path_, first_line(sql),
                                      message ? message : sqlite3_errstr(rc), rc));
    sqlite3_free(message);
    return failed;
  }
  return Status();
}

Result<Statement> Connection::prepare(std::string_view sql) {
  if (db_ == nullptr) return error(ErrorCode::kInternal, "prepare on a closed database");
  const std::string key(sql);
  auto it = cache_->idle.find(key);
  if (it != cache_->idle.end()) {
    sqlite3_stmt* stmt = it->second;
    cache_->idle.erase(it);
    return Statement(stmt, cache_.get());
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return error(ErrorCode::kDatabaseError,
                 fmt::format("{}: prepare '{}': {}", path_, first_line(sql), sqlite3_errmsg(db_)));
  }
  if (stmt == nullptr) return error(ErrorCode::kInternal, "prepare of empty SQL");
  return Statement(stmt, cache_.get());
}

Result<Transaction> Connection::begin() {
  if (sqlite3_get_autocommit(db_) != 0) {
    SM_RETURN_IF_ERROR(execute("BEGIN IMMEDIATE"));
    return Transaction(db_, 0);
  }
  const int savepoint = cache_->next_savepoint++;
  SM_RETURN_IF_ERROR(execute(fmt::format("SAVEPOINT sm_savepoint_{}", savepoint)));
  return Transaction(db_, savepoint);
}

Result<std::int64_t> Connection::query_int64(std::string_view sql) {
  Result<Statement> stmt = prepare(sql);
  if (!stmt.ok()) return stmt.status();
  Result<bool> row = stmt->step();
  if (!row.ok()) return row.status();
  if (!*row)
    return error(ErrorCode::kNotFound, fmt::format("'{}' returned no row", first_line(sql)));
  return stmt->column_int64(0);
}

Result<int> Connection::schema_version() {
  Result<std::int64_t> version = query_int64("PRAGMA user_version");
  if (!version.ok()) return version.status().with_context(path_);
  return static_cast<int>(*version);
}

bool Connection::in_transaction() const {
  return db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
}

std::int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

std::int64_t Connection::changes() const { return sqlite3_changes64(db_); }

}  // namespace sm::sqlite
