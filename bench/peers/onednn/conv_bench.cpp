// oneDNN (DNNL 2.x, Debian's libdnnl-dev) FP32 convolution timings for vcnn's peer comparison.
// Built and run by bench/peers/peer (g++ -O2 -fopenmp ... -ldnnl); a tool for measuring, not part of vcnn.
//
//   conv_bench SHAPES_FILE        one JSON object per line on stdout (a "meta" line first)
//
// SHAPES_FILE: bench/peers/shapes.txt (name N C H W K R S stride pad groups bwd quick).
// Env: OMP_NUM_THREADS (libdnnl uses OpenMP), ONEDNN_MAX_CPU_ISA (read by oneDNN itself; the meta
// line states the ISA in effect), BENCH_ONLY=name1,name2 (shape filter), BENCH_QUICK=1 (quick=1 lines
// only), BENCH_WARMUP_S (0.3), BENCH_MEASURE_S (1.0), BENCH_MIN_REPS (20), BENCH_ALT_IMPLS (1: also
// time oneDNN's other non-reference implementations as "<pass>@alt", BENCH_ALT_MEASURE_S 0.3 s each).
//
// Per shape: "fwd" = forward_inference with bias and a fused ReLU post-op (what ConvForwardBench times),
// oneDNN's first-choice implementation, format_tag::any everywhere (its preferred blocked layouts;
// reorders into them are done once, outside timing); "fwd_auto" when convolution_auto picks something
// else; "fwd_wino" = convolution_winograd when oneDNN has one for this shape and ISA (f32 Winograd is
// AVX-512 only in oneDNN 2.x; otherwise a record with "impl":"unavailable"). With bwd=1 also
// "bwd_data" and "bwd_weights" (with bias gradient, as ConvBackwardBench). Timing: warm-up for
// BENCH_WARMUP_S and >= 5 calls, then max(BENCH_MIN_REPS, BENCH_MEASURE_S / t_call) individually timed
// calls; the median is reported (p10 / p90 / min too). GFLOP/s = nominal 2*N*K*(C/g)*R*S*Ho*Wo / median.
#include <oneapi/dnnl/dnnl.hpp>
#include <oneapi/dnnl/dnnl_debug.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

struct Shape {
    std::string name;
    long N, C, H, W, K, R, S, stride, pad, groups;
    int bwd, quick;
    long Ho() const { return (H + 2 * pad - R) / stride + 1; }
    long Wo() const { return (W + 2 * pad - S) / stride + 1; }
    double flop() const { return 2.0 * N * K * (C / groups) * R * S * Ho() * Wo(); }
    std::string spec() const {
        std::ostringstream o;
        o << N << ':' << C << ':' << H << ':' << W << ':' << K << ':' << R << ':' << S << ':' << stride << ':'
          << pad << ':' << groups;
        return o.str();
    }
};

static double env_d(const char *k, double d) {
    const char *v = getenv(k);
    return v && *v ? atof(v) : d;
}

