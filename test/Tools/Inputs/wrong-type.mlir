func.func @f(%x: tensor<4x8xi32>) -> tensor<4x8xi32> {
  %y = norm.rms_norm %x axes = [1] : tensor<4x8xi32>
  return %y : tensor<4x8xi32>
}
