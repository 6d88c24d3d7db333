//! Prints the optimisation report for a model file: `cargo run --release -p lgn-compiler --example opt_report -- m.lgn`.
fn main() {
    let path = std::env::args().nth(1).expect("model path");
    let model = lgn_compiler::model::load(std::path::Path::new(&path)).unwrap();
    let net = lgn_compiler::lower(&model);
    for level in [lgn_compiler::passes::OptLevel::O1, lgn_compiler::passes::OptLevel::O2] {
        let (out, report) = lgn_compiler::passes::optimize(&net, level);
        println!("{level:?}: {} -> {} gates\n{report}", net.gates.len(), out.gates.len());
        for (a, b) in net.spans.iter().zip(&out.spans) {
            println!("  {:<10} {:>8} -> {:>8}", a.name, a.end - a.start, b.end - b.start);
        }
    }
}
