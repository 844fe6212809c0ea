//===- onednn_bench.cpp - oneDNN peer of the CPU benchmarks -----*- C++ -*-===//
//
// Times one oneDNN (Debian libdnnl, v2.x API) normalization primitive with
// preallocated, pre-touched memory and prints `<median seconds> <impl>`:
//
//   onednn_bench <op> <dtype> <layout> <dims> <warmup> <reps>
//     op:     ln | ln_gelu | bn_inf_relu | bn_train
//     dtype:  f32 | bf16
//     layout: ab (ln) | nchw | nhwc | blocked (nChw8c; bn)
//     dims:   comma-separated, e.g. 8192,768 or 32,64,56,56 (logical NCHW)
//
// ln_gelu is layer_normalization followed by an in-place eltwise gelu_erf
// (oneDNN 2.x has no post-ops on layer normalization); bn_inf_relu uses the
// fused `fuse_norm_relu` flag. Threads: OMP_NUM_THREADS (libdnnl uses OpenMP).
// Exits non-zero with a message on stderr when a primitive is unsupported.
//
//===----------------------------------------------------------------------===//

#include "oneapi/dnnl/dnnl.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;

namespace {
using Dims = memory::dims;
using Args = std::unordered_map<int, memory>;

/// A memory object filled with small nonzero values (touches every page).
memory filled(const memory::desc &md, engine &eng) {
  memory m(md, eng);
  size_t n = md.get_size();
  auto *p = static_cast<unsigned char *>(m.get_data_handle());
  if (md.data_type() == memory::data_type::f32) {
    float *f = reinterpret_cast<float *>(p);
    for (size_t i = 0; i < n / 4; ++i)
      f[i] = 0.5f + 0.001f * float(i % 977);
  } else {
    uint16_t *h = reinterpret_cast<uint16_t *>(p);
    for (size_t i = 0; i < n / 2; ++i)
      h[i] = 0x3f00 + uint16_t(i % 97); // bf16 values in [0.5, 1)
  }
  return m;
}

double medianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t k = v.size();
  return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}
} // namespace

int main(int argc, char **argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s op dtype layout dims warmup reps\n",
                 argv[0]);
    return 2;
  }
  std::string op = argv[1], dtype = argv[2], layout = argv[3];
  Dims dims;
  std::stringstream ss(argv[4]);
  for (std::string tok; std::getline(ss, tok, ',');)
    dims.push_back(std::stoll(tok));
  int warmup = std::atoi(argv[5]), reps = std::atoi(argv[6]);

  try {
    engine eng(engine::kind::cpu, 0);
    stream strm(eng);
    auto dt =
        dtype == "bf16" ? memory::data_type::bf16 : memory::data_type::f32;
    auto f32 = memory::data_type::f32;
    std::vector<std::function<void()>> steps;
    std::string impl;
    // Keeps memory alive for the lifetime of the steps.
    std::vector<Args> argSets;
    argSets.reserve(4);

    if (op == "ln" || op == "ln_gelu") {
      memory::desc data(dims, dt, memory::format_tag::ab);
      memory::desc vec({dims[1]}, f32, memory::format_tag::a);
      auto flags =
          normalization_flags::use_scale | normalization_flags::use_shift;
      layer_normalization_forward::desc d(prop_kind::forward_inference, data,
                                          1e-5f, flags);
      layer_normalization_forward::primitive_desc pd(d, eng);
      impl = pd.impl_info_str();
      memory src = filled(data, eng), dst = filled(data, eng);
      argSets.push_back({{DNNL_ARG_SRC, src},
                         {DNNL_ARG_DST, dst},
                         {DNNL_ARG_SCALE, filled(vec, eng)},
                         {DNNL_ARG_SHIFT, filled(vec, eng)}});
      layer_normalization_forward prim(pd);
      Args *a = &argSets.back();
      steps.push_back([=, &strm]() mutable { prim.execute(strm, *a); });
      if (op == "ln_gelu") {
        eltwise_forward::desc ed(prop_kind::forward_inference,
                                 algorithm::eltwise_gelu_erf, data);
        eltwise_forward::primitive_desc epd(ed, eng);
        impl += "+" + std::string(epd.impl_info_str());
        argSets.push_back({{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
        eltwise_forward eprim(epd);
        Args *ea = &argSets.back();
        steps.push_back([=, &strm]() mutable { eprim.execute(strm, *ea); });
      }
    } else if (op == "bn_inf_relu" || op == "bn_train") {
      auto tag = layout == "nhwc"      ? memory::format_tag::nhwc
                 : layout == "blocked" ? memory::format_tag::nChw8c
                                       : memory::format_tag::nchw;
      memory::desc data(dims, dt, tag);
      memory::desc vec({dims[1]}, f32, memory::format_tag::a);
      bool train = op == "bn_train";
      auto flags =
          normalization_flags::use_scale | normalization_flags::use_shift;
      if (!train)
        flags = flags | normalization_flags::use_global_stats |
                normalization_flags::fuse_norm_relu;
      batch_normalization_forward::desc d(train ? prop_kind::forward_training
                                                : prop_kind::forward_inference,
                                          data, 1e-5f, flags);
      batch_normalization_forward::primitive_desc pd(d, eng);
      impl = pd.impl_info_str();
      Args args{{DNNL_ARG_SRC, filled(data, eng)},
                {DNNL_ARG_DST, filled(data, eng)},
                {DNNL_ARG_MEAN, filled(vec, eng)},
                {DNNL_ARG_VARIANCE, filled(vec, eng)},
                {DNNL_ARG_SCALE, filled(vec, eng)},
                {DNNL_ARG_SHIFT, filled(vec, eng)}};
      if (pd.workspace_desc().get_size())
        args.insert({DNNL_ARG_WORKSPACE, filled(pd.workspace_desc(), eng)});
      argSets.push_back(args);
      batch_normalization_forward prim(pd);
      Args *a = &argSets.back();
      steps.push_back([=, &strm]() mutable { prim.execute(strm, *a); });
    } else {
      std::fprintf(stderr, "unknown op %s\n", op.c_str());
      return 2;
    }

    auto runOnce = [&]() {
      for (auto &s : steps)
        s();
      strm.wait();
    };
    for (int i = 0; i < warmup; ++i)
      runOnce();
    std::vector<double> times;
    for (int i = 0; i < reps; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      runOnce();
      times.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count());
    }
    std::printf("%.9g %s\n", medianOf(times), impl.c_str());
  } catch (dnnl::error &e) {
    std::fprintf(stderr, "oneDNN: %s (status %d)\n", e.what(), int(e.status));
    return 1;
  }
  return 0;
}
