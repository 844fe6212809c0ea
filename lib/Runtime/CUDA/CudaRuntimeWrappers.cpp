//===- CudaRuntimeWrappers.cpp - mgpu* functions over the CUDA driver -----===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// The functions that MLIR's `gpu-to-llvm` host lowering calls (module
// load/unload, function lookup, kernel launch, streams, events, memory),
// implemented over the CUDA driver API. Debian's MLIR ships no CUDA runtime
// wrappers; this library replaces upstream's `libmlir_cuda_runtime` and, unlike
// it, links neither MLIR nor LLVM: only libcuda. It is what a compiled host
// library (norm-lower-to-nvvm + mlir-translate + clang) needs at run time.
//
// Additions for callers that own the stream (PyTorch, CuPy):
//  * `normCudaSetStream(stream)`: from then on, on the calling thread,
//    `mgpuStreamCreate` returns `stream`, and `mgpuStreamSynchronize` /
//    `mgpuStreamDestroy` of it do nothing: compiled functions enqueue their
//    kernels on the caller's stream and return without waiting, ordered with
//    the caller's other work. `normCudaSetStream(NULL)` restores the default
//    (the thread's cached stream, synchronized before returning).
//  * `normCudaGetLastError()` / `normCudaGetLastErrorString()` /
//    `normCudaClearLastError()`: the first driver error since the last clear
//    (the mgpu* functions return no status; they also print errors to stderr
//    unless NORM_CUDA_QUIET is set).
//
// Streams: `mgpuStreamCreate` returns one stream per thread, created on the
// first call and reused (`mgpuStreamDestroy` of it does nothing): the host
// code of gpu-to-llvm creates and destroys a stream around every launch (or
// around every function with async tokens), which cost a driver round trip
// each. The stream is a blocking one (CU_STREAM_DEFAULT): ordered after work
// on the legacy default stream (PyTorch's default), as a synchronous call
// should be.
//
// Memory: `mgpuMemAlloc`/`mgpuMemFree` with a stream (the async `gpu.alloc`/
// `gpu.dealloc`, e.g. the GroupNorm/BatchNorm workspace) are stream-ordered
// (cuMemAllocAsync/cuMemFreeAsync from the device's default pool, which keeps
// its memory between calls); without a stream, cuMemAlloc/cuMemFree.
//
// Launches: the function attributes a launch needs (more than 48 KiB of
// dynamic shared memory, the shared-memory carveout, clusters of more than 8
// blocks) are set once per function, not at every launch.
//
// Contexts: every call runs in the primary context of the default device
// (device 0, or `mgpuSetDefaultDevice`), the context PyTorch and the CUDA
// runtime use too.
//
//===----------------------------------------------------------------------===//

#include <cuda.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>

#define NORM_CUDA_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

int32_t defaultDevice = 0;
std::atomic<int> lastError{CUDA_SUCCESS};
thread_local CUstream callerStream = nullptr;

/// Records and reports a failed driver call.
void reportError(CUresult result, const char *expr) {
  if (result == CUDA_SUCCESS)
    return;
  int expected = CUDA_SUCCESS;
  lastError.compare_exchange_strong(expected, static_cast<int>(result));
  if (std::getenv("NORM_CUDA_QUIET"))
    return;
  const char *name = nullptr;
  cuGetErrorName(result, &name);
  std::fprintf(stderr, "norm_cuda_runtime: '%s' failed with %d (%s)\n", expr,
               static_cast<int>(result), name ? name : "unknown");
}

#define CUDA_REPORT_IF_ERROR(expr) reportError((expr), #expr)

/// The primary context of the default device, retained once.
CUcontext getContext() {
  static CUcontext context = [] {
    CUDA_REPORT_IF_ERROR(cuInit(/*flags=*/0));
    CUdevice device;
    CUDA_REPORT_IF_ERROR(cuDeviceGet(&device, defaultDevice));
    CUcontext ctx = nullptr;
    CUDA_REPORT_IF_ERROR(cuDevicePrimaryCtxRetain(&ctx, device));
    return ctx;
  }();
  return context;
}

/// Makes the runtime's context current for the lifetime of the object.
class ScopedContext {
public:
  ScopedContext() { CUDA_REPORT_IF_ERROR(cuCtxPushCurrent(getContext())); }
  ~ScopedContext() { CUDA_REPORT_IF_ERROR(cuCtxPopCurrent(nullptr)); }
  ScopedContext(const ScopedContext &) = delete;
  ScopedContext &operator=(const ScopedContext &) = delete;
};

bool isCallerStream(CUstream stream) {
  return callerStream && stream == callerStream;
}

