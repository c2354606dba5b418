#!/usr/bin/env bash
# Install (if needed), configure and start a single-node Slurm cluster on Debian 12 (slurm 22.05).
# No systemd needed: daemons are started directly and leave pid files in /run. Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
HOST=$(hostname -s)
NCPUS=${SLURM_NODE_CPUS:-2}
T0=$(date +%s)

# 1. install (skipped when already installed)
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
   || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  made_policy=0   # keep the postinst scripts from starting services themselves
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  echo "[local-cluster] installed in $(( $(date +%s) - T0 ))s"
fi

# 2. host name must resolve
getent hosts "$HOST" >/dev/null || echo "127.0.0.1 $HOST" >> /etc/hosts

# 3. munge
install -d -o munge -g munge -m 700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 755 /run/munge
[ -s /etc/munge/munge.key ] || mungekey --create --force --keyfile=/etc/munge/munge.key
chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged --force   # daemonizes, writes /run/munge/munged.pid
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
fi
munge -n | unmunge >/dev/null

# 4. slurm.conf
MEM=$(awk '/MemTotal/ {printf "%d", $2/1024*0.9}' /proc/meminfo)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=ci
SlurmctldHost=${HOST}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
DependencyParameters=kill_invalid_depend
SlurmdParameters=config_overrides
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=86400
NodeName=${HOST} NodeAddr=127.0.0.1 CPUs=${NCPUS} RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
EOF

# 5. sacct stand-in for submitit (no slurmdbd => real sacct fails)
# submitit polls `sacct -o JobID,State,NodeList --parsable2 -j ID...`; answer it from
# slurmctld's memory (finished jobs stay there MinJobAge seconds). Anything else -> real sacct.
cat > /usr/local/bin/sacct <<'EOF'
#!/bin/bash
[ "${1:-} ${2:-} ${3:-}" = "-o JobID,State,NodeList --parsable2" ] || exec /usr/bin/sacct "$@"
shift 3; ids=""
while [ $# -ge 2 ] && [ "$1" = -j ]; do ids="$ids,$2"; shift 2; done
echo "JobID|State|NodeList"
[ -n "$ids" ] && squeue -h --states=all -o '%i|%T|%N' -j "${ids#,}" 2>/dev/null
exit 0
EOF
chmod +x /usr/local/bin/sacct

# 6. daemons
# alive PIDFILE NAME: the pid in PIDFILE is a live (not zombie) process called NAME
alive() { local p; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && [ "$(cat /proc/$p/comm 2>/dev/null)" = "$2" ] \
          && ! grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null; }
alive /run/slurmctld.pid slurmctld || slurmctld   # daemonizes, writes /run/slurmctld.pid
alive /run/slurmd.pid slurmd       || slurmd      # daemonizes, writes /run/slurmd.pid

# 7. wait until the node is idle and both srun and a batch job work
ready() {
  timeout 30 srun -t 1 true || return 1
  local j; j=$(sbatch --parsable -t 1 -o /dev/null --wrap true) || return 1
  for _ in $(seq 120); do [ -z "$(squeue -h -j "$j" 2>/dev/null)" ] && break; sleep 0.25; done
  scontrol show job "$j" | grep -q 'JobState=COMPLETED'
}
st=""; deadline=$((SECONDS + 120))
while [ $SECONDS -lt $deadline ]; do
  st=$(sinfo -h -N -n "$HOST" -o %t 2>/dev/null | head -1 || true)
  case "$st" in
    idle|mix|alloc) ready && { echo "[local-cluster] ready after $(( $(date +%s) - T0 ))s"; exit 0; };;
    down*|drain*|drng*) scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true;;
  esac
  sleep 0.5
done
echo "[local-cluster] cluster not usable after 120s; node state='$st'" >&2
sinfo -R >&2 || true; tail -n 30 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
