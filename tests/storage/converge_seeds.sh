#!/bin/sh
# Run the restore/clone convergence model for many seeds, each in its own
# process, and count: `converge_seeds.sh TEST_BINARY [COUNT [FIRST_SEED]]`.
# XA_IMAGES: restores and clones as 0 file copies (the copy takes a new
# node id), 1 disk images (the same id: found where copies meet), 2 either
# at random (the default).
# Exit 1 if any seed diverged, lost or doubled an edit (each is listed with
# its first error; XA_SEED=<seed> XA_TRACE=1 TEST_BINARY replays one).
bin=$1
count=${2:-2000}
first=${3:-1}
images=${XA_IMAGES:-2}
tmp=${TMPDIR:-/tmp}
[ -d /dev/shm ] && tmp=/dev/shm
out=$(mktemp "$tmp/converge-seeds.XXXXXX")
ok=0
bad=0
i=0
start=$(date +%s)
while [ "$i" -lt "$count" ]; do
    seed=$((first + i))
    if env TMPDIR="$tmp" XA_SEED="$seed" XA_SEEDS=1 XA_CLONES=1 XA_IMAGES="$images" "$bin" >"$out" 2>&1; then
        ok=$((ok + 1))
    else
        bad=$((bad + 1))
        echo "seed $seed: $(grep -o 'ERROR: [^[]*' "$out" | head -1)"
    fi
    i=$((i + 1))
done
rm -f "$out"
case $images in 0) how="file copies" ;; 1) how="disk images" ;; *) how="file copies and disk images" ;; esac
echo "converge-seeds: $count seeds ($first..$((first + count - 1))) with restores and clones as $how, USB and the district: $ok converged, $bad failed, in $(($(date +%s) - start)) s"
[ "$bad" -eq 0 ]
