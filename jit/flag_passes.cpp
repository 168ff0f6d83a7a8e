#include "jit/flag_passes.h"

#include <llvm/Analysis/ValueTracking.h>
#include <llvm/IR/Dominators.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/PatternMatch.h>
#include <llvm/Transforms/Utils/BasicBlockUtils.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

namespace rr86::jit {
namespace {

// Bits each 32-bit (or narrower) integer value of a function may have set, from constants,
// masks, shifts, extensions and phis (all bits when unknown). Solved as a fixpoint over the
// whole function, starting from "no bits" and adding what each instruction's operands may set,
// so a value that goes round a loop (EFLAGS at a loop's head) is known as well as the values
// that enter and leave it. Instructions added later count as unknown; operands later replaced
// by 0 only make values smaller, so the answers stay safe.
class MaybeBits {
  public:
    explicit MaybeBits(llvm::Function& fn) {
        std::vector<const llvm::Instruction*> work;
        for (llvm::BasicBlock& bb : fn)
            for (llvm::Instruction& in : bb)
                if (in.getType()->isIntegerTy() && in.getType()->getIntegerBitWidth() <= 32) {
                    bits_[&in] = 0;
                    work.push_back(&in);
                }
        while (!work.empty()) {
            const llvm::Instruction* in = work.back();
            work.pop_back();
            uint32_t& known = bits_[in];
            uint32_t now = known | transfer(*in);
            if (now == known) continue;
            known = now;
            for (const llvm::User* u : in->users())
                if (auto* ui = llvm::dyn_cast<llvm::Instruction>(u); ui && bits_.count(ui))
                    work.push_back(ui);
        }
    }

    uint32_t operator()(const llvm::Value* v) const {
        if (auto* c = llvm::dyn_cast<llvm::ConstantInt>(v)) return uint32_t(c->getZExtValue());
        if (auto it = bits_.find(v); it != bits_.end()) return it->second;
        return ~0u;
    }

  private:
    uint32_t transfer(const llvm::Instruction& in) const {
        auto op = [&](unsigned i) { return (*this)(in.getOperand(i)); };
        auto shift = [&]() -> std::optional<unsigned> {
            auto* c = llvm::dyn_cast<llvm::ConstantInt>(in.getOperand(1));
            if (!c || c->getZExtValue() >= 32) return std::nullopt;
            return unsigned(c->getZExtValue());
        };
        unsigned width = in.getType()->getIntegerBitWidth();
        uint32_t r = ~0u;
        switch (in.getOpcode()) {
        case llvm::Instruction::And: r = op(0) & op(1); break;
        case llvm::Instruction::Or:
        case llvm::Instruction::Xor: r = op(0) | op(1); break;
        case llvm::Instruction::Select: r = op(1) | op(2); break;
        case llvm::Instruction::PHI:
            r = 0;
            for (const llvm::Value* v : llvm::cast<llvm::PHINode>(in).incoming_values())
                r |= (*this)(v);
            break;
        case llvm::Instruction::ZExt:
        case llvm::Instruction::Trunc:
            if (in.getOperand(0)->getType()->getIntegerBitWidth() <= 32) r = op(0);
            break;
        case llvm::Instruction::Shl:
            if (auto k = shift()) r = op(0) << *k;
            break;
        case llvm::Instruction::LShr:
            if (auto k = shift(); k && width == 32) r = op(0) >> *k;
            break;
        default: break;
        }
        return width < 32 ? r & uint32_t((1ull << width) - 1) : r;
    }

    std::unordered_map<const llvm::Value*, uint32_t> bits_;
};

// Dead-flag elimination. Each flag-setting instruction computes all six arithmetic flags and
// merges them into EFLAGS; once a block's instructions are inlined, the next one's merge masks
// most of them out again (`(old & ~ARITH) | new`), but the trees are deeper than InstCombine's
// known-bits search (6 levels), so PF's population count and the rest survive. This walks each
// `and X, C` through single-use OR/XOR trees and zeroes operands that can only hold bits C clears;
// InstCombine then drops what they computed.
class FlagPruner {
  public:
    explicit FlagPruner(llvm::Function& fn) : fn_(fn), maybe(fn) {}
    void run() {
        for (llvm::BasicBlock& bb : fn_)
            for (llvm::Instruction& in : bb)
                if (in.getOpcode() == llvm::Instruction::And && in.getType()->isIntegerTy(32))
                    if (auto* c = llvm::dyn_cast<llvm::ConstantInt>(in.getOperand(1)))
                        prune(in.getOperand(0), uint32_t(c->getZExtValue()));
    }

