#!/bin/sh
# Build the demo catalog (fixtures + synthetic) and its indexes into DATA_DIR once, as
# `make demo` does. With LTRR_REDIS_URL set the Q2E memory is seeded in Redis.
# Usage: init-demo.sh DATA_DIR   (DEMO_SIZE, DEMO_SEED from the environment)
set -eu

data_dir="${1:?usage: init-demo.sh DATA_DIR}"
size="${DEMO_SIZE:-50000}"
seed="${DEMO_SEED:-7}"

if [ -f "$data_dir/.indexed" ]; then
    echo "demo catalog already indexed in $data_dir"
    exit 0
fi

fixture="$(python -c 'import catalog, pathlib; print(pathlib.Path(catalog.__file__).parent / "fixtures" / "fixture_catalog.jsonl")')"
synthetic="$data_dir/synthetic.jsonl"
if [ ! -f "$synthetic" ]; then
    ltrr catalog generate --size "$size" --seed "$seed" --out "$data_dir/synthetic.partial.jsonl"
    mv "$data_dir/synthetic.partial.jsonl" "$synthetic"
fi

rm -rf "$data_dir/bm25" "$data_dir/dense" "$data_dir/gazetteer" "$data_dir/memory" "$data_dir"/*.sqlite*
ltrr index --catalog "$fixture" --catalog "$synthetic" --data-dir "$data_dir"
touch "$data_dir/.indexed"
echo "demo catalog indexed in $data_dir"
