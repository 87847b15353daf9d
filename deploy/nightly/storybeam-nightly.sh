#!/usr/bin/env bash
# Process one day's partition of news: storybeam-nightly.sh [YYYY-MM-DD]   (default: yesterday)
#
# Never overlaps itself (flock on STORYBEAM_LOCK_FILE; the job also holds OUTPUT/_lock while it runs),
# uses every core (the DirectRunner's multi-process mode), exits with the job's status (non-zero on any
# failure: 2 = configuration error, 75 = another run still holds the lock), and writes Hive partitions
# OUTPUT/<table>/dt=YYYY-MM-DD/ with OUTPUT/_commits/dt=YYYY-MM-DD/_SUCCESS last.
#
# Settings (environment, e.g. from /etc/storybeam/nightly.env via the systemd unit):
#   STORYBEAM_INPUT    input glob with {date} for the logical date, e.g. /srv/news/raw/{date}/*.jsonl (required)
#   STORYBEAM_OUTPUT   output folder, local or gs:// (required)
#   STORYBEAM_BIN      the storybeam command (default: storybeam on PATH)
#   STORYBEAM_WORKERS  worker processes (default: number of cores; 1 runs in-process)
#   STORYBEAM_LOCK_FILE  (default: /tmp/storybeam-nightly.lock; must differ from OUTPUT/_lock)
#   STORYBEAM_EXTRA    extra job options, word-split, e.g. "--embed_batch_size 64 --torch_threads 1"
#   TZ                 timezone that decides which day "yesterday" is (default: the machine's)
set -euo pipefail

date_arg="${1:-$(date -d yesterday +%F)}"
if ! [[ "$date_arg" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || ! date -d "$date_arg" +%F >/dev/null 2>&1; then
    echo "storybeam-nightly: not a date (YYYY-MM-DD): $date_arg" >&2
    exit 2
fi
: "${STORYBEAM_INPUT:?set STORYBEAM_INPUT, e.g. /srv/news/raw/{date}/*.jsonl}"
: "${STORYBEAM_OUTPUT:?set STORYBEAM_OUTPUT, e.g. /srv/news/storybeam}"
bin="${STORYBEAM_BIN:-storybeam}"
workers="${STORYBEAM_WORKERS:-$(nproc)}"
lock="${STORYBEAM_LOCK_FILE:-/tmp/storybeam-nightly.lock}"

exec 9>>"$lock"
if ! flock --nonblock 9; then
    echo "storybeam-nightly: another run holds $lock; not starting $date_arg" >&2
    exit 75  # EX_TEMPFAIL: the timer tries again next time
fi

args=(run --input "${STORYBEAM_INPUT//\{date\}/$date_arg}" --output "$STORYBEAM_OUTPUT" --date "$date_arg")
if [ "$workers" -gt 1 ]; then
    args+=(--direct_running_mode=multi_processing "--direct_num_workers=$workers")
fi
# shellcheck disable=SC2206  # word splitting of STORYBEAM_EXTRA is intended
args+=(${STORYBEAM_EXTRA:-})

echo "storybeam-nightly: $date_arg -> $STORYBEAM_OUTPUT ($workers worker processes)" >&2
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# exec: the job inherits the lock (fd 9) and its exit status is this script's.
exec "$bin" "${args[@]}"
