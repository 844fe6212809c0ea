// Two blocks written with norm ops, the bundled example of norm-mlir
// (README: `bash scripts/run-example.sh`).
//
//   norm-opt examples/transformer_block.mlir                 # verify, print
//   norm-opt examples/transformer_block.mlir --norm-lower-to-cpu
//   python3 examples/run_example.py      # compile, run, check against numpy
//
// @mlp_block: the MLP half of a pre-norm (Llama-style) transformer layer.
//   h   = x + attn                      (residual stream)
//   n   = rms_norm(h) * w_norm          (one op: residual add + RMSNorm)
//   out = h + silu(n @ w_up) @ w_down
//
// @conv_block: a ResNet stem, conv -> batch_norm (inference) -> relu, the
// ReLU fused into the normalization.

func.func @mlp_block(%x: tensor<16x64xf32>, %attn: tensor<16x64xf32>,
                     %w_norm: tensor<64xf32>, %w_up: tensor<64x256xf32>,
                     %w_down: tensor<256x64xf32>) -> tensor<16x64xf32>
    attributes {llvm.emit_c_interface} {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32

  // Residual add and RMSNorm in one op; %h is the residual stream.
  %n, %h = norm.rms_norm %attn weight(%w_norm : tensor<64xf32>)
      residual(%x : tensor<16x64xf32>) axes = [1] epsilon = 1.0e-05
      : tensor<16x64xf32> residual_sum(tensor<16x64xf32>)

  // Up projection and SiLU.
  %up_init = tensor.empty() : tensor<16x256xf32>
  %up_zero = linalg.fill ins(%zero : f32) outs(%up_init : tensor<16x256xf32>) -> tensor<16x256xf32>
  %up = linalg.matmul ins(%n, %w_up : tensor<16x64xf32>, tensor<64x256xf32>)
                      outs(%up_zero : tensor<16x256xf32>) -> tensor<16x256xf32>
  %act = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%up : tensor<16x256xf32>) outs(%up_init : tensor<16x256xf32>) {
  ^bb0(%v: f32, %unused: f32):
    %neg = arith.negf %v : f32
    %exp = math.exp %neg : f32
    %den = arith.addf %one, %exp : f32
    %silu = arith.divf %v, %den : f32
    linalg.yield %silu : f32
  } -> tensor<16x256xf32>

  // Down projection accumulated onto the residual stream.
  %out = linalg.matmul ins(%act, %w_down : tensor<16x256xf32>, tensor<256x64xf32>)
                       outs(%h : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %out : tensor<16x64xf32>
}

func.func @conv_block(%image: tensor<1x3x16x16xf32>, %filter: tensor<8x3x3x3xf32>,
                      %mean: tensor<8xf32>, %var: tensor<8xf32>,
                      %gamma: tensor<8xf32>, %beta: tensor<8xf32>)
    -> tensor<1x8x14x14xf32> attributes {llvm.emit_c_interface} {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<1x8x14x14xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<1x8x14x14xf32>) -> tensor<1x8x14x14xf32>
  %conv = linalg.conv_2d_nchw_fchw
      {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%image, %filter : tensor<1x3x16x16xf32>, tensor<8x3x3x3xf32>)
      outs(%acc : tensor<1x8x14x14xf32>) -> tensor<1x8x14x14xf32>
  %y = norm.batch_norm_inference %conv mean(%mean : tensor<8xf32>)
      var(%var : tensor<8xf32>) weight(%gamma : tensor<8xf32>)
      bias(%beta : tensor<8xf32>) activation = relu : tensor<1x8x14x14xf32>
  return %y : tensor<1x8x14x14xf32>
}