  private:
    void prune(llvm::Value* v, uint32_t demanded) {
        auto* in = llvm::dyn_cast<llvm::BinaryOperator>(v);
        if (!in || !in->hasOneUse() || !in->getType()->isIntegerTy(32)) return;
        if (in->getOpcode() != llvm::Instruction::Or && in->getOpcode() != llvm::Instruction::Xor)
            return;
        for (unsigned i = 0; i < 2; ++i) {
            llvm::Value* op = in->getOperand(i);
            if (llvm::isa<llvm::Constant>(op)) continue;
            if ((maybe(op) & demanded) == 0) {
                in->setOperand(i, llvm::ConstantInt::get(in->getType(), 0));
                if (auto* d = llvm::dyn_cast<llvm::Instruction>(op)) d->dropPoisonGeneratingFlags();
                in->dropPoisonGeneratingFlags(); // `or disjoint` may no longer hold
            } else {
                prune(op, demanded);
            }
        }
    }
    llvm::Function& fn_;
    MaybeBits maybe;
};

// Loop-carried flags, rebuilt where they are read. In a hot loop such as
//     .l: mov eax, [esi] ... add esi, 4 / dec ecx / jnz .l
// EFLAGS at the loop's head is a phi whose back-edge value B, DEC's flags merged into the
// previous ones, is read in the next iteration only by the side exits (a TLB miss at the load
// returns to the interpreter with the guest's EFLAGS), yet it is computed every iteration. When
// B is `(P & K) | R`, P being the head's phi, R independent of P and without bits in K (each
// merge on the way keeps some of P's bits and replaces the others), the bits in K never change
// while the code keeps coming back through B's edges: P is `(P0 & K) | R_prev` after the first
// time, P0 being the value it had when it came in another way. So this pass
//  - adds phis at the head for P0, for `first` (false on the edges carrying B) and for the
//    previous values of the few inputs R is computed from (reusing a head phi that carries one,
//    or undoing the step of a head phi that moves by a constant: ECX + 1 for DEC ECX);
//  - makes each read of P that only keeps bits that cannot change (`P & C`: the next flag
//    merge) read P0 instead, which the loop does not change;
//  - and rebuilds `first ? P0 : B(P0, previous inputs)` before every other read (on a cold exit
//    path, not in the loop).
// B is then read only where the loop is left, and sinking moves it there. No LoopInfo: a
// region's head is the head of every member's way back, so its loops share one header; the
// "loop" here is whatever the edges carrying B close, which dominance describes.
class LoopFlagDeferral {
  public:
    explicit LoopFlagDeferral(llvm::Function& fn) : fn_(fn), dt_(fn), maybe_(fn) {}

    void run() {
        for (llvm::BasicBlock& head : fn_) {
            llvm::SmallVector<llvm::PHINode*, 16> phis;
            for (llvm::PHINode& p : head.phis())
                if (p.getType()->isIntegerTy(32)) phis.push_back(&p);
            for (llvm::PHINode* p : phis)
                defer(*p);
        }
    }

  private:
    static constexpr unsigned kMaxNewInputs = 3; // phis carrying R's inputs: register pressure
    static constexpr unsigned kMaxRebuilt = 64;  // instructions rebuilt at each read

    // Whether `v` is computed after the head `h` was entered (so, on a back edge, it is from the
    // iteration before).
    bool inside(const llvm::Value* v, const llvm::BasicBlock& h) {
        auto* in = llvm::dyn_cast<llvm::Instruction>(v);
        return in && dt_.dominates(&h, in->getParent());
    }

