//! The simulated SRAM: one byte buffer of the MCU's size, and where each buffer lives in it.
#![warn(clippy::indexing_slicing)]

pub mod planner;

use crate::error::{Error, Result};
use smallvec::SmallVec;
use std::ops::Range;

/// A microcontroller's memories, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Mcu {
    pub name: &'static str,
    pub sram: usize,
    pub flash: usize,
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
/// The largest arena a setting may ask for.
pub const MAX_SRAM: usize = 64 * MIB;

/// The MCUs of MCUNetV2's paper (STM32F412, F746, H743) and other common parts.
pub const MCUS: &[Mcu] = &[
    Mcu { name: "stm32f412", sram: 256 * KIB, flash: MIB },
    Mcu { name: "stm32f411", sram: 128 * KIB, flash: 512 * KIB },
    Mcu { name: "stm32f746", sram: 320 * KIB, flash: MIB },
    Mcu { name: "stm32h743", sram: 512 * KIB, flash: 2 * MIB },
    Mcu { name: "nrf52840", sram: 256 * KIB, flash: MIB },
    Mcu { name: "rp2040", sram: 264 * KIB, flash: 2 * MIB },
    Mcu { name: "esp32-s3", sram: 512 * KIB, flash: 8 * MIB },
    Mcu { name: "arduino-nano-33-ble", sram: 256 * KIB, flash: MIB },
];

pub fn mcu(name: &str) -> Result<Mcu> {
    let wanted = name.to_ascii_lowercase().replace('_', "-");
    MCUS.iter().copied().find(|m| m.name == wanted).ok_or_else(|| {
        let names: Vec<_> = MCUS.iter().map(|m| m.name).collect();
        Error::Setting(format!("unknown MCU '{name}'; known: {}", names.join(", ")))
    })
}

/// Parses a size such as `256K`, `1M`, `320KiB` or `65536`.
pub fn parse_size(text: &str) -> Result<usize> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let n: usize = number.parse().map_err(|_| Error::Setting(format!("'{text}' is not a size (try 256K)")))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => KIB,
        "m" | "mb" | "mib" => MIB,
        _ => return Err(Error::Setting(format!("unknown unit in '{text}' (use K or M)"))),
    };
    n.checked_mul(factor)
        .filter(|&b| b > 0 && b <= MAX_SRAM)
        .ok_or_else(|| Error::Setting(format!("SRAM size '{text}' must be between 1 byte and 64 MiB")))
}

/// The arena: every activation is read and written at its offset in these bytes.
///
/// Its accessors index without a check, a plan invariant: every range asked for is a buffer
/// of the plan, inside the plan's extent, which `Engine::with_plan` checks fits the capacity.
pub struct Arena {
    bytes: Vec<u8>,
}

impl Arena {
    pub fn new(capacity: usize) -> Arena {
        Arena { bytes: vec![0; capacity] }
    }

    pub fn capacity(&self) -> usize {
        self.bytes.len()
    }

    #[allow(clippy::indexing_slicing)] // a plan invariant (see `Arena`)
    pub fn slice(&self, r: Range<usize>) -> &[u8] {
        &self.bytes[r]
    }

    #[allow(clippy::indexing_slicing)] // a plan invariant (see `Arena`)
    pub fn slice_mut(&mut self, r: Range<usize>) -> &mut [u8] {
        &mut self.bytes[r]
    }

    /// Borrows `inputs` to read and `output` to write at once; the planner guarantees the
    /// output overlaps no input (inputs may overlap each other).
    #[allow(clippy::indexing_slicing)] // a plan invariant (see `Arena`)
    pub fn io(&mut self, inputs: &[Range<usize>], output: Range<usize>) -> (SmallVec<[&[u8]; 2]>, &mut [u8]) {
        let (low, rest) = self.bytes.split_at_mut(output.start);
        let (out, high) = rest.split_at_mut(output.len());
        let (low, high): (&[u8], &[u8]) = (low, high);
        let reads = inputs
            .iter()
            .map(|r| {
                if r.end <= output.start {
                    &low[r.clone()]
                } else {
                    assert!(r.start >= output.end, "input {r:?} overlaps output {output:?}");
                    &high[r.start - output.end..r.end - output.end]
                }
            })
            .collect();
        (reads, out)
    }
}

impl Arena {
    /// Copies the bytes of `from` to `to` onwards (the ranges may overlap).
    pub fn copy_within(&mut self, from: Range<usize>, to: usize) {
        self.bytes.copy_within(from, to);
    }

    /// Borrows two disjoint ranges to write at once (a buffer and its kernel's scratch).
    #[allow(clippy::indexing_slicing)] // a plan invariant (see `Arena`)
    pub fn pair_mut(&mut self, a: Range<usize>, b: Range<usize>) -> (&mut [u8], &mut [u8]) {
        assert!(a.end <= b.start || b.end <= a.start, "{a:?} overlaps {b:?}");
        if a.start < b.start {
            let (low, high) = self.bytes.split_at_mut(b.start);
            (&mut low[a], &mut high[..b.end - b.start])
        } else {
            let (low, high) = self.bytes.split_at_mut(a.start);
            (&mut high[..a.end - a.start], &mut low[b])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("256K").unwrap(), 262144);
        assert_eq!(parse_size("1M").unwrap(), 1048576);
        assert_eq!(parse_size("320KiB").unwrap(), 327680);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("99999999999999999999K").is_err());
    }

    #[test]
    fn presets_resolve() {
        assert_eq!(mcu("STM32F746").unwrap().sram, 320 * 1024);
        assert!(mcu("z80").is_err());
    }
}
