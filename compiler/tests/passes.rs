//! Every pass and pipeline preserves the function of every output bit (property tests), and the corner
//! cases of mockturtle's checklist: constant outputs, inverted constants, pass-through, inverted pass-through.

use lgn_compiler::check::equiv::{Equiv, check};
use lgn_compiler::ir::{Netlist, Signal};
use lgn_compiler::passes::{OptLevel, PASSES, Pipeline, optimize};
use lgn_compiler::testing::random_netlist;
use lgn_compiler::{GateOp, lower};
use proptest::prelude::*;

fn equivalent(a: &Netlist, b: &Netlist) {
    match check(a, b, 4096, 7) {
        Equiv::Equal | Equiv::NoDifferenceFound(_) => {}
        other => panic!("not equivalent: {other:?}\nbefore: {a:?}\nafter: {b:?}"),
    }
}

fn cases() -> u32 {
    std::env::var("LGN_TEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn every_pass_preserves_function(seed in any::<u64>()) {
        // Up to 16 inputs: most cases are checked exhaustively.
        let net = random_netlist(seed, 16, 200);
        for p in PASSES {
            let out = (p.run)(&net);
            prop_assert!(out.verify().is_empty(), "{}: {:?}", p.name, out.verify());
            equivalent(&net, &out);
        }
        for level in [OptLevel::O1, OptLevel::O2] {
            let (out, _) = optimize(&net, level);
            prop_assert!(out.verify().is_empty());
            equivalent(&net, &out);
            prop_assert!(out.gates.len() <= net.gates.len() + net.classes() * net.planes(),
                "{:?} grew {} -> {}", level, net.gates.len(), out.gates.len());
        }
    }
}

fn single_output(net: &mut Netlist, s: Signal) {
    net.outputs = vec![vec![s]];
}

#[test]
fn corner_cases_fold_to_nothing_or_one_gate() {
    // Constant output, inverted constant, pass-through, inverted pass-through of input 0.
    let cases: [(&[u8], usize); 4] = [(&[0], 1), (&[15, 12], 1), (&[3, 5, 3], 0), (&[10, 12, 10], 1)];
    for (ops, expect) in cases {
        let mut net = Netlist::new(2);
        let mut s = Signal(0);
        for &op in ops {
            s = net.push(GateOp::from_id(op).unwrap(), s, s);
        }
        single_output(&mut net, s);
        let (out, _) = optimize(&net, OptLevel::O2);
        assert_eq!(check(&net, &out, 64, 0), Equiv::Equal);
        assert_eq!(out.gates.len(), expect, "{ops:?} -> {:?}", out.gates);
    }
}

#[test]
fn duplicates_merge_and_dead_gates_go() {
    let mut net = Netlist::new(3);
    let x = net.push(GateOp::AND, Signal(0), Signal(1));
    let y = net.push(GateOp::AND, Signal(1), Signal(0)); // same as x
    let nand = net.push(GateOp::from_id(14).unwrap(), Signal(0), Signal(1)); // !x
    let _dead = net.push(GateOp::XOR, Signal(2), Signal(0));
    let z = net.push(GateOp::OR, x, y); // = x
    let w = net.push(GateOp::XOR, z, nand); // = 1
    net.outputs = vec![vec![z, w]];
    let (out, _) = optimize(&net, OptLevel::O2);
    assert_eq!(check(&net, &out, 64, 0), Equiv::Equal);
    // One AND for z, one constant for w.
    assert_eq!(out.gates.len(), 2, "{:?}", out.gates);
}

#[test]
fn equivalence_checker_finds_differences() {
    let mut a = Netlist::new(2);
    let s = a.push(GateOp::AND, Signal(0), Signal(1));
    single_output(&mut a, s);
    let mut b = Netlist::new(2);
    let s = b.push(GateOp::OR, Signal(0), Signal(1));
    single_output(&mut b, s);
    assert!(matches!(check(&a, &b, 64, 0), Equiv::Differ { .. }));
}

#[test]
fn random_mnist_model_shrinks() {
    let model = lgn_compiler::model::RandomSpec::dense(784, 1, 3, 2000, 10, 1).build().unwrap();
    let net = lower(&model);
    let (out, report) = Pipeline::for_level(OptLevel::O2).run(&net);
    equivalent(&net, &out);
    assert!(out.gates.len() < net.gates.len() * 3 / 4, "{report}");
}
