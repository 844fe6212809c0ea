//===- CheckLeakage.cpp - Report statistics fitted on evaluation data -----===//
//
// Part of norm-mlir. The norm-check-leakage analysis: in evaluation
// functions, reports data normalizations whose statistics were fitted on the
// data being normalized, and statistics fitted on evaluation inputs. See the
// pass description in Passes.td for the exact rules. The analysis itself,
// reportLeaks (CheckLeakage.h), is shared with norm-lint.
//
//===----------------------------------------------------------------------===//

#include "CheckLeakage.h"

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ShapedOpInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCHECKLEAKAGEPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The function attribute marking an evaluation path.
static constexpr StringLiteral kEvalAttrName = "norm.eval";
/// The function attribute marking a training path, and the argument
/// attribute marking training data.
static constexpr StringLiteral kTrainAttrName = "norm.train";

/// Whether the symbol name `name` contains an evaluation word: the maximal
/// runs of letters, also split at lower-to-upper case changes, compared
/// case-insensitively.
static bool hasEvaluationWord(StringRef name) {
  static const llvm::StringSet<> words = {
      "eval",       "evaluate",   "evaluation", "val",     "valid",
      "validate",   "validation", "test",       "testing", "predict",
      "prediction", "infer",      "inference"};
  std::string word;
  auto flush = [&]() {
    bool found = words.contains(word);
    word.clear();
    return found;
  };
  char previous = 0;
  for (char c : name) {
    if (!llvm::isAlpha(c)) {
      if (flush())
        return true;
    } else {
      if (llvm::isUpper(c) && previous && llvm::isLower(previous) && flush())
        return true;
      word.push_back(llvm::toLower(c));
    }
    previous = c;
  }
  return flush();
}

bool mlir::norm::isEvaluationFunction(FunctionOpInterface func) {
  if (func->hasAttr(kEvalAttrName))
    return true;
  if (func->hasAttr(kTrainAttrName))
    return false;
  return hasEvaluationWord(SymbolTable::getSymbolName(func).getValue());
}

/// Whether `value` is a constant tensor whose elements are all equal (it
/// carries no samples).
static bool isSplatConstant(Value value) {
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return false;
  auto elements = dyn_cast<ElementsAttr>(attr);
  return !elements || elements.isSplat();
}

namespace {
/// Traces data sources and statistics ops backwards within one module.
class LeakageTracer {
public:
  /// The callee of `op` if it is a call to a function of the module with a
  /// body, else null.
  FunctionOpInterface getCallee(Operation *op) {
    auto call = dyn_cast<CallOpInterface>(op);
    if (!call)
      return {};
    auto callee = dyn_cast_or_null<FunctionOpInterface>(
        call.resolveCallableInTable(&symbolTables));
    if (!callee || callee.isExternal())
      return {};
    return callee;
  }

  /// Whether `func` computes statistics, directly or through calls.
  bool computesStatistics(FunctionOpInterface func) {
    auto [it, inserted] = fitsCache.try_emplace(func, false);
    if (!inserted)
      return it->second;
    bool fits = func->walk([&](Operation *op) {
                      return isStatisticsOp(op) ? WalkResult::interrupt()
                                                : WalkResult::advance();
                    })
                    .wasInterrupted();
    fitsCache[func] = fits;
    return fits;
  }

  /// Whether `op` fits statistics: norm.moments, norm.min_max or a call to
  /// a function that computes statistics.
  bool isStatisticsOp(Operation *op) {
    if (isa<MomentsOp, MinMaxOp>(op))
      return true;
    FunctionOpInterface callee = getCallee(op);
    return callee && computesStatistics(callee);
  }

  /// The data a statistics op is fitted on.
  static SmallVector<Value> getFittedValues(Operation *op) {
    if (auto moments = dyn_cast<MomentsOp>(op))
      return {moments.getInput()};
    if (auto minMax = dyn_cast<MinMaxOp>(op))
      return {minMax.getInput()};
    if (auto call = dyn_cast<CallOpInterface>(op))
      return llvm::to_vector(call.getArgOperands());
    return {};
  }

  /// Walks the def-use chains of `values` backwards. Collects in `roots` the
  /// data sources (see the pass description) and, when `statistics` is
  /// given, stops at statistics ops and collects them there instead of
  /// walking through them.
  void trace(ValueRange values, SetVector<Value> &roots,
             SetVector<Operation *> *statistics = nullptr) {
    SmallVector<Value> worklist(values.begin(), values.end());
    llvm::SmallPtrSet<Value, 16> visited;
    auto isData = [](Value value) {
      return isa<TensorType, BaseMemRefType>(value.getType());
    };
    auto pushOpInputs = [&](Operation *op) {
      llvm::append_range(worklist, op->getOperands());
      SetVector<Value> captured;
      getUsedValuesDefinedAbove(op->getRegions(), captured);
      llvm::append_range(worklist, captured);
    };
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      if (!visited.insert(value).second)
        continue;
      if (auto arg = dyn_cast<BlockArgument>(value)) {
        Block *block = arg.getOwner();
        Operation *parent = block->getParentOp();
        // Arguments of the function, or of its other CFG blocks: roots.
        if (!parent || isa<FunctionOpInterface>(parent)) {
          if (isData(value))
            roots.insert(value);
          continue;
        }
        // A region argument of a nested op derives from that op's inputs.
        pushOpInputs(parent);
        continue;
      }
      Operation *op = value.getDefiningOp();
      if (statistics && isStatisticsOp(op)) {
        statistics->insert(op);
        continue;
      }
      // Shapes and fresh tensors carry no data.
      if (isa<tensor::EmptyOp, ShapedDimOpInterface>(op))
        continue;
      if (op->getNumOperands() == 0 && op->getNumRegions() == 0) {
        if (isData(value) && !isSplatConstant(value))
          roots.insert(value);
        continue;
      }
      pushOpInputs(op);
    }
  }

private:
  SymbolTableCollection symbolTables;
  DenseMap<Operation *, bool> fitsCache;
};

} // namespace