    // `v` as `(p & kept) | R`, R independent of p and disjoint from `kept`, if it is one.
    struct Merge {
        uint32_t kept;     // K
        uint32_t new_bits; // the bits R may have set
    };
    std::optional<Merge> as_merge(llvm::Value* v, llvm::PHINode& p, int depth = 0) {
        if (v == &p) return Merge{~0u, 0};
        auto* in = llvm::dyn_cast<llvm::BinaryOperator>(v);
        if (!in || depth > 48) return std::nullopt;
        auto* c = llvm::dyn_cast<llvm::ConstantInt>(in->getOperand(1));
        switch (in->getOpcode()) {
        case llvm::Instruction::And:
            if (!c) return std::nullopt;
            if (auto m = as_merge(in->getOperand(0), p, depth + 1)) {
                uint32_t mask = uint32_t(c->getZExtValue());
                return Merge{m->kept & mask, m->new_bits & mask};
            }
            return std::nullopt;
        case llvm::Instruction::Or:
        case llvm::Instruction::Xor:
            for (unsigned i = 0; i < 2; ++i) {
                llvm::Value* other = in->getOperand(1 - i);
                if (reads(other, p)) continue;
                if (auto m = as_merge(in->getOperand(i), p, depth + 1);
                    m && (maybe_(other) & m->kept) == 0)
                    return Merge{m->kept, m->new_bits | maybe_(other)};
            }
            return std::nullopt;
        default: return std::nullopt;
        }
    }

    // Whether `v` may depend on the head phi `p` as it was on this entry to the head. Other
    // phis of the head hold values from before it.
    bool reads(llvm::Value* v, llvm::PHINode& p) {
        const llvm::BasicBlock& head = *p.getParent();
        llvm::SmallVector<llvm::Value*, 16> work{v};
        llvm::SmallPtrSet<llvm::Value*, 32> seen;
        while (!work.empty()) {
            llvm::Value* x = work.pop_back_val();
            if (!inside(x, head) || !seen.insert(x).second) continue;
            if (x == &p) return true;
            if (llvm::isa<llvm::PHINode>(x) && llvm::cast<llvm::PHINode>(x)->getParent() == &head)
                continue;
            if (seen.size() > 256) return true;
            for (llvm::Value* op : llvm::cast<llvm::Instruction>(x)->operands())
                work.push_back(op);
        }
        return false;
    }

    // The edges into the head that carry `b` (its back edges, for this pass), and the head phis
    // that hold a value of the previous iteration (the same value on every one of those edges).
    struct Back {
        llvm::Value* b;
        llvm::SmallPtrSet<llvm::BasicBlock*, 4> from;
        std::unordered_map<const llvm::Value*, llvm::PHINode*> carriers;
        bool is(const llvm::PHINode& q, unsigned i) const {
            return from.count(q.getIncomingBlock(i));
        }
        llvm::PHINode* carrier(const llvm::Value* v) const {
            auto it = carriers.find(v);
            return it == carriers.end() ? nullptr : it->second;
        }
    };
    // What a head phi holds on every back edge, if it is one value.
    static llvm::Value* back_value(const llvm::PHINode& q, const Back& back) {
        llvm::Value* v = nullptr;
        for (unsigned i = 0; i < q.getNumIncomingValues(); ++i) {
            if (!back.is(q, i)) continue;
            if (v && v != q.getIncomingValue(i)) return nullptr;
            v = q.getIncomingValue(i);
        }
        return v;
    }

