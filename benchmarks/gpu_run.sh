#!/usr/bin/env bash
# The benchmarks that want the GPU machine, on its JAX backend
# (../shared/gpu/README.md): PTB "medium" and "rnnlm", and the adding problem.
#
# Here, once:   ../shared/gpu/prepare.sh ptb   (fills .whl/ and .data/)
#               and the extra wheels in .whl_extra/ (see the README's GPU section)
# There:        benchmarks/gpu_run.sh smoke|full   (device run, carry .whl .whl_extra .data)
#
# smoke:  each command on a little data, with throughput lines (about 2 minutes).
# full:   everything at once, each job under its own time budget, so the whole
#         call ends within about 9 minutes with every JSON written to $OUT.
#         Sharing the GPU five ways slows each job several times over (PTB
#         medium reached 9 of its 39 epochs in 470 s on 2026-11-26).
# medium: PTB medium alone, the whole budget (BUDGET, default 470 s) for it.
# throughput: benchmarks/throughput.py (seqlab vs plain Keras vs PyTorch,
#         every row; THROUGHPUT_ARGS, default "--rounds 2 --seconds 2"),
#         JSON to $OUT/throughput.json.
set -u
mode=${1:-full}
out=${OUT:-gpu_results}
mkdir -p "$out"
site=$HOME/site
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" .whl/*.whl || exit 1
PYTHONPATH=$site python3 -c "import h5py, rich, absl" 2>/dev/null || \
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" .whl_extra/*.whl || exit 1
export PYTHONPATH=$site:$PWD:$PWD/plugins KERAS_BACKEND=jax PYTHONUNBUFFERED=1 \
  XLA_PYTHON_CLIENT_PREALLOCATE=false TF_CPP_MIN_LOG_LEVEL=2
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
data=.data/ptb
runs=/tmp/seqlab_runs
budget=${BUDGET:-470}   # seconds of training per job in `full`

if [[ $mode == smoke ]]; then
  python3 -c "import keras, jax; print('keras', keras.__version__, 'jax', jax.__version__, jax.devices())"
  python3 -m seqlab diagnose gradients --steps 20 --units 16 --output "$runs/diag" | tail -7
  for cell in tanh irnn lstm; do
    python3 benchmarks/adding_problem.py --steps 200 --cells $cell --max-steps 500 \
      --eval-every 250 --batch 128 2>&1 | grep "T=200"
  done
  python3 benchmarks/lm_ptb.py --data $data --config medium --quick --output "$runs/smoke" \
    2>&1 | tail -c 400
  exit 0
fi

if [[ $mode == throughput ]]; then
  python3 benchmarks/throughput.py ${THROUGHPUT_ARGS:---rounds 2 --seconds 2} \
    --results "$out/throughput.json" 2>&1 | tr '\r' '\n' \
    | grep -v "^I0000\|^W0000\|^E0000" | grep -v '^{' | tee "$out/throughput.log"
  exit 0
fi

if [[ $mode == medium ]]; then
  python3 benchmarks/lm_ptb.py --data $data --config medium --time-budget "$budget" \
    --peer-steps 200 --output "$runs" --results "$out/lm_ptb_medium.json" 2>&1 \
    | tr '\r' '\n' | grep -v "^I0000\|^W0000\|^E0000" | grep -v '^{' > "$out/medium.log"
  tail -c 3000 "$out/medium.log"
  exit 0
fi

# At most 8 files come back: five JSON results and one log.
logs=/tmp/seqlab_logs
mkdir -p $logs
pids=()
python3 benchmarks/lm_ptb.py --data $data --config medium --time-budget "$budget" \
  --output "$runs" --results "$out/lm_ptb_medium.json" > $logs/medium.log 2>&1 &
pids+=($!)
python3 benchmarks/lm_ptb.py --data $data --config rnnlm --time-budget "$budget" \
  --output "$runs" --results "$out/lm_ptb_rnnlm.json" > $logs/rnnlm.log 2>&1 &
pids+=($!)
for cell in tanh irnn lstm; do
  python3 benchmarks/adding_problem.py --cells $cell --batch 128 --max-steps 20000 \
    --time-budget "$((budget - 60))" ${ADDING_ARGS:-} \
    --results "$out/adding_$cell.json" > $logs/adding_$cell.log 2>&1 &
  pids+=($!)
done
wait "${pids[@]}"
for f in $logs/*.log; do echo "=== $f"; tr '\r' '\n' < "$f" | grep -v "^I0000\|^W0000\|^E0000" | tail -c 6000; done > "$out/logs.txt"
tail -c 3000 "$out/logs.txt"
ls -la "$out"
