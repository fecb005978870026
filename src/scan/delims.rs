//! Cutting a piece of text into lines, with the TABs of each line, in one pass.
//!
//! A text audit line has eleven TABs and one LF in some 450 bytes; finding them one `memchr`
//! call at a time costs a call and a SIMD prologue per field. Instead, [`for_each_line`]
//! compares 64 bytes at a time against one bound, `byte <= 10`, which holds for exactly the
//! bytes that matter here: TAB, LF, NUL (and the rare controls 1 to 8, which are ignored).
//! That is one compare per 32 bytes instead of one per delimiter. Each flagged byte is then
//! looked at once: a TAB is noted in the line's small table, a NUL marks the line, an LF hands
//! the line out. Lines are handed out as they end, with their TABs on the stack, so nothing is
//! written to memory per TAB beyond that table and nothing is read twice.
//!
//! The TAB count is exact however many TABs a line has (a line with one TAB too many is
//! malformed by its count); positions are kept for lines of at most [`TAB_SLOTS`] TABs.

/// How many TAB positions a line keeps; a record has 11 or 13 TABs.
pub const TAB_SLOTS: usize = 16;

/// The delimiters of one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineTabs {
    /// Offsets (in the piece) of the line's TABs, when it has at most [`TAB_SLOTS`] (beyond
    /// that, the slots wrap around and hold no order).
    pub at: [u32; TAB_SLOTS],
    /// How many TABs the line has, exactly.
    pub count: usize,
    /// The line holds a NUL byte.
    pub nul: bool,
}

impl LineTabs {
    /// The offsets of every TAB of the line, when it has at most [`TAB_SLOTS`].
    pub fn kept(&self) -> Option<&[u32]> {
        self.at.get(..self.count)
    }
}

/// Calls `on_line(start, end, tabs)` for every line of `hay` (shorter than 4 GiB), in order:
/// `hay[start..end]` is the line without its LF. The last line is handed out too when it has
/// no LF (`end == hay.len()`).
#[inline(always)]
pub fn for_each_line(hay: &[u8], on_line: impl FnMut(usize, usize, &LineTabs)) {
    debug_assert!(u32::try_from(hay.len()).is_ok());
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("bmi1")
        {
            // SAFETY: the CPU supports AVX2 and BMI1, checked just above.
            unsafe { x86::for_each_line_avx2(hay, on_line) };
            return;
        }
    }
    walk(hay, on_line, specials_scalar);
}

/// How far ahead of the cut (in bytes) the SIMD walks ask the CPU for the bytes to come. On
/// mapped page-cache files the cut, the first code to touch each byte, spent a third of its
/// time waiting on those loads: its work per 64 bytes is a chain the CPU cannot run far
/// ahead of, so the hardware prefetcher alone did not keep up. `hyperfine` on 1 GiB of
/// text, `-j1`: no prefetch 292 ms, 512 bytes ahead 249, 1 KiB 224, 2 KiB 209, 4 KiB 212,
/// 8 KiB 214; two threads: 164 ms without, 117-118 ms at 4 and 8 KiB.
pub const PREFETCH: usize = 4096;

/// The portable mask builder; also the reference the SIMD one is tested against: bit i is set
/// when byte i is at most 10 (NUL, the controls 1 to 8, TAB, LF).
fn specials_scalar(chunk: &[u8; 64]) -> u64 {
    let mut mask = 0;
    for (i, &b) in chunk.iter().enumerate() {
        mask |= u64::from(b <= b'\n') << i;
    }
    mask
}

