// RUN: norm-opt %s --split-input-file --norm-check-leakage -verify-diagnostics

// Fit in a training function, apply in an evaluation function: no leak.

func.func @fit_scaler(%train: tensor<?x16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %m, %s = norm.moments %train axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  return %m, %s : tensor<16xf32>, tensor<16xf32>
}

func.func @evaluate(%x: tensor<?x16xf32>, %m: tensor<16xf32>, %s: tensor<16xf32>) -> tensor<?x16xf32> {
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

// fit_transform on the training split is fine too.
func.func @train_step(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %m, %s = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// The evaluation data is standardized with its own statistics.

func.func @evaluate(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // expected-note @below {{statistics computed here}}
  %m, %s = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  // expected-error @below {{normalizes a value with statistics computed from its own data in evaluation function '@evaluate'}}
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// The same leak through casts, slices and arithmetic on both sides.

func.func @test_batch(%x: tensor<8x16xf32>) -> tensor<?x16xf32> {
  %head = tensor.extract_slice %x[0, 0] [4, 16] [1, 1] : tensor<8x16xf32> to tensor<4x16xf32>
  // expected-note @below {{statistics computed here}}
  %m, %s = norm.moments %head axes = [0] correction = 1 : tensor<4x16xf32> -> tensor<16xf32>
  %ms = tensor.cast %m : tensor<16xf32> to tensor<?xf32>
  %ss = tensor.cast %s : tensor<16xf32> to tensor<?xf32>
  %two = arith.addf %x, %x : tensor<8x16xf32>
  %dyn = tensor.cast %two : tensor<8x16xf32> to tensor<?x16xf32>
  // expected-error @below {{normalizes a value with statistics computed from its own data in evaluation function '@test_batch'}}
  %y = norm.standardize %dyn, %ms, %ss axes = [0] : tensor<?x16xf32>, tensor<?xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A neutral name marked norm.eval; min-max scaling.

func.func @step(%x: tensor<32x4xf32>) -> tensor<32x4xf32> attributes {norm.eval} {
  // expected-note @below {{statistics computed here}}
  %lo, %hi = norm.min_max %x axes = [0] : tensor<32x4xf32> -> tensor<4xf32>
  // expected-error @below {{normalizes a value with statistics computed from its own data in evaluation function '@step'}}
  %y = norm.min_max_scale %x, %lo, %hi axes = [0] : tensor<32x4xf32>, tensor<4xf32>
  return %y : tensor<32x4xf32>
}

// -----

// An evaluation function may fit on an argument marked as training data.

func.func @evaluate(%train: tensor<?x16xf32> {norm.train}, %x: tensor<?x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %m, %s = norm.moments %train axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  // Transforming the training split with its own statistics is fine.
  %t = norm.standardize %train, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y, %t : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Statistics fitted on evaluation inputs, even when applied elsewhere.

func.func @predict(%x: tensor<?x16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  // expected-error @below {{fits statistics on argument #0 of evaluation function '@predict'}}
  %m, %s = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  return %m, %s : tensor<16xf32>, tensor<16xf32>
}

// -----

func.func @validate(%x: tensor<?x16xf32>, %y: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // expected-error @below {{fits statistics on argument #1 of evaluation function '@validate'}}
  %m, %s = norm.moments %y axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  %z = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %z : tensor<?x16xf32>
}

// -----

// Statistics computed by a call to a (training) function of the module.

func.func @fit(%x: tensor<?x16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %m, %s = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  return %m, %s : tensor<16xf32>, tensor<16xf32>
}

func.func @runTest(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // expected-note @below {{statistics computed by this call}}
  %m, %s = call @fit(%x) : (tensor<?x16xf32>) -> (tensor<16xf32>, tensor<16xf32>)
  // expected-error @below {{normalizes a value with statistics computed from its own data in evaluation function '@runTest'}}
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Data from an opaque loader: the call result is the shared source.

func.func private @load_split() -> tensor<100x8xf32>

func.func @inference() -> tensor<100x8xf32> {
  %d = call @load_split() : () -> tensor<100x8xf32>
  // expected-note @below {{statistics computed here}}
  %lo, %hi = norm.min_max %d axes = [0] : tensor<100x8xf32> -> tensor<8xf32>
  // expected-error @below {{normalizes a value with statistics computed from its own data}}
  %y = norm.min_max_scale %d, %lo, %hi axes = [0] range_min = -1.0 : tensor<100x8xf32>, tensor<8xf32>
  return %y : tensor<100x8xf32>
}

// A different loader call is a different source: no leak.
func.func @infer_other() -> tensor<100x8xf32> {
  %train = call @load_split() : () -> tensor<100x8xf32>
  %test = call @load_split() : () -> tensor<100x8xf32>
  %lo, %hi = norm.min_max %train axes = [0] : tensor<100x8xf32> -> tensor<8xf32>
  %y = norm.min_max_scale %test, %lo, %hi axes = [0] : tensor<100x8xf32>, tensor<8xf32>
  return %y : tensor<100x8xf32>
}

// -----

// Per-channel image statistics of the image being normalized.

func.func @eval_images(%img: tensor<8x3x32x32xf32>) -> tensor<8x3x32x32xf32> {
  // expected-note @below {{statistics computed here}}
  %m, %s = norm.moments %img axes = [0, 2, 3] : tensor<8x3x32x32xf32> -> tensor<3xf32>
  // expected-error @below {{normalizes a value with statistics computed from its own data}}
  %y = norm.image_normalize %img, %m, %s : tensor<8x3x32x32xf32>, tensor<3xf32> -> tensor<8x3x32x32xf32>
  return %y : tensor<8x3x32x32xf32>
}

// Constant (e.g. ImageNet) statistics are fine.
func.func @eval_images_const(%img: tensor<8x224x224x3xui8>) -> tensor<8x224x224x3xf32> {
  %m = arith.constant dense<[0.485, 0.456, 0.406]> : tensor<3xf32>
  %s = arith.constant dense<[0.229, 0.224, 0.225]> : tensor<3xf32>
  %y = norm.image_normalize %img, %m, %s layout = nhwc scale = 0.00392156862745098 : tensor<8x224x224x3xui8>, tensor<3xf32> -> tensor<8x224x224x3xf32>
  return %y : tensor<8x224x224x3xf32>
}

// -----

// A leak carried through a loop.

func.func @evaluation_loop(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %x) -> (tensor<4x16xf32>) {
    // expected-note @below {{statistics computed here}}
    %m, %s = norm.moments %acc axes = [0] : tensor<4x16xf32> -> tensor<16xf32>
    // expected-error @below {{normalizes a value with statistics computed from its own data}}
    %y = norm.standardize %acc, %m, %s axes = [0] : tensor<4x16xf32>, tensor<16xf32>
    scf.yield %y : tensor<4x16xf32>
  }
  return %r : tensor<4x16xf32>
}

// -----

// Names that only look like evaluation names, and norm.train overriding the
// name: not evaluation functions.

func.func @interval(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %m, %s = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

func.func @test_fit(%x: tensor<?x16xf32>) -> tensor<?x16xf32> attributes {norm.train} {
  %m, %s = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}