    // How B is rebuilt at a read: each value it reads is P0 (for p), itself (from before the
    // head), an input a head phi carries (preferred: it costs nothing), an instruction rebuilt
    // from its own inputs, or an input carried by a new phi. Operands of OR and XOR that can
    // only set bits a later mask clears are left out (read as 0): B's tree still holds the
    // flags of the iteration's every instruction, which the side exits needed.
    struct Plan {
        std::vector<llvm::Instruction*> rebuilt;                      // operands before users
        std::vector<llvm::Value*> new_inputs;                         // carried by new phis
        std::vector<std::pair<llvm::Value*, llvm::PHINode*>> carried; // by existing head phis
        std::vector<std::pair<llvm::PHINode*, llvm::BinaryOperator*>> undone; // (head phi, step)
        std::set<std::pair<llvm::Value*, unsigned>> zeros; // (rebuilt, operand) read as 0
        bool ok = true;
    };
    bool rebuildable(const llvm::Value* v, const llvm::PHINode& p, const Back& back) {
        auto* in = llvm::dyn_cast<llvm::Instruction>(v);
        if (!in || !inside(in, *p.getParent()) || llvm::isa<llvm::PHINode>(in)) return false;
        if (in != back.b && back.carrier(in)) return false;
        if (auto* call = llvm::dyn_cast<llvm::IntrinsicInst>(in))
            return !call->mayReadOrWriteMemory() && llvm::isSafeToSpeculativelyExecute(in);
        return (llvm::isa<llvm::BinaryOperator>(in) || llvm::isa<llvm::CmpInst>(in) ||
                llvm::isa<llvm::SelectInst>(in) || llvm::isa<llvm::CastInst>(in)) &&
               llvm::isSafeToSpeculativelyExecute(in);
    }
    Plan plan(llvm::PHINode& p, const Back& back) {
        Plan out;
        // The rebuildable instructions B reaches, users before operands, and the bits of each
        // that some user needs.
        std::vector<llvm::Instruction*> order;
        llvm::SmallPtrSet<llvm::Value*, 32> ordered;
        std::unordered_map<llvm::Value*, uint32_t> demanded{{back.b, ~0u}};
        std::function<void(llvm::Value*)> visit = [&](llvm::Value* v) {
            auto* in = llvm::cast<llvm::Instruction>(v);
            if (!ordered.insert(in).second) return;
            for (llvm::Value* op : in->operands())
                if (rebuildable(op, p, back) && order.size() < 4 * kMaxRebuilt) visit(op);
            order.push_back(in);
        };
        visit(back.b);
        for (auto it = order.rbegin(); it != order.rend(); ++it) {
            llvm::Instruction* in = *it;
            uint32_t d = demanded[in];
            auto* c = llvm::dyn_cast<llvm::ConstantInt>(in->getOperand(in->getNumOperands() - 1));
            for (unsigned k = 0; k < in->getNumOperands(); ++k) {
                llvm::Value* op = in->getOperand(k);
                uint32_t need = ~0u;
                if (in->getOpcode() == llvm::Instruction::And && c && k == 0)
                    need = d & uint32_t(c->getZExtValue());
                else if (in->getOpcode() == llvm::Instruction::Or ||
                         in->getOpcode() == llvm::Instruction::Xor)
                    need = d;
                if (in->getType()->isIntegerTy(32) && need != ~0u && (maybe_(op) & need) == 0)
                    out.zeros.insert({in, k});
                else
                    demanded[op] |= need;
            }
        }
        // What is left once the unneeded operands are zero.
        llvm::SmallPtrSet<llvm::Value*, 32> seen;
        std::function<void(llvm::Value*)> keep = [&](llvm::Value* v) {
            if (v == &p || !out.ok || !seen.insert(v).second) return;
            auto* in = llvm::dyn_cast<llvm::Instruction>(v);
            if (!in) return;
            if (!inside(in, *p.getParent())) {
                out.ok = dt_.dominates(in, p.getParent());
                return;
            }
            if (!ordered.count(in)) {
                if (llvm::PHINode* q = back.carrier(in))
                    out.carried.emplace_back(in, q);
                else if (llvm::BinaryOperator* step = invertible_step(in, p, back))
                    out.undone.emplace_back(llvm::cast<llvm::PHINode>(in), step);
                else
                    out.new_inputs.push_back(in);
                out.ok = out.new_inputs.size() <= kMaxNewInputs;
                return;
            }
            for (unsigned k = 0; k < in->getNumOperands(); ++k)
                if (!out.zeros.count({in, k})) keep(in->getOperand(k));
            out.rebuilt.push_back(in);
        };
        keep(back.b);
        out.ok = out.ok && out.rebuilt.size() <= kMaxRebuilt;
        return out;
    }

