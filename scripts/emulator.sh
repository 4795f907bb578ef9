#!/usr/bin/env bash
# Starts, stops and reports on the local AWS emulator (moto in server mode) that the tests and the
# demo run against. Everything lives under target/emulator/: a virtualenv with the pinned moto, the
# pid file, the log and the endpoint file. `stop` ends only the process that `start` started.
#
#   scripts/emulator.sh start    install moto if needed, start it on a free 127.0.0.1 port, print the endpoint
#   scripts/emulator.sh stop     stop the emulator started by `start` (by pid file)
#   scripts/emulator.sh status   print the endpoint and exit 0 when running, exit 1 otherwise
set -euo pipefail

MOTO_VERSION="5.2.5"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${EMULATOR_DIR:-$root/target/emulator}"
venv="$dir/venv"
pid_file="$dir/moto.pid"
endpoint_file="$dir/endpoint"
log_file="$dir/moto.log"
python="${PYTHON:-python3}"

die() { echo "emulator: $*" >&2; exit 1; }

# The pid in the pid file, if that process is still our moto server.
running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid="$(cat "$pid_file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against pid reuse: only a moto_server process counts as ours.
  grep -q moto_server "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

install_moto() {
  local marker="$venv/.moto-$MOTO_VERSION"
  [ -f "$marker" ] && return 0
  echo "emulator: installing moto[server]==$MOTO_VERSION into $venv" >&2
  mkdir -p "$dir"
  "$python" -m venv "$venv" || die "cannot create a virtualenv with $python (is python3-venv installed?)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" \
    || die "pip could not install moto[server]==$MOTO_VERSION"
  touch "$marker"
}

free_port() {
  "$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_ready() {
  local endpoint="$1" pid="$2"
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 1
    if "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1] + '/moto-api/data.json', timeout=1)" "$endpoint" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  return 1
}

start() {
  if pid="$(running_pid)"; then
    cat "$endpoint_file"
    return 0
  fi
  install_moto
  # A port picked free can be taken before moto binds it: try a few.
  for _ in 1 2 3 4 5; do
    local port endpoint
    port="$(free_port)"
    endpoint="http://127.0.0.1:$port"
    # AWS-managed policies (arn:aws:iam::aws:policy/...) exist in every real account; moto
    # loads them only when asked, and the workshop's roles attach some.
    MOTO_IAM_LOAD_MANAGED_POLICIES=true nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log_file" 2>&1 &
    local pid=$!
    if wait_ready "$endpoint" "$pid"; then
      echo "$pid" >"$pid_file"
      echo "$endpoint" >"$endpoint_file"
      echo "$endpoint"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  tail -n 20 "$log_file" >&2 || true
  die "moto did not become ready (log: $log_file)"
}

stop() {
  if pid="$(running_pid)"; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "emulator: stopped (pid $pid)" >&2
  else
    echo "emulator: not running" >&2
  fi
  rm -f "$pid_file" "$endpoint_file"
}

status() {
  if running_pid >/dev/null; then
    cat "$endpoint_file"
  else
    echo "emulator: not running" >&2
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
