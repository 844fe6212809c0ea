// Inference graphs with constant weights, the example of docs/fusion.md:
// what the fusion passes remove, measured by norm-fusion-report.
//
//   norm-opt examples/inference_fusion.mlir --convert-norm-to-linalg \
//       --canonicalize --norm-fusion-report -o /dev/null
//   norm-opt examples/inference_fusion.mlir --norm-fuse-residual \
//       --norm-fuse-bias --norm-fuse-activation --norm-fold-into-linear \
//       --norm-flash-norm --convert-norm-to-linalg --canonicalize \
//       --norm-fusion-report -o /dev/null
//
// @conv_bn_relu: a ResNet stem, conv -> batch_norm -> relu (as a separate
// linalg.generic): the ReLU moves into the batch norm, and the batch norm
// into the convolution's weights and bias.
// @prenorm_projection: x -> RMSNorm -> x @ W_qkv: FlashNorm folds the norm
// weight into W_qkv and scales the rows after the matmul.

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

func.func @conv_bn_relu(%image: tensor<1x3x32x32xf32>) -> tensor<1x8x30x30xf32> {
  %filter = arith.constant dense<0.125> : tensor<8x3x3x3xf32>
  %mean = arith.constant dense<[0.1, -0.2, 0.3, 0.0, 0.5, -0.1, 0.2, 0.4]> : tensor<8xf32>
  %var = arith.constant dense<[1.0, 0.5, 2.0, 1.5, 0.8, 1.2, 0.9, 1.1]> : tensor<8xf32>
  %gamma = arith.constant dense<[1.0, 0.9, 1.1, 1.2, 0.8, 1.0, 1.3, 0.7]> : tensor<8xf32>
  %beta = arith.constant dense<[0.0, 0.1, -0.1, 0.2, 0.0, 0.3, -0.2, 0.1]> : tensor<8xf32>
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<1x8x30x30xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<1x8x30x30xf32>) -> tensor<1x8x30x30xf32>
  %conv = linalg.conv_2d_nchw_fchw
      {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%image, %filter : tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>)
      outs(%acc : tensor<1x8x30x30xf32>) -> tensor<1x8x30x30xf32>
  %bn = norm.batch_norm_inference %conv mean(%mean : tensor<8xf32>)
      var(%var : tensor<8xf32>) weight(%gamma : tensor<8xf32>)
      bias(%beta : tensor<8xf32>) : tensor<1x8x30x30xf32>
  %relu = linalg.generic {indexing_maps = [#id4, #id4],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%bn : tensor<1x8x30x30xf32>) outs(%init : tensor<1x8x30x30xf32>) {
  ^bb0(%v: f32, %unused: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x8x30x30xf32>
  return %relu : tensor<1x8x30x30xf32>
}

func.func @prenorm_projection(%x: tensor<64x256xf32>) -> tensor<64x768xf32> {
  %w_norm = arith.constant dense<1.5> : tensor<256xf32>
  %w_qkv = arith.constant dense<0.01> : tensor<256x768xf32>
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<64x768xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<64x768xf32>) -> tensor<64x768xf32>
  %n = norm.rms_norm %x weight(%w_norm : tensor<256xf32>) axes = [1] : tensor<64x256xf32>
  %qkv = linalg.matmul ins(%n, %w_qkv : tensor<64x256xf32>, tensor<256x768xf32>)
      outs(%acc : tensor<64x768xf32>) -> tensor<64x768xf32>
  return %qkv : tensor<64x768xf32>
}
