#!/usr/bin/env bash
# bench-onnx --vs-ort, best of 3 per model x threads; each run holds the lock on its own (~15 s).
cd /work/wt-onnx2
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
M=../shared/reference/onnx-models
for rep in 1 2 3; do
  for t in 1 2; do
    for m in resnet18 squeezenet1_1 lenet lenet_b64; do
      echo "=== $m threads $t rep $rep $(date -u +%T) $(uptime | sed 's/.*load/load/')"
      flock /tmp/bench.lock ./vcnn bench-onnx $M/$m/model.onnx --threads $t --seconds 4 --warmup 3 --vs-ort 2>&1 | grep -v WARNING
      echo "--- after: $(uptime | sed 's/.*load/load/')"
    done
  done
done
