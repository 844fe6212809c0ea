/* A fake libcuda.so.1 for the runtime's unit test (test_runtime_fake_driver.py):
 * every driver function the runtime calls succeeds without a GPU; handles are
 * made-up pointers; cuModuleGetFunction returns the same function for every
 * module, and with fakeReuseModuleHandles(1) every load returns the same
 * module (as a real driver may reuse handles after an unload); the calls the
 * test checks are counted. Not CUDA: only the symbols and calling
 * conventions of the entry points are kept (CUresult is an int, handles are
 * pointers). */
#include <stddef.h>
#include <stdint.h>

static int attributeCalls[64];
static int launches, clusterLaunches, modulesLoaded;
static int lastSharedBytes;
static int reuseModuleHandles;

/* From now on every module load returns the same handle (a driver may
 * reuse the handle of an unloaded module). */
void fakeReuseModuleHandles(int reuse) { reuseModuleHandles = reuse; }

int fakeAttributeCalls(int attribute) {
  return attribute >= 0 && attribute < 64 ? attributeCalls[attribute] : -1;
}
int fakeLaunches(void) { return launches; }
int fakeClusterLaunches(void) { return clusterLaunches; }
int fakeLastSharedBytes(void) { return lastSharedBytes; }

#define HANDLE(x) ((void *)(uintptr_t)(x))

int cuInit(unsigned flags) { return 0; }
int cuGetErrorName(int error, const char **name) {
  *name = "FAKE_ERROR";
  return 0;
}
int cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return 0;
}
int cuDevicePrimaryCtxRetain(void **context, int device) {
  *context = HANDLE(0x10);
  return 0;
}
int cuCtxPushCurrent_v2(void *context) { return 0; }
int cuCtxPopCurrent_v2(void **context) {
  if (context)
    *context = HANDLE(0x10);
  return 0;
}
int cuCtxGetDevice(int *device) {
  *device = 0;
  return 0;
}
int cuCtxSynchronize(void) { return 0; }
int cuDeviceGetDefaultMemPool(void **pool, int device) {
  *pool = HANDLE(0x20);
  return 0;
}
int cuMemPoolSetAttribute(void *pool, int attribute, void *value) { return 0; }

static void *currentModule;

int cuModuleLoadData(void **module, const void *image) {
  ++modulesLoaded;
  *module = HANDLE(reuseModuleHandles ? 0x100 : 0x100 + modulesLoaded);
  currentModule = *module;
  return 0;
}
int cuModuleLoadDataEx(void **module, const void *image, unsigned n,
                       void *options, void **values) {
  return cuModuleLoadData(module, image);
}
int cuModuleUnload(void *module) { return 0; }
int cuModuleGetFunction(void **function, void *module, const char *name) {
  *function = HANDLE(0xF00);
  return 0;
}
/* The function of cuModuleGetFunction belongs to the module loaded last;
 * other handles are invalid. */
int cuFuncGetModule(void **module, void *function) {
  if (function != HANDLE(0xF00))
    return 400; /* CUDA_ERROR_INVALID_HANDLE */
  *module = currentModule;
  return 0;
}
int cuFuncSetAttribute(void *function, int attribute, int value) {
  if (attribute >= 0 && attribute < 64)
    ++attributeCalls[attribute];
  return 0;
}
int cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                   unsigned bx, unsigned by, unsigned bz, unsigned shared,
                   void *stream, void **params, void **extra) {
  ++launches;
  lastSharedBytes = (int)shared;
  return 0;
}
int cuLaunchKernelEx(const void *config, void *function, void **params,
                     void **extra) {
  ++clusterLaunches;
  return 0;
}

int cuStreamCreate(void **stream, unsigned flags) {
  *stream = HANDLE(0x30);
  return 0;
}
int cuStreamDestroy_v2(void *stream) { return 0; }
int cuStreamSynchronize(void *stream) { return 0; }
int cuStreamWaitEvent(void *stream, void *event, unsigned flags) { return 0; }
int cuEventCreate(void **event, unsigned flags) {
  *event = HANDLE(0x40);
  return 0;
}
int cuEventDestroy_v2(void *event) { return 0; }
int cuEventRecord(void *event, void *stream) { return 0; }
int cuEventSynchronize(void *event) { return 0; }

int cuMemAlloc_v2(unsigned long long *ptr, size_t bytes) {
  *ptr = 0x100000;
  return 0;
}
int cuMemAllocAsync(unsigned long long *ptr, size_t bytes, void *stream) {
  *ptr = 0x100000;
  return 0;
}
int cuMemAllocManaged(unsigned long long *ptr, size_t bytes, unsigned flags) {
  *ptr = 0x100000;
  return 0;
}
int cuMemFree_v2(unsigned long long ptr) { return 0; }
int cuMemFreeAsync(unsigned long long ptr, void *stream) { return 0; }
int cuMemHostRegister_v2(void *ptr, size_t bytes, unsigned flags) { return 0; }
int cuMemHostUnregister(void *ptr) { return 0; }
int cuMemcpyAsync(unsigned long long dst, unsigned long long src, size_t bytes,
                  void *stream) {
  return 0;
}
int cuMemsetD16Async(unsigned long long dst, unsigned short value, size_t n,
                     void *stream) {
  return 0;
}
int cuMemsetD32Async(unsigned long long dst, unsigned value, size_t n,
                     void *stream) {
  return 0;
}