static std::vector<Shape> read_shapes(const char *path) {
    std::vector<Shape> v;
    std::ifstream f(path);
    if (!f) { fprintf(stderr, "conv_bench: cannot open %s\n", path); exit(2); }
    const char *only = getenv("BENCH_ONLY");
    bool quick = env_d("BENCH_QUICK", 0) != 0;
    std::string line;
    int lineno = 0;
    while (std::getline(f, line)) {
        lineno++;
        size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        std::istringstream is(line);
        Shape s;
        if (!(is >> s.name >> s.N >> s.C >> s.H >> s.W >> s.K >> s.R >> s.S >> s.stride >> s.pad >> s.groups >> s.bwd
                 >> s.quick)) {
            fprintf(stderr, "conv_bench: %s:%d: expected 'name N C H W K R S stride pad groups bwd quick'\n", path, lineno);
            exit(2);
        }
        if (s.groups < 1 || s.C % s.groups || s.K % s.groups || s.Ho() < 1 || s.Wo() < 1) {
            fprintf(stderr, "conv_bench: %s:%d: impossible shape %s\n", path, lineno, s.name.c_str());
            exit(2);
        }
        if (only && *only && (std::string(",") + only + ",").find("," + s.name + ",") == std::string::npos) continue;
        if (quick && !s.quick) continue;
        v.push_back(s);
    }
    return v;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float urand() {  // xorshift64*, uniform [-1, 1)
    rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
    uint64_t r = rng_state * 2685821657736338717ull;
    return (float)((r >> 40) * (1.0 / 16777216.0) * 2.0 - 1.0);
}

static size_t count(const memory::dims &d) {
    size_t n = 1;
    for (auto x : d) n *= x;
    return n;
}

static std::vector<float> rand_vec(const memory::dims &dims) {
    std::vector<float> v(count(dims));
    for (auto &x : v) x = urand();
    return v;
}

static tag plain_tag(const memory::dims &d) {
    return d.size() == 1 ? tag::a : d.size() == 4 ? tag::abcd : tag::abcde;
}

// A memory in the primitive's chosen layout, filled from a plain (row-major) host copy.
static memory from_plain(engine &eng, stream &s, const memory::desc &want, const memory::dims &dims,
        std::vector<float> &plain) {
    memory pm(memory::desc(dims, dt::f32, plain_tag(dims)), eng, plain.data());
    memory m(want, eng);
    reorder(pm, m).execute(s, pm, m);
    s.wait();
    return m;
}

struct Stats {
    double med_ms, p10_ms, p90_ms, min_ms;
    long reps;
};

static Stats time_it(const std::function<void()> &f, stream &s, double measure_s) {
    using clk = std::chrono::steady_clock;
    double warm_s = env_d("BENCH_WARMUP_S", 0.3);
    long min_reps = (long)env_d("BENCH_MIN_REPS", 20);
    std::vector<double> wt;
    auto t0 = clk::now();
    while (true) {
        auto a = clk::now();
        f();
        s.wait();
        auto b = clk::now();
        wt.push_back(std::chrono::duration<double>(b - a).count());
        if (wt.size() >= 5 && std::chrono::duration<double>(b - t0).count() >= warm_s) break;
    }
    std::sort(wt.begin(), wt.end());
    double est = std::max(wt[wt.size() / 2], 1e-7);
    long reps = std::min(std::max(min_reps, (long)std::ceil(measure_s / est)), 2000000L);
    std::vector<double> t(reps);
    for (long i = 0; i < reps; i++) {
        auto a = clk::now();
        f();
        s.wait();
        auto b = clk::now();
        t[i] = std::chrono::duration<double>(b - a).count();
    }
    std::sort(t.begin(), t.end());
    Stats st;
    st.med_ms = 1e3 * (reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]));
    st.p10_ms = 1e3 * t[reps / 10];
    st.p90_ms = 1e3 * t[(reps * 9) / 10];
    st.min_ms = 1e3 * t[0];
    st.reps = reps;
    return st;
}

static int g_threads = 1;
static std::string g_isa;

static void emit(const Shape &sh, const std::string &pass, const std::string &impl, const Stats *st) {
    printf("{\"lib\":\"onednn\",\"threads\":%d,\"isa\":\"%s\",\"name\":\"%s\",\"shape\":\"%s\",\"pass\":\"%s\","
           "\"impl\":\"%s\",\"gflop\":%.6f",
            g_threads, g_isa.c_str(), sh.name.c_str(), sh.spec().c_str(), pass.c_str(), impl.c_str(), sh.flop() * 1e-9);
    if (st)
        printf(",\"ms\":%.6f,\"p10_ms\":%.6f,\"p90_ms\":%.6f,\"min_ms\":%.6f,\"reps\":%ld,\"gflops\":%.3f", st->med_ms,
                st->p10_ms, st->p90_ms, st->min_ms, st->reps, sh.flop() * 1e-9 / (st->med_ms * 1e-3));
    printf("}\n");
    fflush(stdout);
}

