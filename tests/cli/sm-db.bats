#!/usr/bin/env bats
# sm-db: backup, retention, check, restore, tick pruning and migration of the database file.
load common

# A database with bars and ticks from the sample data and one filled order's worth of records.
populated_db() {
  sm-ingest "$SM_SAMPLE/RELIANCE.csv" >/dev/null 2>&1
  printf '%s\n' \
    '{"type":"tick","ts":"2024-01-02T04:00:00Z","symbol":"INFY","price":1500,"qty":1,"volume":10}' \
    '{"type":"tick","ts":"2024-01-03T04:00:00Z","symbol":"INFY","price":1501,"qty":1,"volume":20}' \
    "{\"type\":\"tick\",\"ts\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"symbol\":\"INFY\",\"price\":1502,\"qty\":1,\"volume\":30}" |
    sm-ingest >/dev/null 2>&1
  sqlite3 "$SM_DB" "INSERT INTO fills (trade_id, strategy, symbol, side, qty, price_paise, ts_ms, recorded_ms)
                    VALUES ('T1', 'trend', 'INFY', 'BUY', 1, 150000, 1704168000000, 1);
                    INSERT INTO halts (level, trigger_name, created_ms) VALUES ('halt', 'manual', 1);"
}

# "table count" lines for every table of the database file $1.
row_counts() {
  local table
  for table in $(sqlite3 "$1" "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"); do
    echo "$table $(sqlite3 "$1" "SELECT count(*) FROM \"$table\"")"
  done
}

@test "backup, delete, restore: integrity_check is ok and every table has the same rows" {
  populated_db
  row_counts "$SM_DB" >before
  [ "$(grep -c . before)" -gt 10 ]
  run --separate-stderr sm-db backup --dir backups
  [ "$status" -eq 0 ]
  assert_json_lines
  backup=$(jq -r 'select(.type == "backup_written") | .path' <<<"$output")
  [[ "$(basename "$backup")" =~ ^test-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{6}\.db$ ]]
  [ "$(sqlite3 "$backup" 'PRAGMA integrity_check')" = ok ]

  rm -f "$SM_DB" "$SM_DB-wal" "$SM_DB-shm"
  run --separate-stderr sm-db restore "$backup"
  [ "$status" -eq 0 ]
  jq -e '.type == "database_restored"' <<<"$output"
  [ "$(sqlite3 "$SM_DB" 'PRAGMA integrity_check')" = ok ]
  row_counts "$SM_DB" >after
  diff before after
  sm-status >/dev/null
}

@test "restore replaces a corrupted database only with --replace" {
  populated_db
  row_counts "$SM_DB" >before
  backup=$(sm-db backup --dir backups | jq -r .path)
  dd if=/dev/urandom of="$SM_DB" bs=4096 count=4 conv=notrunc status=none
  run sm-db check
  [ "$status" -ne 0 ]
  assert_usage_error sm-db restore "$backup"
  run --separate-stderr sm-db restore --replace "$backup"
  [ "$status" -eq 0 ]
  run --separate-stderr sm-db check
  [ "$status" -eq 0 ]
  jq -e '.type == "database_checked" and .ok and .problems == []' <<<"$output"
  row_counts "$SM_DB" >after
  diff before after
}

@test "a damaged backup is refused and the database is left alone" {
  populated_db
  backup=$(sm-db backup --dir backups | jq -r .path)
  size=$(stat -c %s "$backup")
  # Zero every page but the first two and the last: the header stays readable, the tables do not.
  dd if=/dev/zero of="$backup" bs=4096 seek=2 count=$((size / 4096 - 3)) conv=notrunc status=none
  row_counts "$SM_DB" >before
  run --separate-stderr sm-db restore --replace "$backup"
  [ "$status" -ne 0 ]
  [ -z "$output" ]
  row_counts "$SM_DB" >after
  diff before after
}

@test "backup --keep-days removes the older days' backups, never other files" {
  populated_db
  mkdir backups
  touch backups/test-2020-01-01T200000.db backups/test-2020-01-02T200000.db backups/notes.txt \
    backups/other-2020-01-01T200000.db
  run --separate-stderr sm-db backup --dir backups --keep-days 2
  [ "$status" -eq 0 ]
  assert_json_lines
  [ "$(jq -r 'select(.type == "backup_removed") | .path' <<<"$output")" = backups/test-2020-01-01T200000.db ]
  [ -f backups/test-2020-01-02T200000.db ] && [ -f backups/notes.txt ]
  [ -f backups/other-2020-01-01T200000.db ]
  run --separate-stderr sm-db prune-backups --dir backups --keep-days 1
  [ "$status" -eq 0 ]
  [ "$(jq -r .path <<<"$output")" = backups/test-2020-01-02T200000.db ]
  [ "$(ls backups/test-*.db | wc -l)" -eq 1 ]
}