    // For a head phi `v` other than `p` that steps by a constant on every back edge (ESI += 4,
    // ECX -= 1), that step: the previous iteration's value is then the current one with the
    // step undone, and needs no phi (which would hold a second copy of a counter in a register).
    static llvm::BinaryOperator* invertible_step(llvm::Value* v, const llvm::PHINode& p,
                                                 const Back& back) {
        auto* q = llvm::dyn_cast<llvm::PHINode>(v);
        if (!q || q == &p || q->getParent() != p.getParent()) return nullptr;
        auto* step = llvm::dyn_cast_or_null<llvm::BinaryOperator>(back_value(*q, back));
        if (!step || step->getOperand(0) != q || !llvm::isa<llvm::ConstantInt>(step->getOperand(1)))
            return nullptr;
        switch (step->getOpcode()) {
        case llvm::Instruction::Add:
        case llvm::Instruction::Sub:
        case llvm::Instruction::Xor: return step;
        default: return nullptr;
        }
    }

    // The bits of `p` that an assumption in its block says are clear (`(p & c) == 0`): they
    // are whichever way the block is entered.
    static uint32_t assumed_clear(const llvm::PHINode& p) {
        using namespace llvm::PatternMatch;
        uint32_t clear = 0;
        const llvm::APInt* c;
        for (const llvm::Instruction& in : *p.getParent())
            if (auto* a = llvm::dyn_cast<llvm::AssumeInst>(&in))
                if (match(a->getArgOperand(0),
                          m_SpecificICmp(llvm::ICmpInst::ICMP_EQ, m_And(m_Specific(&p), m_APInt(c)),
                                         m_Zero())))
                    clear |= uint32_t(c->getZExtValue());
        return clear;
    }

    // The back-edge value to defer: a merge over `p` computed after the head, on most edges.
    std::optional<Back> choose(llvm::PHINode& p) {
        std::optional<Back> best;
        unsigned best_edges = 0;
        for (unsigned i = 0; i < p.getNumIncomingValues(); ++i) {
            llvm::Value* v = p.getIncomingValue(i);
            unsigned edges = 0;
            for (llvm::Value* w : p.incoming_values())
                edges += w == v;
            if (v == &p || edges <= best_edges || !inside(v, *p.getParent()) || !as_merge(v, p))
                continue;
            best = Back{v, {}};
            best_edges = edges;
        }
        if (!best) return best;
        for (unsigned i = 0; i < p.getNumIncomingValues(); ++i)
            if (p.getIncomingValue(i) == best->b) best->from.insert(p.getIncomingBlock(i));
        for (llvm::PHINode& q : p.getParent()->phis())
            if (llvm::Value* v = back_value(q, *best); &q != &p && v && v != &q)
                best->carriers.emplace(v, &q);
        return best;
    }

