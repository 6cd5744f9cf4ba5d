#!/usr/bin/env bash
# session 6 measurement sitting (Intel Xeon, AVX-512), one timed part at a time: the peer comparison
# (./vcnn bench-peers: oneDNN native and held to AVX2, PyTorch, vcnn JMH at 512 bits and under -XX:UseAVX=2),
# then whole models against ONNX Runtime Java, then the 128-bit species
set -u
cd /work/main
. /tmp/env.sh
D=bench/peers/results/2026-12-02-intel-xeon-f6m167-session6
ld() { echo "$(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg) $*" >> $D/sitting.txt; }
ld "bench-peers start"
./vcnn bench-peers --out $D > $D/bench-peers.log 2>&1
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
ld "128-bit species"
flock /tmp/bench.lock java --add-modules jdk.incubator.vector -jar jmh/target/benchmarks.jar 'ConvForwardBench.simd$' \
  -p shape=lenet_c2,r18_l1,r18_l2,r18_l3,r18_l4 -p threads=1 -f 3 -wi 3 -w 1 -i 4 -r 1 -jvmArgsPrepend -XX:MaxVectorSize=16 \
  -rf json -rff $D/jmh_fwd_128bit.json > $D/jmh_fwd_128bit.log 2>&1
ld "end"