/// Runs `specials` over every 64 bytes of `hay` (the last piece padded with spaces) and hands
/// out the lines. Inlined into each SIMD entry point so the mask builder inlines too.
#[inline(always)]
fn walk(
    hay: &[u8],
    mut on_line: impl FnMut(usize, usize, &LineTabs),
    specials: impl Fn(&[u8; 64]) -> u64,
) {
    let mut line = LineTabs {
        at: [0; TAB_SLOTS],
        count: 0,
        nul: false,
    };
    let mut start = 0usize;
    let mut visit = |chunk: &[u8; 64], base: usize, line: &mut LineTabs, start: &mut usize| {
        let mut mask = specials(chunk);
        while mask != 0 {
            let i = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            match chunk[i] {
                b'\t' => {
                    line.at[line.count % TAB_SLOTS] = (base + i) as u32;
                    line.count += 1;
                }
                b'\n' => {
                    on_line(*start, base + i, line);
                    *start = base + i + 1;
                    line.count = 0;
                    line.nul = false;
                }
                0 => line.nul = true,
                _ => {}
            }
        }
    };
    let mut base = 0usize;
    while base + 64 <= hay.len() {
        let Ok(chunk) = <&[u8; 64]>::try_from(&hay[base..base + 64]) else {
            unreachable!("the range is 64 bytes long")
        };
        visit(chunk, base, &mut line, &mut start);
        base += 64;
    }
    if base < hay.len() {
        let mut padded = [b' '; 64];
        padded[..hay.len() - base].copy_from_slice(&hay[base..]);
        visit(&padded, base, &mut line, &mut start);
    }
    if start < hay.len() {
        on_line(start, hay.len(), &line);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{LineTabs, walk};

    /// AVX2: one unsigned minimum and one compare per 32 bytes (`min(b, 10) == b` is
    /// `b <= 10`); TZCNT for the bit walk.
    #[target_feature(enable = "avx2,bmi1")]
    pub unsafe fn for_each_line_avx2(hay: &[u8], on_line: impl FnMut(usize, usize, &LineTabs)) {
        let ten = _mm256_set1_epi8(b'\n' as i8);
        walk(hay, on_line, |chunk| {
            let p = chunk.as_ptr();
            // A hint for the bytes PREFETCH ahead: it never faults, so past the end of `hay`
            // (or of the padded copy of its last bytes) it does nothing.
            _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(super::PREFETCH).cast::<i8>());
            // SAFETY: `chunk` is 64 bytes, so both 32-byte loads are in bounds; loadu has no
            // alignment requirement.
            let (a, b) = unsafe {
                (
                    _mm256_loadu_si256(p.cast::<__m256i>()),
                    _mm256_loadu_si256(p.add(32).cast::<__m256i>()),
                )
            };
            let low = |v: __m256i| {
                u64::from(
                    _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(v, ten), v)) as u32,
                )
            };
            low(a) | (low(b) << 32)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One line as the obvious byte loop sees it: start, end, every TAB (when at most
    /// TAB_SLOTS), the TAB count, NUL.
    type Seen = (usize, usize, Option<Vec<u32>>, usize, bool);

    /// The obvious way: split at LF, look at every byte.
    fn reference(hay: &[u8]) -> Vec<Seen> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, &b) in hay.iter().enumerate() {
            if b == b'\n' {
                out.push(line_of(hay, start, i));
                start = i + 1;
            }
        }
        if start < hay.len() {
            out.push(line_of(hay, start, hay.len()));
        }
        out
    }

    fn line_of(hay: &[u8], start: usize, end: usize) -> Seen {
        let tabs: Vec<u32> = (start..end)
            .filter(|&i| hay[i] == b'\t')
            .map(|i| i as u32)
            .collect();
        let count = tabs.len();
        let nul = hay[start..end].contains(&0);
        let kept = (count <= TAB_SLOTS).then_some(tabs);
        (start, end, kept, count, nul)
    }

    fn collect(hay: &[u8], scalar: bool) -> Vec<Seen> {
        let mut out = Vec::new();
        let on_line = |start, end, t: &LineTabs| {
            out.push((start, end, t.kept().map(<[u32]>::to_vec), t.count, t.nul));
        };
        if scalar {
            walk(hay, on_line, specials_scalar);
        } else {
            for_each_line(hay, on_line);
        }
        out
    }

    #[test]
    fn finds_lines_tabs_and_nuls() {
        let hay = b"REQ\tX\t1\nab\0c\t\x07\x01\n\ntail\t";
        assert_eq!(
            collect(hay, false),
            vec![
                (0, 7, Some(vec![3, 5]), 2, false),
                (8, 15, Some(vec![12]), 1, true),
                (16, 16, Some(vec![]), 0, false),
                (17, 22, Some(vec![21]), 1, false),
            ]
        );
    }

    #[test]
    fn counts_tabs_past_the_slots() {
        for n in [TAB_SLOTS, TAB_SLOTS + 1, 40] {
            let line = "\t".repeat(n);
            let got = collect(line.as_bytes(), false);
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].3, n);
            let all = (0..n as u32).collect::<Vec<_>>();
            assert_eq!(got[0].2, (n <= TAB_SLOTS).then_some(all));
        }
    }

    proptest! {
        #[test]
        fn simd_and_scalar_match_the_obvious(hay in prop::collection::vec(
            prop_oneof![Just(b'\t'), Just(b'\n'), Just(0u8), Just(3u8), Just(10u8), Just(11u8),
                Just(b'a'), any::<u8>()], 0..700),
            skip in 0usize..64) {
            let hay = &hay[skip.min(hay.len())..];
            prop_assert_eq!(collect(hay, false), reference(hay));
            prop_assert_eq!(collect(hay, true), reference(hay));
        }
    }
}
