//===- RaiseGraph.h - Expression graphs of decomposed tensor code -*- C++
//-*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// The raising pass sees a normalization as frontends decompose it: a DAG of
// elementwise linalg ops, reductions, reshapes and broadcasts. An
// ExprGraph inlines that DAG, from a root tensor value, into one scalar
// expression per iteration space: the root's space and one per reduction.
// Its leaves (variables) are tensor reads, each with the affine map from its
// space to the indices it reads, and reduction results.
//
// What a graph computes is then checked in two independent parts:
//  * the scalar part, by evaluating the expressions in double precision with
//    the variables bound to sample values (ScalarEvaluator);
//  * the index part, by evaluating the affine maps at sample points of each
//    space and enumerating the elements each reduction sums.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_DIALECT_NORM_TRANSFORMS_RAISEGRAPH_H
#define NORM_LIB_DIALECT_NORM_TRANSFORMS_RAISEGRAPH_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"
#include "llvm/ADT/SetVector.h"

#include <deque>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

namespace mlir::norm::raise {

/// The sizes of the tensors of a graph. Static sizes are the types'; a
/// dynamic size is evaluated from the function's arguments, whose dynamic
/// dimensions are bound to probe sizes (distinct per argument dimension),
/// through `tensor.dim`, `tensor.empty`, reshapes, slices, destination
/// operands and index arithmetic. The graph is then built, sampled and
/// enumerated as if the tensors had those sizes. Two bindings (`variant` 0
/// and 1) use different probe sizes: a match found with one is checked with
/// the other, so that it does not depend on them.
class ShapeBinding {
public:
  explicit ShapeBinding(unsigned variant = 0) : variant(variant) {}

  /// The sizes of the ranked tensor `value`, or nullopt when a dynamic one
  /// cannot be evaluated.
  std::optional<SmallVector<int64_t>> getShape(Value value) const;
  /// The loop ranges of `op`, from the sizes of its operands.
  std::optional<SmallVector<int64_t>> getLoopRanges(linalg::LinalgOp op) const;
  /// The value of the index (or integer) `value`, when it is computed from
  /// constants and sizes.
  std::optional<int64_t> getIndex(Value value) const;
  /// Whether some dynamic size was bound to a probe size.
  bool bindsDynamicSizes() const { return !argumentSizes.empty(); }

private:
  std::optional<SmallVector<int64_t>> computeShape(Value value) const;
  std::optional<int64_t> computeIndex(Value value) const;
  std::optional<SmallVector<int64_t>>
  evaluateSizes(ArrayRef<OpFoldResult> sizes) const;

  unsigned variant;
  mutable DenseMap<std::pair<Value, unsigned>, int64_t> argumentSizes;
  mutable DenseMap<Value, std::optional<SmallVector<int64_t>>> shapes;
  mutable DenseMap<Value, std::optional<int64_t>> indices;
};

/// A node of a scalar expression.
struct Node {
  enum class Kind { Variable, Constant, Op };
  Kind kind = Kind::Constant;
  double constant = 0.0;
  unsigned variable = 0;
  /// The payload op applied to `operands` (Kind::Op).
  Operation *op = nullptr;
  SmallVector<Node *> operands;
};

/// How a reduction combines its elements.
enum class ReductionKind { Sum, Max };

/// A leaf of a graph: a read of `value` at `map(point)` for the points of
/// iteration space `space`, or (when `reduction` >= 0) the result of a
/// reduction of the graph read that way.
struct Variable {
  Value value;
  AffineMap map;
  unsigned space = 0;
  int reduction = -1;
  /// The sizes of `value` (ShapeBinding), when known.
  std::optional<SmallVector<int64_t>> shape;
};

/// A reduction of the graph: result `result` of `op` combines, with `kind`,
/// `summand` over the reduced loops of iteration space `space`.
///
/// A reduction of a reduction (TOSA reduces one axis at a time: a sum over
/// axis 2 of a sum over axis 1) is merged into one: its space is the outer
/// op's loops followed by the inner one's reduced loops, and its summand the
/// inner summand (scaled by the outer op's linear function of it). Then
/// `op` is the outer op and `inner` the innermost one.
struct Reduction {
  mutable linalg::LinalgOp op;
  unsigned result = 0;
  ReductionKind kind = ReductionKind::Sum;
  /// The iteration space (a space of the graph): `op`'s loops, or those of a
  /// merged reduction.
  unsigned space = 0;
  Node *summand = nullptr;
  /// The map from `space` to the indices of the result (`op`'s result
  /// indexing map, extended to a merged space).
  AffineMap outMap;
  /// Per loop of `space`: whether it is reduced.
  SmallVector<bool> reduced;
  /// The innermost reduction op (the one that reads the reduced tensor):
  /// `op` unless merged.
  mutable linalg::LinalgOp inner;
};

/// An iteration space: loop bounds (static, or the probe sizes of a
/// ShapeBinding).
struct Space {
  SmallVector<int64_t> shape;
  /// Sample points (every point when the space is small).
  SmallVector<SmallVector<int64_t>> samples;
};

/// The expression graph of a root tensor value.
class ExprGraph {
public:
  /// Builds the graph of `root`, a tensor with sizes as `shapes` says.
  /// Values in `barriers`, values of unknown ops and values whose sizes are
  /// not known are leaves. Fails when the graph gets too large. `shapes` is
  /// used while building only.
  static std::optional<ExprGraph> build(Value root, const ShapeBinding &shapes,
                                        ArrayRef<Value> barriers = {});