struct Dims {
    memory::dims src, wei, bias, dst, strides, pad;
};
static Dims dims_of(const Shape &sh) {
    memory::dims wei = sh.groups == 1 ? memory::dims{sh.K, sh.C, sh.R, sh.S}
                                      : memory::dims{sh.groups, sh.K / sh.groups, sh.C / sh.groups, sh.R, sh.S};
    return {{sh.N, sh.C, sh.H, sh.W}, wei, {sh.K}, {sh.N, sh.K, sh.Ho(), sh.Wo()}, {sh.stride, sh.stride},
            {sh.pad, sh.pad}};
}
static memory::desc any_md(const memory::dims &d) { return memory::desc(d, dt::f32, tag::any); }

// Host data of one problem, plain layouts.
struct Data {
    std::vector<float> x, w, b, gy;
};

static bool skip_alt(const std::string &impl) {
    return impl.rfind("ref", 0) == 0 || impl.find("sse41") != std::string::npos;
}

static void run_shape(engine &eng, stream &s, const Shape &sh) {
    Dims d = dims_of(sh);
    Data h{rand_vec(d.src), rand_vec(d.wei), rand_vec(d.bias), rand_vec(d.dst)};
    const double measure_s = env_d("BENCH_MEASURE_S", 1.0), alt_s = env_d("BENCH_ALT_MEASURE_S", 0.3);
    const bool alts = env_d("BENCH_ALT_IMPLS", 1) != 0;

    primitive_attr relu;
    post_ops po;
    po.append_eltwise(1.0f, algorithm::eltwise_relu, 0.f, 0.f);
    relu.set_post_ops(po);

    auto fwd_desc = [&](prop_kind pk, algorithm alg) {
        return convolution_forward::desc(pk, alg, any_md(d.src), any_md(d.wei), any_md(d.bias), any_md(d.dst),
                d.strides, d.pad, d.pad);
    };
    auto fwd_run = [&](const convolution_forward::primitive_desc &pd) {
        memory x = from_plain(eng, s, pd.src_desc(), d.src, h.x);
        memory w = from_plain(eng, s, pd.weights_desc(), d.wei, h.w);
        memory b = from_plain(eng, s, pd.bias_desc(), d.bias, h.b);
        memory y(pd.dst_desc(), eng);
        convolution_forward prim(pd);
        return std::function<void()>([=, &s]() mutable {
            prim.execute(s, {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, y}});
        });
    };
    // Times the first implementation of the iterator as `pass`, then the others as `pass@alt`.
    auto time_all = [&](const std::string &pass, auto it, auto make_run) {
        auto all = std::vector<decltype(it)>{it};
        while (it.next_impl()) all.push_back(it);
        std::string first = all[0].impl_info_str();
        Stats st = time_it(make_run(all[0]), s, measure_s);
        emit(sh, pass, first, &st);
        if (!alts) return;
        for (size_t i = 1; i < all.size(); i++) {
            std::string name = all[i].impl_info_str();
            if (skip_alt(name) || name == first) continue;
            Stats sa = time_it(make_run(all[i]), s, alt_s);
            emit(sh, pass + "@alt", name, &sa);
        }
    };

    auto fdesc = fwd_desc(prop_kind::forward_inference, algorithm::convolution_direct);
    convolution_forward::primitive_desc fpd(fdesc, relu, eng);
    time_all("fwd", fpd, fwd_run);

    try {
        auto adesc = fwd_desc(prop_kind::forward_inference, algorithm::convolution_auto);
        convolution_forward::primitive_desc apd(adesc, relu, eng);
        if (apd.impl_info_str() != fpd.impl_info_str() || apd.src_desc() != fpd.src_desc()
                || apd.weights_desc() != fpd.weights_desc()) {
            Stats st = time_it(fwd_run(apd), s, measure_s);
            emit(sh, "fwd_auto", apd.impl_info_str(), &st);
        }
    } catch (dnnl::error &) {
    }
    try {
        auto wdesc = fwd_desc(prop_kind::forward_inference, algorithm::convolution_winograd);
        convolution_forward::primitive_desc wpd(wdesc, relu, eng);
        Stats st = time_it(fwd_run(wpd), s, measure_s);
        emit(sh, "fwd_wino", wpd.impl_info_str(), &st);
    } catch (dnnl::error &) {
        emit(sh, "fwd_wino", "unavailable", nullptr);
    }
    if (!sh.bwd) return;

    // Backward passes need a forward_training hint.
    convolution_forward::primitive_desc tpd(fwd_desc(prop_kind::forward_training, algorithm::convolution_direct), eng);
    auto bd_desc = convolution_backward_data::desc(algorithm::convolution_direct, any_md(d.src), any_md(d.wei),
            any_md(d.dst), d.strides, d.pad, d.pad);
    auto bw_desc = convolution_backward_weights::desc(algorithm::convolution_direct, any_md(d.src), any_md(d.wei),
            any_md(d.bias), any_md(d.dst), d.strides, d.pad, d.pad);
    time_all("bwd_data", convolution_backward_data::primitive_desc(bd_desc, eng, tpd),
            [&](const convolution_backward_data::primitive_desc &pd) {
                memory w = from_plain(eng, s, pd.weights_desc(), d.wei, h.w);
                memory gy = from_plain(eng, s, pd.diff_dst_desc(), d.dst, h.gy);
                memory gx(pd.diff_src_desc(), eng);
                convolution_backward_data prim(pd);
                return std::function<void()>([=, &s]() mutable {
                    prim.execute(s, {{DNNL_ARG_DIFF_DST, gy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, gx}});
                });
            });
    time_all("bwd_weights", convolution_backward_weights::primitive_desc(bw_desc, eng, tpd),
            [&](const convolution_backward_weights::primitive_desc &pd) {
                memory x = from_plain(eng, s, pd.src_desc(), d.src, h.x);
                memory gy = from_plain(eng, s, pd.diff_dst_desc(), d.dst, h.gy);
                memory gw(pd.diff_weights_desc(), eng), gb(pd.diff_bias_desc(), eng);
                convolution_backward_weights prim(pd);
                return std::function<void()>([=, &s]() mutable {
                    prim.execute(s, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, gy}, {DNNL_ARG_DIFF_WEIGHTS, gw},
                                            {DNNL_ARG_DIFF_BIAS, gb}});
                });
            });
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SHAPES_FILE   (see the comment at the top of conv_bench.cpp)\n", argv[0]);
        return 2;
    }
    auto shapes = read_shapes(argv[1]);
    g_threads = omp_get_max_threads();
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    const dnnl_version_t *v = dnnl_version();
    g_isa = dnnl_cpu_isa2str((dnnl_cpu_isa_t)get_effective_cpu_isa());
    const char *max_isa = getenv("ONEDNN_MAX_CPU_ISA");
    fprintf(stderr, "oneDNN %d.%d.%d (%s) runtime=%s isa=%s threads=%d shapes=%zu\n", v->major, v->minor, v->patch,
            v->hash, dnnl_runtime2str(v->cpu_runtime), g_isa.c_str(), g_threads, shapes.size());
    printf("{\"lib\":\"onednn\",\"threads\":%d,\"pass\":\"meta\",\"version\":\"%d.%d.%d\",\"isa\":\"%s\","
           "\"max_cpu_isa_env\":\"%s\",\"runtime\":\"%s\"}\n",
            g_threads, v->major, v->minor, v->patch, g_isa.c_str(), max_isa ? max_isa : "",
            dnnl_runtime2str(v->cpu_runtime));
    for (auto &sh : shapes) {
        try {
            run_shape(eng, s, sh);
        } catch (dnnl::error &e) {
            fprintf(stderr, "conv_bench: %s: oneDNN error: %s (status %d)\n", sh.name.c_str(), e.what(), (int)e.status);
            return 1;
        }
        fprintf(stderr, "  done %s\n", sh.name.c_str());
    }
    return 0;
}
