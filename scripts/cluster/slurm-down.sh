#!/usr/bin/env bash
# Stops the private Slurm cluster that scripts/cluster/slurm-up.sh started in STATE_DIR and
# removes STATE_DIR (with --keep: leaves it, logs included).
#
#   scripts/cluster/slurm-down.sh [--keep] [STATE_DIR]   (default: $CAPSFUSION_SLURM_DIR or /tmp/capsfusion-slurm)
#
# Only the daemons named by the pid files in STATE_DIR are stopped (slurmd, slurmctld, munged, in
# that order: TERM, then KILL after 10 s). Idempotent: nothing running is not an error.
set -euo pipefail

keep=0
if [ "${1:-}" = "--keep" ]; then keep=1; shift; fi
state=${1:-${CAPSFUSION_SLURM_DIR:-/tmp/capsfusion-slurm}}
say() { echo "slurm-down: $*" >&2; }

if [ ! -d "$state" ]; then
  say "nothing to stop ($state does not exist)"
  exit 0
fi

stop() {  # stop NAME PIDFILE
  local name=$1 pidfile=$2 pid
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  case "$pid" in ''|*[!0-9]*) rm -f "$pidfile"; return 0 ;; esac
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name ($pid) still runs after 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $name ($pid)"
  fi
  rm -f "$pidfile"
}

# Jobs still running go with slurmd (proctrack/linuxproc kills their process trees).
if [ -s "$state/slurm.conf" ] && [ -s "$state/slurmctld.pid" ] && command -v scancel >/dev/null 2>&1; then
  SLURM_CONF="$state/slurm.conf" timeout 10 scancel --quiet --user="$(id -un)" >/dev/null 2>&1 || true
fi
stop slurmd "$state/slurmd.pid"
stop slurmctld "$state/slurmctld.pid"
stop munged "$state/munged.pid"

if [ "$keep" -eq 0 ]; then
  rm -rf "$state"
  say "removed $state"
fi
