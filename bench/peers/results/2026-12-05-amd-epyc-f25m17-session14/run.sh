#!/usr/bin/env bash
# Session 14: whole models, vcnn (blocked layout, default) beside ONNX Runtime Java in the same run, and vcnn with
# --layout nchw, three interleaved rounds. Run from the project root.
set -u
for round in 1 2 3; do
  for m in resnet18 squeezenet1_1 lenet; do
    for t in 1 2; do
      echo "== round $round $m threads $t blocked vs-ort $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
      flock /tmp/bench.lock ./vcnn bench-onnx ../shared/reference/onnx-models/$m/model.onnx --threads $t --seconds 4 --warmup 5 --vs-ort 2>&1 | grep -v '^WARNING\|^INFO'
      if [ "$m" != lenet ]; then
        echo "== round $round $m threads $t nchw $(date -u +%H:%M:%S)"
        flock /tmp/bench.lock ./vcnn bench-onnx ../shared/reference/onnx-models/$m/model.onnx --threads $t --seconds 4 --warmup 5 --layout nchw 2>&1 | grep -v '^WARNING\|^INFO'
      fi
    done
  done
done
