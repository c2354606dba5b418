#!/usr/bin/env bash
# Stop the cluster started by start.sh: cancel all jobs, then stop slurmd, slurmctld
# and munged by the PIDs in their pid files (TERM, then KILL after 10 s).
set -u
# alive PID NAME: PID is a live (not zombie) process called NAME
alive() { [ -n "$1" ] && [ "$(cat /proc/$1/comm 2>/dev/null)" = "$2" ] \
          && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
if alive "$(cat /run/slurmctld.pid 2>/dev/null)" slurmctld; then
  jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    scancel $jobs 2>/dev/null || true
    for _ in $(seq 30); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
  fi
fi
stop() {   # $1 = pid file, $2 = process name
  local pid; pid=$(cat "$1" 2>/dev/null || true)
  if alive "$pid" "$2"; then
    kill -TERM "$pid"
    for _ in $(seq 100); do alive "$pid" "$2" || break; sleep 0.1; done
    if alive "$pid" "$2"; then kill -KILL "$pid"; echo "[local-cluster] $2 ($pid) killed"
    else echo "[local-cluster] $2 ($pid) stopped"; fi
  else
    echo "[local-cluster] $2 not running"
  fi
  rm -f "$1"
}
stop /run/slurmd.pid slurmd
stop /run/slurmctld.pid slurmctld
stop /run/munge/munged.pid munged