  Node *getRoot() const { return root; }
  ArrayRef<Variable> getVariables() const { return variables; }
  ArrayRef<Reduction> getReductions() const { return reductions; }
  ArrayRef<Space> getSpaces() const { return spaces; }
  /// The ops inlined into the graph (elementwise ops, reductions, reshapes),
  /// the root's defining op included.
  ArrayRef<Operation *> getOps() const { return ops.getArrayRef(); }

  /// Evaluates `node` with the variables bound to `values`.
  static std::optional<double> evaluate(Node *node, ArrayRef<double> values);

  /// The variables that `node` (transitively) reads.
  static void collectVariables(Node *node, llvm::SetVector<unsigned> &out);

  /// The indices of the elements of the reduced operand (the value of
  /// variable `operandVar`, read in the reduction's space) that reduction
  /// `reduction` combines into its result element `resultIndex`, as
  /// row-major linear indices, sorted. Nullopt when the enumeration would be
  /// too large.
  std::optional<SmallVector<int64_t>>
  getReducedElements(unsigned reduction, unsigned operandVar,
                     ArrayRef<int64_t> resultIndex) const;

private:
  std::optional<SmallVector<int64_t>>
  computeReducedElements(unsigned reduction, unsigned operandVar,
                         ArrayRef<int64_t> resultIndex) const;
  Node *buildTensor(Value value, AffineMap map, unsigned space, int depth);
  Node *buildTensorImpl(Value value, AffineMap map, unsigned space, int depth);
  Node *buildPayload(linalg::LinalgOp op, Value scalar, AffineMap iterMap,
                     unsigned space, int depth, DenseMap<Value, Node *> &memo);
  Node *buildReduction(linalg::LinalgOp op, unsigned result, AffineMap map,
                       unsigned space, int depth);
  Node *variable(Value value, AffineMap map, unsigned space,
                 int reduction = -1);
  /// A reduction whose summand is a linear function of one other reduction
  /// of the same kind, merged with it (see Reduction); nullptr otherwise.
  Node *mergeNested(linalg::LinalgOp op, unsigned result, ReductionKind kind,
                    AffineMap outMap, ArrayRef<bool> reduced,
                    unsigned reductionSpace, Node *summand, AffineMap map,
                    unsigned space);
  /// `node` (of some space) rebuilt in space `to`, its variables' maps
  /// composed with `phi` (from `to` to the node's space); variable
  /// `substituted` replaced by `replacement` when given.
  Node *transport(Node *node, AffineMap phi, unsigned to,
                  std::optional<unsigned> substituted, Node *replacement,
                  DenseMap<Node *, Node *> &memo);
  /// Drops the variables and reductions that the root does not read
  /// (reductions merged into others), renumbering the rest.
  void prune();
  Node *newNode(Node::Kind kind);
  unsigned addSpace(ArrayRef<int64_t> shape);

  Node *root = nullptr;
  std::deque<Node> nodes;
  SmallVector<Variable> variables;
  SmallVector<Reduction> reductions;
  SmallVector<Space> spaces;
  DenseMap<std::pair<Operation *, unsigned>, unsigned> reductionIndex;
  llvm::SetVector<Operation *> ops;
  DenseSet<Value> barriers;
  DenseMap<std::tuple<Value, AffineMap, unsigned>, Node *> tensorMemo;
  /// The sizes while building (null afterwards).
  const ShapeBinding *shapes = nullptr;
  /// getReducedElements' answers (many sample points share a result index).
  mutable std::map<
      std::pair<std::pair<unsigned, unsigned>, std::vector<int64_t>>,
      std::optional<SmallVector<int64_t>>>
      reducedCache;
};

/// `map` evaluated at `point` (no symbols): `map.compose(point)` without
/// building affine expressions, which the sampling and enumeration do
/// millions of times.
SmallVector<int64_t> evalMap(AffineMap map, ArrayRef<int64_t> point);

/// Whether `lhs` and `rhs` (maps from space `space`) agree at every sample
/// point of the space.
bool mapsAgree(const Space &space, AffineMap lhs, AffineMap rhs);

/// The map from the indices of a reshaped tensor of shape `to` to the
/// indices of the tensor of shape `from` with the same row-major layout.
AffineMap getReshapeMap(ArrayRef<int64_t> from, ArrayRef<int64_t> to,
                        MLIRContext *context);

} // namespace mlir::norm::raise

#endif // NORM_LIB_DIALECT_NORM_TRANSFORMS_RAISEGRAPH_H
