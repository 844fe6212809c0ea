func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = norm.rms_norm %x axes = [1] epsilon = "tiny" : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
