//! Finding every TAB, LF and NUL of a block in one pass.
//!
//! A text audit line has eleven TABs and one LF; finding them one `memchr` call at a time costs
//! a call and a SIMD prologue per field, and reading the line twice (once for its LF, once for
//! its TABs). Instead, [`find`] compares 64 bytes at a time against the three delimiters, turns
//! the results into bitmasks and writes out the positions of the set bits, the way simdjson's
//! first stage finds structural characters. For every LF it also notes how many TABs came
//! before it, so the TABs of a line are a slice of [`Delims::tabs`] and the line walker never
//! branches per TAB. NUL is found in the same pass because a NUL anywhere makes a line
//! malformed.

/// The delimiters of one piece of text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delims {
    /// Offsets of every TAB, ascending.
    pub tabs: Vec<u32>,
    /// Every LF, ascending, with the number of TABs before it.
    pub lines: Vec<LineEnd>,
    /// Offsets of every NUL, ascending.
    pub nuls: Vec<u32>,
}

/// An LF and how many TABs precede it in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineEnd {
    /// Offset of the LF.
    pub lf: u32,
    /// Number of TABs before it: the line's TABs end at this index of [`Delims::tabs`].
    pub tabs_before: u32,
}

impl Delims {
    /// Empties the lists, keeping their memory.
    pub fn clear(&mut self) {
        self.tabs.clear();
        self.lines.clear();
        self.nuls.clear();
    }
}

/// Finds the delimiters of `hay` (shorter than 4 GiB) into `out`, which is cleared first.
pub fn find(hay: &[u8], out: &mut Delims) {
    debug_assert!(u32::try_from(hay.len()).is_ok());
    out.clear();
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt")
            && std::arch::is_x86_feature_detected!("bmi1")
        {
            // SAFETY: the CPU supports AVX2, POPCNT and BMI1, checked just above.
            unsafe { x86::find_avx2(hay, out) };
            return;
        }
    }
    walk(hay, out, masks_scalar);
}

/// The three bitmasks of 64 bytes: bit i is set when byte i is TAB, LF, NUL respectively.
#[derive(Clone, Copy)]
struct Masks {
    tab: u64,
    lf: u64,
    nul: u64,
}

/// The portable mask builder; also the reference the SIMD one is tested against.
fn masks_scalar(chunk: &[u8; 64]) -> Masks {
    let mut m = Masks {
        tab: 0,
        lf: 0,
        nul: 0,
    };
    for (i, &b) in chunk.iter().enumerate() {
        let bit = 1u64 << i;
        match b {
            b'\t' => m.tab |= bit,
            b'\n' => m.lf |= bit,
            0 => m.nul |= bit,
            _ => {}
        }
    }
    m
}

/// Runs `masks` over every 64 bytes of `hay` (the last piece padded with spaces) and records
/// the set bits. Inlined into each SIMD entry point so the mask builder inlines too.
#[inline(always)]
fn walk(hay: &[u8], out: &mut Delims, masks: impl Fn(&[u8; 64]) -> Masks) {
    // Every TAB gets a slot, plus the four `record` may write past the last one.
    out.tabs.clear();
    out.tabs.reserve(hay.len() + 4);
    let mut tabs = TabWriter {
        ptr: out.tabs.as_mut_ptr(),
        len: 0,
    };
    let mut base = 0usize;
    while base + 64 <= hay.len() {
        let Ok(chunk) = <&[u8; 64]>::try_from(&hay[base..base + 64]) else {
            unreachable!("the range is 64 bytes long")
        };
        record(masks(chunk), base, &mut tabs, out);
        base += 64;
    }
    if base < hay.len() {
        let mut padded = [b' '; 64];
        padded[..hay.len() - base].copy_from_slice(&hay[base..]);
        record(masks(&padded), base, &mut tabs, out);
    }
    // SAFETY: `record` wrote slots 0..tabs.len, all within the capacity reserved above (there
    // are at most hay.len() TABs).
    unsafe { out.tabs.set_len(tabs.len) };
}

/// Writes TAB offsets into a vector's spare capacity without length bookkeeping per write.
struct TabWriter {
    ptr: *mut u32,
    len: usize,
}

