//! The netlist verifier: the written list of the IR's invariants.
//!
//! 1. every gate reads signals strictly below its own (topological order, hence acyclic);
//! 2. every output signal exists;
//! 3. at least one class, and every class has the same number of count bits;
//! 4. spans are ordered, disjoint, and within the gate list;
//! 5. loops chain: each reads the buffer the previous one wrote, the last writes the input signals, and each
//!    loop's kernel and tables are valid ([`super::Loop::verify`]).

use std::fmt;

use super::Netlist;

/// One violated invariant, with where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    /// A gate index, or `None` for a property of the whole netlist.
    pub at: Option<usize>,
    /// What is wrong.
    pub msg: String,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some(g) => write!(f, "gate {g}: {}", self.msg),
            None => f.write_str(&self.msg),
        }
    }
}

impl Netlist {
    /// Checks every invariant; returns all violations found (empty when the netlist is well formed).
    pub fn verify(&self) -> Vec<VerifyError> {
        let mut errors = Vec::new();
        for (i, g) in self.gates.iter().enumerate() {
            let own = self.num_inputs + i;
            for (name, s) in [("a", g.a), ("b", g.b)] {
                if s.index() >= own {
                    errors.push(VerifyError { at: Some(i), msg: format!("input {name} = {} is not below {own}", s.0) });
                }
            }
        }
        let n = self.num_signals();
        if self.outputs.is_empty() {
            errors.push(VerifyError { at: None, msg: "no classes".into() });
        }
        let planes = self.planes();
        for (c, bits) in self.outputs.iter().enumerate() {
            if bits.len() != planes {
                errors.push(VerifyError {
                    at: None,
                    msg: format!("class {c} has {} count bits, class 0 has {planes}", bits.len()),
                });
            }
            if let Some(s) = bits.iter().find(|s| s.index() >= n) {
                errors.push(VerifyError { at: None, msg: format!("class {c} reads signal {} of {n}", s.0) });
            }
        }
        let mut len = self.loops.first().map(|l| l.in_len);
        for l in &self.loops {
            errors.extend(l.verify());
            if len != Some(l.in_len) {
                errors.push(VerifyError {
                    at: None,
                    msg: format!("{} reads {} signals, made {len:?}", l.name, l.in_len),
                });
            }
            len = Some(l.out_len);
        }
        if let Some(n) = len
            && n != self.num_inputs
        {
            errors.push(VerifyError {
                at: None,
                msg: format!("the loops make {n} signals, the netlist reads {}", self.num_inputs),
            });
        }
        let mut prev_end = 0;
        for span in &self.spans {
            if span.start < prev_end || span.end < span.start || span.end > self.gates.len() {
                errors.push(VerifyError {
                    at: None,
                    msg: format!("span {} {}..{} is out of order or range", span.name, span.start, span.end),
                });
            }
            prev_end = span.end;
        }
        errors
    }
}
