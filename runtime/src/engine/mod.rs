//! Engines: things that evaluate a compiled netlist on one block of bit-sliced samples.
//!
//! Every engine follows the same memory contract, so that packing, counting and threading are shared:
//! - a block holds `64 * words()` samples;
//! - the caller packs the input planes into the start of the engine's scratch buffer (input bit `i`, word
//!   `w` at `scratch[i * words + w]`) and calls [`Engine::run`];
//! - `run` writes the class-count planes to `out`: class `c`, count bit `p`, word `w` at
//!   `out[(c * planes + p) * words + w]`.
//!
//! The interpreter ([`interp::Interpreter`]) is the reference every other engine is tested against.

pub mod c;
pub mod interp;
pub mod jit;

/// What every engine compiled from a netlist shares: its input and output sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Number of input bits.
    pub num_inputs: usize,
    /// Number of classes.
    pub classes: usize,
    /// Count bits per class.
    pub planes: usize,
}

impl Interface {
    /// The interface of `net`.
    pub fn of(net: &lgn_compiler::Netlist) -> Interface {
        Interface { num_inputs: net.input_bits(), classes: net.classes(), planes: net.planes() }
    }
}

/// Copies the count planes from their slots in `scratch` to `out` (`slots` class-major, `words` per value).
pub fn gather(scratch: &[u64], slots: &[u32], words: usize, out: &mut [u64]) {
    for (i, &s) in slots.iter().enumerate() {
        let s = s as usize;
        out[i * words..(i + 1) * words].copy_from_slice(&scratch[s * words..(s + 1) * words]);
    }
}

/// Evaluates a netlist on blocks of bit-sliced samples. See the module doc for the memory contract.
pub trait Engine: Send + Sync {
    /// A short name (`interp`, `jit`, …).
    fn name(&self) -> &'static str;
    /// u64 words per signal in a block (a block holds `64 * words` samples).
    fn words(&self) -> usize;
    /// Input and output sizes.
    fn interface(&self) -> Interface;
    /// Number of input bits.
    fn num_inputs(&self) -> usize {
        self.interface().num_inputs
    }
    /// Number of classes.
    fn classes(&self) -> usize {
        self.interface().classes
    }
    /// Count bits per class.
    fn planes(&self) -> usize {
        self.interface().planes
    }
    /// Length in u64 words of the scratch buffer that [`Engine::run`] needs (at least `num_inputs * words`).
    fn scratch_words(&self) -> usize;
    /// Evaluates one block: input planes at the start of `scratch`, count planes into `out`
    /// (`classes * planes * words` words).
    fn run(&self, scratch: &mut [u64], out: &mut [u64]);
    /// Facts about the compiled code for reports (e.g. code bytes, compile phases), as name/value pairs.
    fn report(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}
