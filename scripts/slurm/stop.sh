#!/usr/bin/env bash
# Stop the single-node Slurm that start.sh brought up: cancel its jobs, stop slurmd, slurmctld, munged.
#
#   scripts/slurm/stop.sh [STATE_DIR]     # default: $SPINSWEEP_SLURM_DIR or /tmp/spinsweep-slurm
#
# The state directory stays (remove it to start from scratch); a second call is a no-op.
set -uo pipefail

DIR=$(realpath -m "${1:-${SPINSWEEP_SLURM_DIR:-/tmp/spinsweep-slurm}}")
export SLURM_CONF=$DIR/slurm.conf

# Stop the daemon whose pid file is $1: TERM, then KILL after 15 s.
stop() {
    [[ -f $1 ]] || return 0
    local pid; pid=$(cat "$1")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$1"
}

if [[ -f $DIR/slurmctld.pid ]] && kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null; then
    scancel --full --quiet --user="$(id -un)" 2>/dev/null || true   # their workers exit with the jobs
    sleep 1
fi
stop "$DIR/slurmd.pid"
stop "$DIR/slurmctld.pid"
stop "$DIR/munge/munged.pid"
exit 0
