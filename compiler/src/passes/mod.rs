//! Optimisation passes over the netlist and the pipeline that runs them.
//!
//! Each pass is one module with one `run(&Netlist) -> Netlist`; passes do no I/O and keep the netlist's
//! invariants (checked after every pass when [`Pipeline::verify`] is set, as in tests). [`PASSES`] is the
//! registry (stable kebab-case names and help), [`Pipeline`] runs a list of passes in rounds until the gate
//! count stops falling or the round cap is hit.
//!
//! Every pass preserves the function of every output bit: property tests check each against random and
//! exhaustive simulation (`check::equiv`).

mod bypass;
mod const_prop;
pub mod fuse;
pub mod rebuild;
mod strash;
mod sweep;

use std::fmt;
use std::time::{Duration, Instant};

use crate::ir::Netlist;

/// A registered pass.
pub struct PassInfo {
    /// Stable name, as given to `lgn opt --passes`.
    pub name: &'static str,
    /// One-line help.
    pub help: &'static str,
    /// The pass.
    pub run: fn(&Netlist) -> Netlist,
}

/// Every pass, by name.
pub const PASSES: &[PassInfo] = &[
    PassInfo {
        name: "const-prop",
        help: "fold constant gates and gates with constant or identical inputs",
        run: const_prop::run,
    },
    PassInfo {
        name: "bypass",
        help: "bypass pass-through gates and absorb inverters into readers' truth tables",
        run: bypass::run,
    },
    PassInfo {
        name: "strash",
        help: "structural hashing: merge gates computing the same function of the same inputs",
        run: strash::run,
    },
    PassInfo { name: "sweep", help: "remove gates that no output depends on; renumber densely", run: sweep::run },
];

/// Looks a pass up by name.
pub fn lookup(name: &str) -> Option<&'static PassInfo> {
    PASSES.iter().find(|p| p.name == name)
}

/// Optimisation level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OptLevel {
    /// No passes.
    O0,
    /// Constants, pass-throughs, inverters, dead gates.
    O1,
    /// O1 plus structural hashing, repeated to a fixpoint.
    O2,
}

impl OptLevel {
    /// The level of a `-O` number (0, 1 or 2), or `None` for any other number.
    pub fn from_number(n: u8) -> Option<OptLevel> {
        match n {
            0 => Some(OptLevel::O0),
            1 => Some(OptLevel::O1),
            2 => Some(OptLevel::O2),
            _ => None,
        }
    }

    /// The `-O` number of this level.
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// What one pass did.
#[derive(Clone, Debug)]
pub struct PassStats {
    /// Pass name.
    pub name: &'static str,
    /// Gates before.
    pub before: usize,
    /// Gates after.
    pub after: usize,
    /// Time taken.
    pub time: Duration,
}

/// The report of a pipeline run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Per pass, in order.
    pub passes: Vec<PassStats>,
    /// Rounds run.
    pub rounds: usize,
}

impl Report {
    /// Total time.
    pub fn time(&self) -> Duration {
        self.passes.iter().map(|p| p.time).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<12} {:>10} {:>10} {:>10}", "pass", "before", "after", "ms")?;
        for p in &self.passes {
            writeln!(f, "{:<12} {:>10} {:>10} {:>10.2}", p.name, p.before, p.after, p.time.as_secs_f64() * 1e3)?;
        }
        write!(f, "{} round(s), {:.2} ms", self.rounds, self.time().as_secs_f64() * 1e3)
    }
}

/// An ordered list of passes run in rounds.
pub struct Pipeline {
    /// The passes of one round.
    pub passes: Vec<&'static PassInfo>,
    /// Maximum rounds (default 8).
    pub max_rounds: usize,
    /// Verify the netlist after every pass and panic on a violation (for tests and debugging).
    pub verify: bool,
    /// Fuse each loop with the loop that reads its buffer where that computes no position twice (a
    /// convolution and its OR pooling; [`fuse`]), before the kernels are optimised. On for `-O1` and `-O2`.
    pub fuse_loops: bool,
}

impl Pipeline {
    /// The standard pipeline of a level.
    pub fn for_level(level: OptLevel) -> Pipeline {
        let names: &[&str] = match level {
            OptLevel::O0 => &[],
            OptLevel::O1 => &["const-prop", "bypass", "sweep"],
            OptLevel::O2 => &["strash", "sweep"],
        };
        Pipeline { fuse_loops: level > OptLevel::O0, ..Pipeline::from_names(names).expect("registered names") }
    }

    /// A pipeline of named passes; `None` names an unknown pass.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Pipeline, String> {
        let passes = names
            .iter()
            .map(|n| {
                lookup(n.as_ref()).ok_or_else(|| {
                    let known: Vec<_> = PASSES.iter().map(|p| p.name).collect();
                    format!("unknown pass {:?} (known: {})", n.as_ref(), known.join(", "))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Pipeline { passes, max_rounds: 8, verify: cfg!(debug_assertions), fuse_loops: false })
    }

    /// Runs the passes in rounds until a round removes no gate (or `max_rounds`). Loops are fused first (if
    /// `fuse_loops`); loop kernels are optimised the same way, each on its own (their outputs are the
    /// channel bits), and the loops are kept.
    pub fn run(&self, net: &Netlist) -> (Netlist, Report) {
        let mut loops = if self.fuse_loops { fuse::fuse_loops(&net.loops) } else { net.loops.clone() };
        let mut report = Report::default();
        for l in &mut loops {
            let (kernel, r) = self.run_flat(&l.kernel);
            l.kernel = kernel;
            report.passes.extend(r.passes);
        }
        let (mut cur, r) = self.run_flat(net);
        report.passes.extend(r.passes);
        report.rounds = r.rounds;
        cur.loops = loops;
        (cur, report)
    }

    /// Runs the passes on the gates of `net`, ignoring its loops.
    fn run_flat(&self, net: &Netlist) -> (Netlist, Report) {
        let mut report = Report::default();
        let mut cur = Netlist { loops: Vec::new(), ..net.clone() };
        if self.passes.is_empty() {
            return (cur, report);
        }
        for _ in 0..self.max_rounds {
            let start = cur.gates.len();
            report.rounds += 1;
            for p in &self.passes {
                let t = Instant::now();
                let before = cur.gates.len();
                cur = (p.run)(&cur);
                report.passes.push(PassStats { name: p.name, before, after: cur.gates.len(), time: t.elapsed() });
                if self.verify {
                    let errors = cur.verify();
                    assert!(errors.is_empty(), "after pass {}: {}", p.name, errors[0]);
                }
            }
            if cur.gates.len() >= start {
                break;
            }
        }
        (cur, report)
    }
}

/// Optimises `net` at `level`.
pub fn optimize(net: &Netlist, level: OptLevel) -> (Netlist, Report) {
    Pipeline::for_level(level).run(net)
}