/// The calling thread's stream of the runtime, created on first use and
/// destroyed when the thread exits.
struct CachedStream {
  CUstream stream = nullptr;
  CachedStream() = default;
  CachedStream(const CachedStream &) = delete;
  CachedStream &operator=(const CachedStream &) = delete;
  ~CachedStream() {
    // At process exit the driver may be shut down already: nothing to report.
    if (stream)
      (void)cuStreamDestroy(stream);
  }
};
thread_local CachedStream cachedStream;

bool isCachedStream(CUstream stream) {
  return stream && stream == cachedStream.stream;
}

/// Makes the default pool of the runtime's device keep freed memory (its
/// default release threshold, 0, returns it to the system at every
/// synchronization), once.
void keepPoolMemory() {
  static bool done = [] {
    CUdevice device;
    CUmemoryPool pool;
    if (cuCtxGetDevice(&device) != CUDA_SUCCESS ||
        cuDeviceGetDefaultMemPool(&pool, device) != CUDA_SUCCESS)
      return false;
    cuuint64_t threshold = UINT64_MAX;
    return cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                                 &threshold) == CUDA_SUCCESS;
  }();
  (void)done;
}

/// The attributes a launch has set on a function with cuFuncSetAttribute,
/// so that each is set once rather than by a driver call at every launch.
/// An entry names the function's module: unloading the module drops its
/// entries (a later module's functions may reuse the handles).
struct FunctionAttributes {
  CUmodule module = nullptr;
  /// Dynamic shared memory allowed so far (48 KiB needs no attribute).
  int32_t dynamicSharedBytes = 48 * 1024;
  bool nonPortableClusters = false;
};

/// Never destroyed: modules are unloaded from global destructors.
std::unordered_map<CUfunction, FunctionAttributes> &functionAttributes() {
  static auto *attributes =
      new std::unordered_map<CUfunction, FunctionAttributes>();
  return *attributes;
}
std::mutex &functionAttributesMutex() {
  static auto *mutex = new std::mutex();
  return *mutex;
}

/// The cached attributes of `function` (the caller holds the mutex), its
/// module asked of the driver at the first launch that needs an attribute
/// (not at every function lookup: mgpuModuleGetFunction runs at every
/// launch); `uncached` when the driver does not know the function's module.
FunctionAttributes &attributesOf(CUfunction function,
                                 FunctionAttributes &uncached) {
  auto &attributes = functionAttributes();
  auto it = attributes.find(function);
  if (it != attributes.end())
    return it->second;
  CUmodule module = nullptr;
  if (cuFuncGetModule(&module, function) != CUDA_SUCCESS || !module)
    return uncached;
  return attributes.emplace(function, FunctionAttributes{module}).first->second;
}

} // namespace

//===----------------------------------------------------------------------===//
// Additions of norm-mlir
//===----------------------------------------------------------------------===//

NORM_CUDA_EXPORT void normCudaSetStream(void *stream) {
  callerStream = static_cast<CUstream>(stream);
}

NORM_CUDA_EXPORT void *normCudaGetStream() { return callerStream; }

NORM_CUDA_EXPORT int normCudaGetLastError() { return lastError.load(); }

NORM_CUDA_EXPORT const char *normCudaGetLastErrorString() {
  const char *name = nullptr;
  if (cuGetErrorName(static_cast<CUresult>(lastError.load()), &name) !=
      CUDA_SUCCESS)
    return "<unknown CUDA error>";
  return name;
}

NORM_CUDA_EXPORT void normCudaClearLastError() { lastError = CUDA_SUCCESS; }

/// Blocks until all work of the runtime's context is done; returns the
/// first error seen (0 when none).
NORM_CUDA_EXPORT int normCudaSynchronize() {
  ScopedContext scopedContext;
  CUDA_REPORT_IF_ERROR(cuCtxSynchronize());
  return lastError.load();
}

//===----------------------------------------------------------------------===//
// Modules and kernels
//===----------------------------------------------------------------------===//

NORM_CUDA_EXPORT CUmodule mgpuModuleLoad(void *data, size_t /*gpuBlobSize*/) {
  ScopedContext scopedContext;
  CUmodule module = nullptr;
  CUDA_REPORT_IF_ERROR(cuModuleLoadData(&module, data));
  return module;
}