    void defer(llvm::PHINode& p) {
        std::optional<Back> back = choose(p);
        if (!back) return;
        llvm::Value* b = back->b;
        Merge m = *as_merge(b, p);
        Plan pl = plan(p, *back);
        if (!pl.ok || !llvm::is_contained(pl.rebuilt, b)) return;
        // `p & c` is the same every time round when c's bits are kept, or zero whichever way
        // the head was entered (TF, cleared on entry to compiled code, for one).
        uint32_t entry_bits = 0;
        for (unsigned i = 0; i < p.getNumIncomingValues(); ++i)
            if (!back->is(p, i)) entry_bits |= maybe_(p.getIncomingValue(i));
        uint32_t invariant = m.kept | ~(m.new_bits | (entry_bits & ~assumed_clear(p)));

        // The head's new phis: P0, first, and the carried inputs.
        llvm::BasicBlock* head = p.getParent();
        unsigned n = p.getNumIncomingValues();
        llvm::IRBuilder<> ib(head, head->begin());
        llvm::PHINode* p0 = ib.CreatePHI(p.getType(), n, "flags.entry");
        llvm::PHINode* first = ib.CreatePHI(ib.getInt1Ty(), n, "first");
        for (unsigned i = 0; i < n; ++i) {
            p0->addIncoming(back->is(p, i) ? p0 : p.getIncomingValue(i), p.getIncomingBlock(i));
            first->addIncoming(ib.getInt1(!back->is(p, i)), p.getIncomingBlock(i));
        }
        std::unordered_map<llvm::Value*, llvm::Value*> previous{{&p, p0}};
        for (llvm::Value* v : pl.new_inputs) {
            llvm::PHINode* q = ib.CreatePHI(v->getType(), n, "prev");
            for (unsigned i = 0; i < n; ++i)
                q->addIncoming(back->is(p, i) ? v : llvm::PoisonValue::get(v->getType()),
                               p.getIncomingBlock(i));
            previous[v] = q;
        }
        for (auto [v, q] : pl.carried)
            previous[v] = q;

        llvm::SmallVector<llvm::Use*, 16> uses;
        for (llvm::Use& u : p.uses())
            uses.push_back(&u);
        for (llvm::Use* u : uses) {
            auto* user = llvm::cast<llvm::Instruction>(u->getUser());
            if (user == p0) continue;
            const llvm::APInt* c;
            using namespace llvm::PatternMatch;
            if (match(user, m_And(m_Specific(&p), m_APInt(c))) &&
                (uint32_t(c->getZExtValue()) & ~invariant) == 0) {
                u->set(p0);
                continue;
            }
            u->set(rebuild(b, previous, pl, first, p0, insertion_point(*u)));
        }
        if (!p.use_empty()) return;
        p.eraseFromParent();
        // What is left of B is read where the loop is left (exits, other members): rebuilt
        // there from this iteration's values (p's bits that matter are P0's), so that the way
        // round computes none of it.
        uses.clear();
        for (llvm::Use& u : b->uses())
            uses.push_back(&u);
        for (llvm::Use* u : uses) {
            std::unordered_map<llvm::Value*, llvm::Value*> current{{&p, p0}};
            u->set(rebuild(b, current, pl, nullptr, nullptr, insertion_point(*u)));
        }
    }

    // Where code for the use `u` goes: before its user, or for a phi at the end of the edge
    // (split, if the incoming block goes elsewhere too, so the code stays off the other way).
    llvm::Instruction* insertion_point(llvm::Use& u) {
        auto* phi = llvm::dyn_cast<llvm::PHINode>(u.getUser());
        if (!phi) return llvm::cast<llvm::Instruction>(u.getUser());
        llvm::BasicBlock* from = phi->getIncomingBlock(u);
        if (from->getSingleSuccessor()) return from->getTerminator();
        return llvm::SplitEdge(from, phi->getParent(), &dt_)->getTerminator();
    }

    // `first ? p0 : b` with b computed from the previous iteration's values, before `at`
    // (without `first`: b computed from the values in `map`).
    static llvm::Value* rebuild(llvm::Value* b, std::unordered_map<llvm::Value*, llvm::Value*> map,
                                const Plan& pl, llvm::Value* first, llvm::Value* p0,
                                llvm::Instruction* at) {
        for (auto [q, step] : pl.undone) {
            if (!first) break; // this iteration's values: q itself
            auto op = step->getOpcode() == llvm::Instruction::Add   ? llvm::Instruction::Sub
                      : step->getOpcode() == llvm::Instruction::Sub ? llvm::Instruction::Add
                                                                    : llvm::Instruction::Xor;
            map[q] = llvm::BinaryOperator::Create(op, q, step->getOperand(1), "prev", at);
        }
        for (llvm::Instruction* in : pl.rebuilt) {
            llvm::Instruction* copy = in->clone();
            for (llvm::Use& op : copy->operands())
                if (pl.zeros.count({in, op.getOperandNo()}))
                    op.set(llvm::Constant::getNullValue(op->getType()));
                else if (auto it = map.find(op.get()); it != map.end())
                    op.set(it->second);
            copy->dropPoisonGeneratingFlags(); // `or disjoint` may not hold with zeros
            copy->insertBefore(at);
            map[in] = copy;
        }
        if (!first) return map.at(b);
        return llvm::SelectInst::Create(first, p0, map.at(b), "flags.prev", at);
    }

    llvm::Function& fn_;
    llvm::DominatorTree dt_;
    MaybeBits maybe_;
};

} // namespace

void prune_dead_flags(llvm::Function& fn) { FlagPruner(fn).run(); }

void defer_loop_flags(llvm::Function& fn) { LoopFlagDeferral(fn).run(); }

} // namespace rr86::jit
