#!/usr/bin/env bash
# Starts a private single-node Slurm cluster (munged, slurmctld, slurmd) for tests and trials,
# without systemd: every config, socket, log and bit of state lives in one directory.
#
#   scripts/cluster/slurm-up.sh [STATE_DIR]      (default: $CAPSFUSION_SLURM_DIR or /tmp/capsfusion-slurm)
#   export SLURM_CONF=STATE_DIR/slurm.conf       (then sbatch, srun, sinfo, squeue talk to it)
#   scripts/cluster/slurm-down.sh [STATE_DIR]
#
# Needs Debian's slurm-wlm and munge (scripts/setup.sh installs them) and root (the daemons run
# as root: SlurmUser=root). Idempotent: when the cluster in STATE_DIR is already up and its node
# idle, it says so and exits 0. Ports: the first free pair from 6817/6818 upwards (or
# CAPSFUSION_SLURM_PORT and the one after it). On failure it prints the daemons' logs and exits 1.
# CPUs: nproc (or CAPSFUSION_SLURM_CPUS: more than the machine has lets more jobs share it).
# Ready means the node is idle in sinfo (waits up to CAPSFUSION_SLURM_TIMEOUT seconds, default 60).
set -euo pipefail

state=${1:-${CAPSFUSION_SLURM_DIR:-/tmp/capsfusion-slurm}}
timeout=${CAPSFUSION_SLURM_TIMEOUT:-60}
say() { echo "slurm-up: $*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in munged slurmctld slurmd sinfo scontrol; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool not found: install slurm-wlm and munge (scripts/setup.sh does)"
done
[ "$(id -u)" -eq 0 ] || die "the daemons run as root (SlurmUser=root); run this as root"

mkdir -p "$state"
state=$(cd "$state" && pwd)
chmod 700 "$state"
conf="$state/slurm.conf"
host=$(hostname -s)

alive() {  # alive PIDFILE: the process named in PIDFILE runs
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}
node_state() {
  SLURM_CONF="$conf" sinfo -h -N -n "$host" -o '%t' 2>/dev/null | head -n 1 | tr -d ' *'
}
show_logs() {
  for log in munged.log slurmctld.log slurmd.log; do
    [ -s "$state/$log" ] || continue
    echo "---- $state/$log (last 30 lines) ----" >&2
    tail -n 30 "$state/$log" >&2
  done
}
fail() {
  say "error: $*"
  show_logs
  say "logs and state are in $state; stop what started with scripts/cluster/slurm-down.sh $state"
  exit 1
}

if alive "$state/munged.pid" && alive "$state/slurmctld.pid" && alive "$state/slurmd.pid" &&
   [ "$(node_state)" = idle ]; then
  say "already up ($state); node $host is idle"
  exit 0
fi
# Anything half started by an earlier attempt goes first.
"$(dirname "$0")/slurm-down.sh" --keep "$state" >/dev/null 2>&1 || true

port_free() {  # nothing listens on TCP port $1 of this machine
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
port=${CAPSFUSION_SLURM_PORT:-}
if [ -z "$port" ]; then
  port=6817
  while ! { port_free "$port" && port_free $((port + 1)); }; do
    port=$((port + 2))
    [ "$port" -lt 6917 ] || die "no free pair of TCP ports in 6817..6917 (set CAPSFUSION_SLURM_PORT)"
  done
fi

cpus=${CAPSFUSION_SLURM_CPUS:-$(nproc)}
mem_mb=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
mkdir -p "$state/ctld" "$state/spool" "$state/munge" "$state/jobs"
chmod 700 "$state/munge"

# MUNGE, with its own key and socket (a munged of the machine, if any, is left alone).
if [ ! -s "$state/munge/munge.key" ]; then
  if command -v mungekey >/dev/null 2>&1; then
    mungekey --create --keyfile="$state/munge/munge.key" >/dev/null 2>&1 ||
      die "mungekey could not write $state/munge/munge.key"
  else
    dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
  fi
  chmod 400 "$state/munge/munge.key"
fi
socket="$state/munge/munge.socket"

cat >"$conf" <<EOF
# Written by scripts/cluster/slurm-up.sh: a single-node cluster on $host.
ClusterName=capsfusion
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MaxArraySize=10001
InactiveLimit=0
KillWait=5
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=60
Waittime=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
# Without systemd the cgroup plugins cannot be used; proctrack/linuxproc and task/none need none,
# but slurmd reads this file when it starts.
cat >"$state/cgroup.conf" <<EOF
CgroupPlugin=cgroup/v1
IgnoreSystemd=yes
EOF

say "starting munged, slurmctld and slurmd in $state (ports $port, $((port + 1)))"
munged --socket="$socket" --key-file="$state/munge/munge.key" --pid-file="$state/munged.pid" \
  --log-file="$state/munged.log" --seed-file="$state/munge/munged.seed" --force >>"$state/munged.log" 2>&1 ||
  fail "munged did not start"
for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || fail "munged did not open $socket"

slurmctld -f "$conf" -c -i >>"$state/slurmctld.log" 2>&1 || fail "slurmctld did not start"
for _ in $(seq 100); do
  SLURM_CONF="$conf" scontrol ping 2>/dev/null | grep -q UP && break
  sleep 0.2
done
SLURM_CONF="$conf" scontrol ping 2>/dev/null | grep -q UP || fail "slurmctld does not answer (scontrol ping)"

slurmd -f "$conf" -N "$host" >>"$state/slurmd.log" 2>&1 || fail "slurmd did not start"

deadline=$((SECONDS + timeout))
while :; do
  st=$(node_state)
  case "$st" in
    idle) break ;;
    drain*|drng|down*|fail*)
      reason=$(SLURM_CONF="$conf" sinfo -h -N -n "$host" -o '%E' 2>/dev/null || true)
      fail "node $host is $st: $reason" ;;
  esac
  alive "$state/slurmd.pid" || fail "slurmd exited"
  [ "$SECONDS" -lt "$deadline" ] || fail "node $host is not idle after ${timeout}s (state: ${st:-unknown})"
  sleep 0.5
done
say "up: node $host idle with $cpus CPUs; export SLURM_CONF=$conf"