NORM_CUDA_EXPORT CUmodule mgpuModuleLoadJIT(void *data, int optLevel) {
  ScopedContext scopedContext;
  CUmodule module = nullptr;
  char jitErrorBuffer[4096] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                            CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {jitErrorBuffer,
                    reinterpret_cast<void *>(sizeof(jitErrorBuffer)),
                    reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
  CUresult result = cuModuleLoadDataEx(&module, data, 3, options, values);
  if (result != CUDA_SUCCESS && jitErrorBuffer[0])
    std::fprintf(stderr, "norm_cuda_runtime: PTX JIT error: %s\n",
                 jitErrorBuffer);
  CUDA_REPORT_IF_ERROR(result);
  return module;
}

NORM_CUDA_EXPORT void mgpuModuleUnload(CUmodule module) {
  // Unloading runs from global destructors, possibly after the driver shut
  // down at exit (seen with PyTorch on an H100: every call then fails with
  // CUDA_ERROR_DEINITIALIZED): nothing to unload or report then.
  if (!module)
    return;
  CUresult pushed = cuCtxPushCurrent(getContext());
  if (pushed == CUDA_ERROR_DEINITIALIZED)
    return;
  CUDA_REPORT_IF_ERROR(pushed);
  {
    // Before the unload: a module loaded right after it may get the same
    // handles.
    std::lock_guard<std::mutex> lock(functionAttributesMutex());
    auto &attributes = functionAttributes();
    for (auto it = attributes.begin(); it != attributes.end();)
      it = it->second.module == module ? attributes.erase(it) : std::next(it);
  }
  CUresult result = cuModuleUnload(module);
  if (result != CUDA_ERROR_DEINITIALIZED)
    CUDA_REPORT_IF_ERROR(result);
  if (pushed == CUDA_SUCCESS)
    CUDA_REPORT_IF_ERROR(cuCtxPopCurrent(nullptr));
}

NORM_CUDA_EXPORT CUfunction mgpuModuleGetFunction(CUmodule module,
                                                  const char *name) {
  CUfunction function = nullptr;
  CUDA_REPORT_IF_ERROR(cuModuleGetFunction(&function, module, name));
  return function;
}

/// Lets `function` use more than 48 KiB of dynamic shared memory, and asks
/// for the largest shared-memory carveout of the L1: such kernels (the
/// resident GroupNorm/BatchNorm kernels) size their blocks so that several
/// fit an SM's whole shared memory.
static void allowSharedMemory(CUfunction function, int32_t smem) {
  if (smem <= 48 * 1024)
    return;
  std::lock_guard<std::mutex> lock(functionAttributesMutex());
  FunctionAttributes uncached;
  FunctionAttributes &attributes = attributesOf(function, uncached);
  if (attributes.dynamicSharedBytes >= smem)
    return;
  CUresult size = cuFuncSetAttribute(
      function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem);
  reportError(size, "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)");
  CUresult carveout = cuFuncSetAttribute(
      function, CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT,
      CU_SHAREDMEM_CARVEOUT_MAX_SHARED);
  reportError(carveout, "cuFuncSetAttribute(PREFERRED_SHARED_MEMORY_CARVEOUT)");
  if (size == CUDA_SUCCESS && carveout == CUDA_SUCCESS)
    attributes.dynamicSharedBytes = smem;
}

/// Lets `function` run in clusters of more than 8 blocks (16 on H100).
static void allowNonPortableClusters(CUfunction function) {
  std::lock_guard<std::mutex> lock(functionAttributesMutex());
  FunctionAttributes uncached;
  FunctionAttributes &attributes = attributesOf(function, uncached);
  if (attributes.nonPortableClusters)
    return;
  CUresult result = cuFuncSetAttribute(
      function, CU_FUNC_ATTRIBUTE_NON_PORTABLE_CLUSTER_SIZE_ALLOWED, 1);
  reportError(result, "cuFuncSetAttribute(NON_PORTABLE_CLUSTER_SIZE_ALLOWED)");
  attributes.nonPortableClusters = result == CUDA_SUCCESS;
}

NORM_CUDA_EXPORT void mgpuLaunchKernel(CUfunction function, intptr_t gridX,
                                       intptr_t gridY, intptr_t gridZ,
                                       intptr_t blockX, intptr_t blockY,
                                       intptr_t blockZ, int32_t smem,
                                       CUstream stream, void **params,
                                       void **extra, size_t /*paramsCount*/) {
  ScopedContext scopedContext;
  allowSharedMemory(function, smem);
  CUDA_REPORT_IF_ERROR(cuLaunchKernel(function, gridX, gridY, gridZ, blockX,
                                      blockY, blockZ, smem, stream, params,
                                      extra));
}

NORM_CUDA_EXPORT void mgpuLaunchClusterKernel(
    CUfunction function, intptr_t clusterX, intptr_t clusterY,
    intptr_t clusterZ, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
    intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem,
    CUstream stream, void **params, void **extra, size_t /*paramsCount*/) {
  ScopedContext scopedContext;
  allowSharedMemory(function, smem);
  if (clusterX * clusterY * clusterZ > 8)
    allowNonPortableClusters(function);
  CUlaunchAttribute attribute;
  std::memset(&attribute, 0, sizeof(attribute));
  attribute.id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
  attribute.value.clusterDim.x = clusterX;
  attribute.value.clusterDim.y = clusterY;
  attribute.value.clusterDim.z = clusterZ;
  CUlaunchConfig config;
  std::memset(&config, 0, sizeof(config));
  config.gridDimX = gridX;
  config.gridDimY = gridY;
  config.gridDimZ = gridZ;
  config.blockDimX = blockX;
  config.blockDimY = blockY;
  config.blockDimZ = blockZ;
  config.sharedMemBytes = smem;
  config.hStream = stream;
  config.attrs = &attribute;
  config.numAttrs = 1;
  CUDA_REPORT_IF_ERROR(cuLaunchKernelEx(&config, function, params, extra));
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

NORM_CUDA_EXPORT CUstream mgpuStreamCreate() {
  if (callerStream)
    return callerStream;
  if (cachedStream.stream)
    return cachedStream.stream;
  ScopedContext scopedContext;
  CUDA_REPORT_IF_ERROR(cuStreamCreate(&cachedStream.stream, CU_STREAM_DEFAULT));
  return cachedStream.stream;
}

NORM_CUDA_EXPORT void mgpuStreamDestroy(CUstream stream) {
  if (isCallerStream(stream) || isCachedStream(stream))
    return;
  CUDA_REPORT_IF_ERROR(cuStreamDestroy(stream));
}

NORM_CUDA_EXPORT void mgpuStreamSynchronize(CUstream stream) {
  if (isCallerStream(stream))
    return;
  CUDA_REPORT_IF_ERROR(cuStreamSynchronize(stream));
}

NORM_CUDA_EXPORT void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  CUDA_REPORT_IF_ERROR(cuStreamWaitEvent(stream, event, /*flags=*/0));
}

NORM_CUDA_EXPORT CUevent mgpuEventCreate() {
  ScopedContext scopedContext;
  CUevent event = nullptr;
  CUDA_REPORT_IF_ERROR(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING));
  return event;
}

