#!/usr/bin/env bash
# Regenerate the datasets and retrain both default models, reproducibly (seeds fixed).
#   PY=/usr/bin/python3 DEVICE=cpu JOBS=2 OUT=models bash models/train/train_all.sh
# DEVICE=cuda works where torch sees a GPU; JOBS = parallel generator processes.
set -euo pipefail
PY=${PY:-/usr/bin/python3}
DEVICE=${DEVICE:-cpu}
JOBS=${JOBS:-2}
DATA=${DATA:-models/data}
OUT=${OUT:-models}
T=models/train
for k in $(seq 0 $((JOBS - 1))); do
  $PY $T/gen_data.py detect --out "$DATA/det" --train 4000 --val 400 --seed 1 --shard "$k" --shards "$JOBS" >/dev/null &
  $PY $T/gen_data.py classify --out "$DATA/cls" --train 12000 --val 1200 --seed 2 --shard "$k" --shards "$JOBS" >/dev/null &
done
for job in $(jobs -p); do wait "$job"; done
test -f "$DATA/cls/labels.json" && test -f "$DATA/det/data.yaml"
echo "datasets ready: $(ls "$DATA/det/images/train" | wc -l) detect images, $(find "$DATA/cls/train" -name '*.jpg' | wc -l) crops"
$PY $T/train_classify.py --data "$DATA/cls" --out "$OUT/uniform" --epochs 12 --device "$DEVICE" ${CLS_ARGS:-} &
$PY $T/train_detect.py --data "$DATA/det" --out "$OUT/detector" --epochs 30 --device "$DEVICE" ${DET_ARGS:-}
wait
