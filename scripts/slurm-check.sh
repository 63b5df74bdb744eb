#!/usr/bin/env bash
# make slurm-check: a one-node Slurm cluster on loopback runs `mskcine batch` as a 3-task job
# array (one shard per task), merges the shard databases, and compares the result with an
# unsharded run of the same archive. Installs Debian's slurm-wlm and munge when missing (root or
# sudo). Everything the cluster writes lives in a temporary folder; the daemons this script starts
# are stopped on exit. Usage: scripts/slurm-check.sh [ARCHIVE] (default: Samples/).
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHIVE=${1:-Samples}
BIN=${MSKCINE:-$PWD/.build/release/mskcine}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
start=$(date +%s)
say() { echo "slurm-check: $*"; }

[ -x "$BIN" ] || { say "$BIN is missing; run make release first"; exit 1; }
missing=""
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  say "installing$missing (apt)"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

work=$(mktemp -d /tmp/mskcine-slurm-XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do $SUDO kill "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do $SUDO kill -9 "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then say "kept $work"; else $SUDO rm -rf "$work"; fi
}
trap cleanup EXIT

# munge: the key the package made, a private socket so another munged on the machine is left alone.
[ -s /etc/munge/munge.key ] || { $SUDO mungekey --create 2>/dev/null || $SUDO create-munge-key -f; }
mkdir -p "$work/munge"
$SUDO chown munge:munge "$work/munge"
# In the foreground, in the background of this shell: munged's own daemonising needs /dev/null,
# which some containers do not let the munge user open.
$SUDO runuser -u munge -- /usr/sbin/munged --foreground --socket="$work/munge/munge.socket" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed" </dev/null >>"$work/munge/munged.out" 2>&1 &
pids+=("$!")
disown
for _ in $(seq 1 20); do [ -S "$work/munge/munge.socket" ] && break; sleep 0.5; done
[ -S "$work/munge/munge.socket" ] || { say "munged did not start:"; cat "$work/munge/munged.out" "$work/munge/munged.log" 2>/dev/null; exit 1; }

node=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool" "$work/out"
cat > "$work/slurm.conf" <<CONF
ClusterName=mskcine
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=batch Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
$SUDO env SLURM_CONF="$SLURM_CONF" slurmctld -c -f "$SLURM_CONF"
$SUDO env SLURM_CONF="$SLURM_CONF" slurmd -f "$SLURM_CONF"
for _ in $(seq 1 30); do
  [ -s "$work/slurmctld.pid" ] && [ -s "$work/slurmd.pid" ] && timeout 5 sinfo -h -o %T 2>/dev/null | grep -Eq "idle|mixed" && break
  sleep 1
done
[ -s "$work/slurmctld.pid" ] && pids+=("$(cat "$work/slurmctld.pid")")
[ -s "$work/slurmd.pid" ] && pids+=("$(cat "$work/slurmd.pid")")
if ! timeout 5 sinfo -h -o %T 2>/dev/null | grep -Eq "idle|mixed"; then
  say "the one-node cluster did not come up; logs:"; tail -n 20 "$work"/slurm*.log || true; exit 1
fi
say "cluster up: node $node ($cpus CPUs) on 127.0.0.1"

# The job array: task K analyses shard K/3 into its own database (one CPU each).
archive=$(cd "$ARCHIVE" && pwd)
t0=$(date +%s)
cat > "$work/batch.sh" <<JOB
#!/bin/bash
exec "$BIN" batch "$archive" --db "$work/out/shard-\$SLURM_ARRAY_TASK_ID.sqlite" --shard "\$SLURM_ARRAY_TASK_ID/\$SLURM_ARRAY_TASK_COUNT" --jobs 1
JOB
sbatch --wait --array=1-3 --cpus-per-task=1 --job-name=mskcine-batch --output="$work/out/shard-%a.log" "$work/batch.sh" \
  || { say "the job array failed; its logs:"; tail -n 5 "$work"/out/shard-*.log; exit 1; }
t1=$(date +%s)
for k in 1 2 3; do tail -n 1 "$work/out/shard-$k.log" | sed "s/^/slurm-check: shard $k: /"; done
"$BIN" merge "$work/merged.sqlite" "$work"/out/shard-{1,2,3}.sqlite | sed 's/^/slurm-check: /'

# The same archive, unsharded, outside Slurm.
"$BIN" batch "$archive" --db "$work/whole.sqlite" 2>/dev/null | sed 's/^/slurm-check: unsharded: /' || true
t2=$(date +%s)
a=$("$BIN" export --db "$work/merged.sqlite" --digest)
b=$("$BIN" export --db "$work/whole.sqlite" --digest)
say "job array $((t1 - t0)) s, unsharded run $((t2 - t1)) s, whole check $(( $(date +%s) - start )) s"
if [ "$a" = "$b" ]; then
  say "PASS: the merged shard databases equal the unsharded run (content digest $a)"
else
  say "FAIL: merged $a differs from unsharded $b"; KEEP=1; exit 1
fi
