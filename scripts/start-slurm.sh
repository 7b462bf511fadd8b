#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine (Debian's slurm-wlm + munge), for the sweep
# end-to-end test: one partition "main" with this host's CPUs. Needs root (CI runs as root).
# Idempotent: does nothing when the controller answers and the node is up; installs the packages
# when they are missing. State and logs live in $CHRONOS_SLURM_DIR (default /var/tmp/chronos-lens-slurm).
# Stop: scripts/start-slurm.sh --stop
set -euo pipefail
W="${CHRONOS_SLURM_DIR:-/var/tmp/chronos-lens-slurm}"

if [ "$(id -u)" != 0 ]; then
  echo "start-slurm: needs root (it writes /etc/slurm/slurm.conf and starts munged, slurmctld, slurmd)" >&2
  exit 1
fi

stop() {
  for f in "$W/ctld.pid" "$W/d.pid" /run/munge/munged.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
}
if [ "${1:-}" = "--stop" ]; then
  stop
  exit 0
fi

node_up() {
  scontrol ping 2>/dev/null | grep -q 'is UP' && sinfo -h -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'
}
if command -v scontrol >/dev/null 2>&1 && node_up; then
  echo "start-slurm: already running"
  exit 0
fi

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  echo "start-slurm: installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

mkdir -p /run/munge /etc/munge /var/log/munge /var/lib/munge "$W"/{state,spool,log}
[ -f /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
chmod 400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  su -s /bin/sh munge -c /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi

H="$(hostname -s)"
CPUS="$(nproc)"
MEM=$(( $(awk '/MemAvailable/ {print $2}' /proc/meminfo) / 1024 / 2 ))
mkdir -p /etc/slurm
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=local
SlurmctldHost=$H
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldLogFile=$W/log/ctld.log
SlurmdLogFile=$W/log/d.log
SlurmctldPidFile=$W/ctld.pid
SlurmdPidFile=$W/d.pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
KillWait=5
NodeName=$H CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=main Nodes=$H Default=YES MaxTime=INFINITE State=UP
EOF

# A stale daemon from an earlier configuration would keep the old one: restart both.
stop_daemon() { [ -f "$1" ] && kill "$(cat "$1")" 2>/dev/null && sleep 0.5 || true; }
stop_daemon "$W/ctld.pid"
stop_daemon "$W/d.pid"
/usr/sbin/slurmctld
/usr/sbin/slurmd
for _ in $(seq 100); do
  if node_up; then
    echo "start-slurm: node $H up ($CPUS CPUs, ${MEM} MB)"
    exit 0
  fi
  # A node that came back DOWN from an earlier run is resumed.
  scontrol update nodename="$H" state=resume >/dev/null 2>&1 || true
  sleep 0.2
done
echo "start-slurm: the node did not come up; see $W/log/ctld.log and $W/log/d.log" >&2
sinfo >&2 || true
exit 1