/// Records the set bits of one 64-byte chunk at offset `base`.
///
/// Lines have a dozen TABs in some 450 bytes, so most masks have 0 to 3 TABs: a loop that
/// exits after a varying count mispredicts once per mask. Instead the first four slots are
/// written unconditionally (slots past the count hold junk beyond `len`, overwritten later or
/// never exposed), and only masks with more TABs loop.
#[inline(always)]
fn record(m: Masks, base: usize, tabs: &mut TabWriter, out: &mut Delims) {
    let base32 = base as u32;
    let before = tabs.len as u32;
    let count = m.tab.count_ones() as usize;
    let mut mask = m.tab;
    // SAFETY: `walk` reserved hay.len() + 4 slots. tabs.len counts the TABs before `base`, so
    // it is at most `base`, and this chunk holds `count` <= hay.len() - base TABs (padding is
    // spaces). The writes go to slots below tabs.len + max(count, 4) <= hay.len() + 4.
    unsafe {
        let p = tabs.ptr.add(tabs.len);
        for k in 0..4 {
            p.add(k).write(base32.wrapping_add(mask.trailing_zeros()));
            mask &= mask.wrapping_sub(1);
        }
        let mut k = 4;
        while mask != 0 {
            p.add(k).write(base32 + mask.trailing_zeros());
            mask &= mask - 1;
            k += 1;
        }
    }
    tabs.len += count;
    let mut lf = m.lf;
    while lf != 0 {
        let bit = lf.trailing_zeros();
        let below = (1u64 << bit) - 1;
        out.lines.push(LineEnd {
            lf: base32 + bit,
            tabs_before: before + (m.tab & below).count_ones(),
        });
        lf &= lf - 1;
    }
    let mut nul = m.nul;
    while nul != 0 {
        out.nuls.push(base32 + nul.trailing_zeros());
        nul &= nul - 1;
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{Delims, Masks, walk};

    /// AVX2 masks: three compares per 32 bytes (POPCNT and TZCNT for the bit walk).
    #[target_feature(enable = "avx2,popcnt,bmi1")]
    pub unsafe fn find_avx2(hay: &[u8], out: &mut Delims) {
        let tab = _mm256_set1_epi8(b'\t' as i8);
        let lf = _mm256_set1_epi8(b'\n' as i8);
        let nul = _mm256_setzero_si256();
        walk(hay, out, |chunk| {
            // SAFETY: `chunk` is 64 bytes, so both 32-byte loads are in bounds; loadu has no
            // alignment requirement.
            let (a, b) = unsafe {
                let p = chunk.as_ptr();
                (
                    _mm256_loadu_si256(p.cast::<__m256i>()),
                    _mm256_loadu_si256(p.add(32).cast::<__m256i>()),
                )
            };
            let bits = |v: __m256i, d: __m256i| {
                u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, d)) as u32)
            };
            Masks {
                tab: bits(a, tab) | (bits(b, tab) << 32),
                lf: bits(a, lf) | (bits(b, lf) << 32),
                nul: bits(a, nul) | (bits(b, nul) << 32),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious way: one byte at a time.
    fn reference(hay: &[u8]) -> Delims {
        let mut d = Delims::default();
        let mut tabs = 0;
        for (i, &b) in hay.iter().enumerate() {
            match b {
                b'\t' => {
                    d.tabs.push(i as u32);
                    tabs += 1;
                }
                b'\n' => d.lines.push(LineEnd {
                    lf: i as u32,
                    tabs_before: tabs,
                }),
                0 => d.nuls.push(i as u32),
                _ => {}
            }
        }
        d
    }

    #[test]
    fn finds_all_three() {
        let hay = b"REQ\tX\t1\nab\0c\t\x07\n";
        let mut got = Delims::default();
        find(hay, &mut got);
        assert_eq!(got.tabs, vec![3, 5, 12]);
        assert_eq!(
            got.lines,
            vec![
                LineEnd {
                    lf: 7,
                    tabs_before: 2
                },
                LineEnd {
                    lf: 14,
                    tabs_before: 3
                }
            ]
        );
        assert_eq!(got.nuls, vec![10]);
    }

    proptest! {
        #[test]
        fn simd_and_scalar_match_the_obvious(hay in prop::collection::vec(
            prop_oneof![Just(b'\t'), Just(b'\n'), Just(0u8), Just(3u8), Just(b'a'), any::<u8>()], 0..700),
            skip in 0usize..64) {
            let hay = &hay[skip.min(hay.len())..];
            let mut got = Delims { tabs: vec![9], ..Delims::default() };
            find(hay, &mut got);
            prop_assert_eq!(&got, &reference(hay));
            let mut scalar = Delims::default();
            walk(hay, &mut scalar, masks_scalar);
            prop_assert_eq!(&scalar, &reference(hay));
        }
    }
}