@test "prune-ticks deletes old ticks only; bars, fills and halts stay" {
  populated_db
  bars=$(sqlite3 "$SM_DB" 'SELECT count(*) FROM bars')
  run --separate-stderr sm-db prune-ticks --older-than-days 30
  [ "$status" -eq 0 ]
  jq -e '.type == "ticks_pruned" and .deleted == 2' <<<"$output"
  [ "$(sqlite3 "$SM_DB" 'SELECT count(*) FROM ticks')" -eq 1 ]
  [ "$(sqlite3 "$SM_DB" "SELECT row_count FROM market_series WHERE kind = 'tick'")" -eq 1 ]
  [ "$(sqlite3 "$SM_DB" 'SELECT count(*) FROM bars')" -eq "$bars" ]
  [ "$(sqlite3 "$SM_DB" 'SELECT count(*) FROM fills')" -eq 1 ]
  [ "$(sqlite3 "$SM_DB" 'SELECT count(*) FROM halts')" -eq 1 ]
  run --separate-stderr sm-db prune-ticks --before 2030-01-01
  jq -e '.deleted == 1' <<<"$output"
}

@test "migrate on an empty database (empty input) creates the current schema" {
  run --separate-stderr sm-db migrate
  [ "$status" -eq 0 ]
  jq -e --argjson v "$(sqlite3 "$SM_DB" 'PRAGMA user_version')" \
    '.type == "schema_migrated" and .from_version == 0 and .to_version == $v and $v > 0' <<<"$output"
}

@test "a file that is not a database (malformed input) is an error, not a crash" {
  echo 'not a database at all, just text that is long enough to fill a header' >"$SM_DB"
  run --separate-stderr sm-db check
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  jq -e '.level == "error"' <<<"$stderr"
  run --separate-stderr sm-db backup --dir backups
  [ "$status" -eq 1 ]
  [ ! -e backups/test-*.db ]
}

@test "a backup of a missing database fails and creates nothing" {
  run --separate-stderr sm-db backup --dir backups
  [ "$status" -eq 1 ]
  [ ! -e "$SM_DB" ]
}

@test "usage: no subcommand, an unknown flag, a bad --keep-days, both prune-ticks limits" {
  assert_usage_error sm-db
  assert_usage_error sm-db check --frobnicate
  assert_usage_error sm-db backup --dir b --keep-days 0
  assert_usage_error sm-db prune-ticks
  assert_usage_error sm-db prune-ticks --older-than-days 3 --before 2024-01-01
  # A day count out of range names the range people can use.
  run --separate-stderr sm-db prune-ticks --older-than-days -5
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"not in range 1 to 36500"* ]]
}

@test "--help lists the subcommands and exits 0" {
  run --separate-stderr sm-db --help
  [ "$status" -eq 0 ]
  for word in backup prune-backups check restore prune-ticks migrate --db; do
    [[ "$output" == *"$word"* ]]
  done
}

@test "--config: a missing file, an unknown key or section is a configuration error (exit 4)" {
  assert_config_refused sm-db migrate
}

@test "a database three schema versions old: the current programs upgrade it and lose no row" {
  old_version=$(sm-test-older-database "$SM_DB")
  [ "$(sqlite3 "$SM_DB" 'PRAGMA user_version')" -eq "$old_version" ]
  row_counts "$SM_DB" >before
  run --separate-stderr sm-db migrate
  [ "$status" -eq 0 ]
  jq -e --argjson old "$old_version" '.from_version == $old and .to_version > $old' <<<"$output"
  while read -r table rows; do
    [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM \"$table\"")" -eq "$rows" ] || { echo "$table lost rows"; return 1; }
  done <before
  # What the upgraded file holds, as the programs read it.
  sm-status --json | jq -e '.positions == [.positions[0]] and .positions[0].symbol == "TCS"
                            and .positions[0].qty == 5 and .positions[0].last_price == 3505'
  printf '{"risk": {"capital": 500000}}\n' >risk.json
  sm-risk --config risk.json status --json | jq -e '.state == "halted"'
  [ "$(sm-db check | jq -r .ok)" = true ]
}