NORM_CUDA_EXPORT void mgpuEventDestroy(CUevent event) {
  CUDA_REPORT_IF_ERROR(cuEventDestroy(event));
}

NORM_CUDA_EXPORT void mgpuEventSynchronize(CUevent event) {
  CUDA_REPORT_IF_ERROR(cuEventSynchronize(event));
}

NORM_CUDA_EXPORT void mgpuEventRecord(CUevent event, CUstream stream) {
  CUDA_REPORT_IF_ERROR(cuEventRecord(event, stream));
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

NORM_CUDA_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, CUstream stream,
                                    bool isHostShared) {
  ScopedContext scopedContext;
  CUdeviceptr ptr = 0;
  if (sizeBytes == 0)
    return nullptr;
  if (stream && !isHostShared) {
    keepPoolMemory();
    CUDA_REPORT_IF_ERROR(cuMemAllocAsync(&ptr, sizeBytes, stream));
  } else if (isHostShared) {
    CUDA_REPORT_IF_ERROR(
        cuMemAllocManaged(&ptr, sizeBytes, CU_MEM_ATTACH_GLOBAL));
  } else {
    CUDA_REPORT_IF_ERROR(cuMemAlloc(&ptr, sizeBytes));
  }
  return reinterpret_cast<void *>(ptr);
}

NORM_CUDA_EXPORT void mgpuMemFree(void *ptr, CUstream stream) {
  if (!ptr)
    return;
  ScopedContext scopedContext;
  // Stream-ordered when a stream is given (the pointer may also come from
  // cuMemAlloc: cuMemFreeAsync accepts both).
  if (stream)
    CUDA_REPORT_IF_ERROR(
        cuMemFreeAsync(reinterpret_cast<CUdeviceptr>(ptr), stream));
  else
    CUDA_REPORT_IF_ERROR(cuMemFree(reinterpret_cast<CUdeviceptr>(ptr)));
}

NORM_CUDA_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                                 CUstream stream) {
  CUDA_REPORT_IF_ERROR(cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                                     reinterpret_cast<CUdeviceptr>(src),
                                     sizeBytes, stream));
}

NORM_CUDA_EXPORT void mgpuMemset32(void *dst, unsigned int value, size_t count,
                                   CUstream stream) {
  CUDA_REPORT_IF_ERROR(cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst),
                                        value, count, stream));
}

NORM_CUDA_EXPORT void mgpuMemset16(void *dst, unsigned short value,
                                   size_t count, CUstream stream) {
  CUDA_REPORT_IF_ERROR(cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst),
                                        value, count, stream));
}

NORM_CUDA_EXPORT void mgpuMemHostRegister(void *ptr, uint64_t sizeBytes) {
  ScopedContext scopedContext;
  CUDA_REPORT_IF_ERROR(cuMemHostRegister(ptr, sizeBytes, /*flags=*/0));
}

NORM_CUDA_EXPORT void mgpuMemHostUnregister(void *ptr) {
  ScopedContext scopedContext;
  CUDA_REPORT_IF_ERROR(cuMemHostUnregister(ptr));
}

NORM_CUDA_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  defaultDevice = device;
}
