#!/usr/bin/env bash
# A single-node Slurm on 127.0.0.1 for spinsweep's tests (pytest -m slurm); no systemd needed.
#
#   scripts/slurm/start.sh [STATE_DIR]    # default: $SPINSWEEP_SLURM_DIR or /tmp/spinsweep-slurm
#   eval "$(scripts/slurm/start.sh)"      # sets SLURM_CONF for sbatch, squeue, sinfo...
#
# Needs Debian's slurm-wlm and munge (apt-get install slurm-wlm munge) and root: slurmd starts the
# jobs as their owner. Everything (munge key and socket, slurm.conf, spool, state, logs, pids) lives in
# STATE_DIR. Idempotent: with the daemons up it only prints the export line. Stop with stop.sh.
set -euo pipefail

DIR=$(realpath -m "${1:-${SPINSWEEP_SLURM_DIR:-/tmp/spinsweep-slurm}}")
CONF=$DIR/slurm.conf
SOCK=$DIR/munge/munge.socket.2
export SLURM_CONF=$CONF

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
log() { echo "start.sh: $*" >&2; }

[[ $(id -u) == 0 ]] || { log "must run as root (slurmd starts jobs as their users)"; exit 1; }
for cmd in munged slurmctld slurmd sinfo; do
    command -v "$cmd" >/dev/null || { log "$cmd not found: apt-get install -y slurm-wlm munge"; exit 1; }
done
mkdir -p "$DIR"/{munge,spool,state,log}
chmod 700 "$DIR/munge"

# munge: a key of our own, a daemon on a socket in the state dir.
if [[ ! -s $DIR/munge/munge.key ]]; then
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$DIR/munge/munge.key"
fi
if ! alive "$DIR/munge/munged.pid"; then
    # --force: munged refuses to run as root without it.
    munged --force --socket="$SOCK" --key-file="$DIR/munge/munge.key" --pid-file="$DIR/munge/munged.pid" \
        --seed-file="$DIR/munge/munged.seed" --log-file="$DIR/log/munged.log"
fi

# slurm.conf, rewritten only when missing (its node line reflects this machine).
if [[ ! -f $CONF ]]; then
    MEM=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)   # MB, below the real total
    # the cores of the machine: `nproc` alone honours OMP_NUM_THREADS, which a Dask client sets to 1 in its
    # own process (and so in every child it starts, this script included)
    CPUS=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
    cat >"$CONF" <<EOF
ClusterName=spinsweep
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
# Several 1-core jobs share the node; memory is not a consumable resource.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdTimeout=30
SlurmctldTimeout=30
InactiveLimit=0
KillWait=10
MinJobAge=600
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# No slurmdbd, so no sacct: finished jobs are listed here, one line each.
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.log
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
fi

alive "$DIR/slurmctld.pid" || slurmctld -f "$CONF"
alive "$DIR/slurmd.pid" || slurmd -f "$CONF" -N localhost

# Wait for the node to register (idle, or mixed/allocated when jobs run already).
for _ in $(seq 60); do
    state=$(sinfo -h -N -n localhost -o %T 2>/dev/null || true)
    [[ $state =~ ^(idle|mixed|allocated) ]] && { echo "export SLURM_CONF=$CONF"; exit 0; }
    sleep 1
done
log "node not idle after 60 s (state: '${state:-none}'); logs in $DIR/log"
tail -n 20 "$DIR"/log/*.log >&2 || true
exit 1