/// Removes the arguments marked `norm.train` of `func` from `roots`.
static void dropTrainingArguments(FunctionOpInterface func,
                                  SetVector<Value> &roots) {
  roots.remove_if([&](Value root) {
    auto arg = dyn_cast<BlockArgument>(root);
    return arg && arg.getOwner()->isEntryBlock() &&
           arg.getOwner()->getParentOp() == func &&
           func.getArgAttr(arg.getArgNumber(), kTrainAttrName);
  });
}

/// Reports the leaks of the evaluation function `func` through `report`;
/// returns their number.
static unsigned
checkFunction(FunctionOpInterface func, LeakageTracer &tracer,
              llvm::function_ref<InFlightDiagnostic(Operation *)> report) {
  StringRef name = SymbolTable::getSymbolName(func).getValue();
  unsigned found = 0;
  llvm::SmallPtrSet<Operation *, 8> reported;

  // Normalizations with statistics of their own data.
  func->walk([&](Operation *op) {
    Value input;
    SmallVector<Value, 2> stats;
    if (auto standardize = dyn_cast<StandardizeOp>(op)) {
      input = standardize.getInput();
      stats = {standardize.getMean(), standardize.getStd()};
    } else if (auto scale = dyn_cast<MinMaxScaleOp>(op)) {
      input = scale.getInput();
      stats = {scale.getMin(), scale.getMax()};
    } else if (auto image = dyn_cast<ImageNormalizeOp>(op)) {
      input = image.getInput();
      stats = {image.getMean(), image.getStd()};
    } else {
      return;
    }
    SetVector<Value> unused;
    SetVector<Operation *> fits;
    tracer.trace(stats, unused, &fits);
    if (fits.empty())
      return;
    SetVector<Value> inputRoots;
    tracer.trace(input, inputRoots);
    dropTrainingArguments(func, inputRoots);
    for (Operation *fit : fits) {
      SetVector<Value> fitRoots;
      tracer.trace(LeakageTracer::getFittedValues(fit), fitRoots);
      if (!llvm::any_of(fitRoots,
                        [&](Value root) { return inputRoots.contains(root); }))
        continue;
      InFlightDiagnostic diag = report(op);
      diag << "normalizes a value with statistics computed from its own "
              "data in evaluation function '@"
           << name
           << "'; fit the statistics on the training split and pass them in";
      diag.attachNote(fit->getLoc())
          << (isa<MomentsOp, MinMaxOp>(fit) ? "statistics computed here"
                                            : "statistics computed by this "
                                              "call");
      reported.insert(fit);
      ++found;
      break;
    }
  });

  // Statistics fitted on the evaluation function's own inputs.
  func->walk([&](Operation *op) {
    if (reported.contains(op) || !tracer.isStatisticsOp(op))
      return;
    SetVector<Value> roots;
    tracer.trace(LeakageTracer::getFittedValues(op), roots);
    dropTrainingArguments(func, roots);
    for (Value root : roots) {
      auto arg = dyn_cast<BlockArgument>(root);
      if (!arg || !arg.getOwner()->isEntryBlock() ||
          arg.getOwner()->getParentOp() != func)
        continue;
      report(op) << "fits statistics on argument #" << arg.getArgNumber()
                 << " of evaluation function '@" << name
                 << "'; fit on the training split and pass the statistics "
                    "in, or mark the argument as training data with "
                    "{norm.train}";
      ++found;
      return;
    }
  });
  return found;
}

unsigned mlir::norm::reportLeaks(
    Operation *root,
    llvm::function_ref<InFlightDiagnostic(Operation *)> report) {
  LeakageTracer tracer;
  unsigned found = 0;
  root->walk([&](FunctionOpInterface func) {
    if (!func.isExternal() && isEvaluationFunction(func))
      found += checkFunction(func, tracer, report);
  });
  return found;
}

namespace {
struct NormCheckLeakagePass
    : norm::impl::NormCheckLeakagePassBase<NormCheckLeakagePass> {
  using Base::Base;

  void runOnOperation() override {
    unsigned found =
        reportLeaks(getOperation(), [&](Operation *op) -> InFlightDiagnostic {
          return warnOnly ? op->emitWarning() : op->emitError();
        });
    numLeaks += found;
    markAllAnalysesPreserved();
    if (found && !warnOnly)
      signalPassFailure();
  }
};
} // namespace
