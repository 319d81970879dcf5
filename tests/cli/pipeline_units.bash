# The systemd/ units read and run as systemd would, for the tests that run the pipeline exactly as
# the units wire it (pipeline.bats, live_day.bats), from the templates systemd/*.service.in that
# installing renders (cmake/SmSystemdUnits.cmake). Paths move into the test directory
# (@SM_BINDIR@, the install prefix's bin -> the build; /run/stalkmarket -> run/ here); everything
# else of a unit's lines stays. ExecCondition= (does the market trade today?) is not run: it would
# tie the tests to the date they run on (systemd.bats tests it). Load after common.

UNITS_DIR="$SM_ROOT/systemd"

# The lines of KEY= of a unit (ExecStart, ExecStartPre, Restart, ...), with the paths of this test
# and systemd's %% unescaped.
unit_lines() {  # unit_lines UNIT KEY
  sed -n "s/^$2=//p" "$UNITS_DIR/$1.service.in" |
    sed -e "s|@SM_BINDIR@/|$SM_BIN/|g" -e "s|/run/stalkmarket|$SM_TEST_DIR/run|g" -e 's/%%/%/g'
}

# Runs a unit's ExecStartPre= lines (each must succeed, unless systemd's "-" prefix says a failure
# is ignored), appending their output to UNIT.pre.log.
run_start_pre() {  # run_start_pre UNIT
  local line
  while IFS= read -r line; do
    if [[ "$line" == -* ]]; then
      eval "${line#-}" >>"$1.pre.log" 2>&1 || true
    else
      eval "$line" >>"$1.pre.log" 2>&1 || {
        echo "$1: ExecStartPre failed: $line" >&2
        cat "$1.pre.log" >&2
        return 1
      }
    fi
  done < <(unit_lines "$1" ExecStartPre)
}

# Starts a unit's ExecStartPre= lines and then its ExecStart= in the background, as systemd does;
# its pid is added to UNIT_PIDS and set in PID_<unit>, its stdout (the journal under systemd, where
# the line does not redirect it) goes to UNIT.out and its stderr to UNIT.log.
start_unit() {  # start_unit UNIT [ExecStart text to use instead of the unit's]
  local exec
  run_start_pre "$1" || return 1
  exec=${2:-$(unit_lines "$1" ExecStart)}
  [ -n "$exec" ]
  eval "$exec" >>"$1.out" 2>>"$1.log" &
  UNIT_PIDS="${UNIT_PIDS:-} $!"
  eval "PID_${1//-/_}=$!"
}

# Waits (at most SECONDS, scaled: common.bash) for the pid to end; fails when it is still running
# or ended badly.
wait_unit() {  # wait_unit PID SECONDS
  local end
  end=$((SECONDS + $(scaled_whole "$2")))
  while kill -0 "$1" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
  if kill -0 "$1" 2>/dev/null; then
    echo "pid $1 still running after $2 s" >&2
    return 1
  fi
  wait "$1"
}

# Whether systemd restarts the unit after its main process ended with STATUS, by its Restart= and
# RestartPreventExitStatus= lines (the policies the units use: always, on-failure, no). A process
# killed by a signal counts as a failure.
unit_restarts() {  # unit_restarts UNIT STATUS
  local policy prevent code
  policy=$(unit_lines "$1" Restart | tail -1)
  prevent=$(unit_lines "$1" RestartPreventExitStatus | tail -1)
  for code in $prevent; do [ "$code" = "$2" ] && return 1; done
  case "${policy:-no}" in
    always) return 0 ;;
    on-failure) [ "$2" -ne 0 ] ;;
    *) return 1 ;;
  esac
}

# Runs a unit as systemd runs it with its Restart= policy: ExecStartPre= and ExecStart= (or the
# given text), again whenever the main process ends and the policy says so, until the file
# $SM_TEST_DIR/run/stop exists. The running main process's pid is in run/UNIT.pid; every start is
# a line in UNIT.starts. RestartSec= (2 s: a fraction of a 1-minute bar live) becomes
# $SM_RESTART_DELAY_S (default 0.5 s), since the tests replay a day at many times real time.
supervise_unit() {  # supervise_unit UNIT [ExecStart text]  (run it in the background)
  local unit=$1 exec pid status
  exec=${2:-$(unit_lines "$unit" ExecStart)}
  while [ ! -e "$SM_TEST_DIR/run/stop" ]; do
    run_start_pre "$unit" || return 1
    eval "$exec" >>"$SM_TEST_DIR/$unit.out" 2>>"$SM_TEST_DIR/$unit.log" &
    pid=$!
    echo "$pid" >"$SM_TEST_DIR/run/$unit.pid"
    echo "start $pid" >>"$SM_TEST_DIR/$unit.starts"
    status=0
    wait "$pid" || status=$?
    echo "end $pid $status" >>"$SM_TEST_DIR/$unit.starts"
    unit_restarts "$unit" "$status" || break
    sleep "${SM_RESTART_DELAY_S:-0.5}"
  done
  rm -f "$SM_TEST_DIR/run/$unit.pid"
}
