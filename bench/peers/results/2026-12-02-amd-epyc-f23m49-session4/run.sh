#!/usr/bin/env bash
# session 4 measurement sitting: peers then vcnn, one timed run at a time
set -u
cd /work/main
. /tmp/env.sh
out=/tmp/m5; J="java --add-modules jdk.incubator.vector -jar jmh/target/benchmarks.jar"
ld() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" >> $out/load.txt; }
ld start
for i in 1 2 3; do ld "onednn $i"; bench/peers/peer onednn --threads 1 > $out/onednn-$i.txt 2>&1; done
for t in 1 2; do for i in 1 2 3; do ld "torch t$t $i"; bench/peers/peer torch --threads $t > $out/torch-t$t-$i.txt 2>&1; done; done
ld "vcnn fwd"
flock /tmp/bench.lock $J 'ConvForwardBench.simd$' -p threads=1 -f 3 -wi 3 -w 1 -i 4 -r 1 -rf json -rff $out/fwd.json > $out/fwd.txt 2>&1
ld "vcnn bwd"
flock /tmp/bench.lock $J 'ConvBackwardBench.simd' -p shape=lenet_c2,r18_l1,r18_l1_n8 -p threads=1,2 -f 3 -wi 3 -w 1 -i 4 -r 1 -rf json -rff $out/bwd.json > $out/bwd.txt 2>&1
ld "vcnn train"
flock /tmp/bench.lock $J 'TrainStepBench' -p kernels=simd -p threads=1,2 -f 3 -i 5 -r 2 -prof gc -rf json -rff $out/train.json > $out/train.txt 2>&1
ld "vcnn fwd 2t r18_l2"
flock /tmp/bench.lock $J 'ConvForwardBench.simd$' -p shape=r18_l2,lenet_c2 -p threads=2 -f 3 -wi 3 -w 1 -i 4 -r 1 -rf json -rff $out/fwd2.json > $out/fwd2.txt 2>&1
ld end
M=../shared/reference/onnx-models
for rep in 1 2 3; do
  for t in 1 2; do
    for m in resnet18 squeezenet1_1 lenet lenet_b64; do
      ld "ort $m t$t rep$rep"
      echo "=== $m threads $t rep $rep" >> $out/ort.txt
      flock /tmp/bench.lock ./vcnn bench-onnx $M/$m/model.onnx --threads $t --seconds 4 --warmup 5 --vs-ort 2>&1 | grep -v WARNING >> $out/ort.txt
    done
  done
done
ld "ort end"
