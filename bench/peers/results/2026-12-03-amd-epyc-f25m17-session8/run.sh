#!/usr/bin/env bash
# session 8 measurement sitting (AMD EPYC Zen 4, family 25 model 17, AVX-512), one timed part at a time: the peer
# comparison (./vcnn bench-peers: oneDNN native and PyTorch, 3 runs each; vcnn's JMH suites, 3 forks; no AVX2 column
# this time, for the session's length), then whole models against ONNX Runtime Java, 3 interleaved rounds
set -u
cd "$(dirname "$0")/../../../.."
D=bench/peers/results/2026-12-03-amd-epyc-f25m17-session8
ld() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" >> $D/sitting.txt; }
ld "bench-peers start"
./vcnn bench-peers --avx2 no --out $D > $D/bench-peers.log 2>&1
ld "bench-peers end"
M=../shared/reference/onnx-models
for rep in 1 2 3; do
  for t in 1 2; do
    for m in resnet18 squeezenet1_1 lenet lenet_b64; do
      ld "ort $m t$t rep$rep"
      echo "=== $m threads $t rep $rep" >> $D/ort.txt
      flock /tmp/bench.lock ./vcnn bench-onnx $M/$m/model.onnx --threads $t --seconds 4 --warmup 5 --vs-ort 2>&1 | grep -v WARNING >> $D/ort.txt
    done
  done
done
ld "end"
