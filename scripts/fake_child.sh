# Sourced by the scripts that run majordomo-fake as a child process (the demo, the package and npm
# checks): a work directory removed on exit, the fake stopped by its PID on exit, and the wait for
# the port file the fake writes once it listens.
# After sourcing: begin_work_dir [mktemp TEMPLATE]; start the fake with `&` and set fake_pid=$!
# right away; clear fake_pid after stopping the fake yourself.

begin_work_dir() {
  work="$(mktemp -d "$@")"
  fake_pid=""
  trap stop_fake_and_remove_work_dir EXIT
}

stop_fake_and_remove_work_dir() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}

# wait_for_port_file FILE [POLLS] [SECONDS_BETWEEN]: 0 once the fake ($fake_pid) has written FILE,
# 1 when the fake exited first, 2 when it had not written FILE after POLLS polls (200 of 0.05 s).
wait_for_port_file() {
  local polls="${2:-200}" interval="${3:-0.05}"
  for _ in $(seq 1 "$polls"); do
    [ -s "$1" ] && return 0
    kill -0 "$fake_pid" 2>/dev/null || return 1
    sleep "$interval"
  done
  [ -s "$1" ] || return 2
}
