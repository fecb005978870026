//! Finding every TAB, LF and NUL of a block in one pass.
//!
//! A text audit line has eleven TABs and one LF; finding them one `memchr` call at a time costs
//! a call and a SIMD prologue per field, and reading the line twice (once for its LF, once for
//! its TABs). Instead, [`find`] compares 64 bytes at a time against the three delimiters, turns
//! the result into a bitmask and writes out the position of every set bit, the way simdjson's
//! first stage finds structural characters. The line walker then only looks at those positions.
//! NUL is found in the same pass because a NUL anywhere makes a line malformed.

/// Appends to `out` the offsets (ascending) of every TAB, LF and NUL in `hay`, and possibly of
/// other bytes below LF (0x01-0x08), which the caller skips. `hay` must be shorter than 4 GiB.
pub fn find(hay: &[u8], out: &mut Vec<u32>) {
    debug_assert!(u32::try_from(hay.len()).is_ok());
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt")
            && std::arch::is_x86_feature_detected!("bmi1")
        {
            // SAFETY: the CPU supports AVX2, POPCNT and BMI1, checked just above.
            unsafe { x86::find_avx2(hay, out) };
        } else {
            // SSE2 is part of the x86_64 baseline.
            x86::find_sse2(hay, out);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    find_scalar(hay, out);
}

/// Whether a byte is reported: every byte up to LF, like the SIMD versions.
#[inline(always)]
fn is_delim(b: u8) -> bool {
    b <= b'\n'
}

/// The portable version; also the reference the SIMD versions are tested against.
pub fn find_scalar(hay: &[u8], out: &mut Vec<u32>) {
    out.reserve(hay.len());
    for (i, &b) in hay.iter().enumerate() {
        if is_delim(b) {
            out.push(i as u32);
        }
    }
}

/// Pushes `base + i` for every set bit `i` of `mask`, lowest first.
///
/// Lines have a dozen delimiters in some 450 bytes, so most masks have 0 to 3 bits: a loop
/// that exits after a varying count mispredicts once per mask. Instead the first four slots
/// are written unconditionally (slots past the count hold junk beyond `len`, overwritten
/// later), and only masks with more bits loop.
#[inline(always)]
fn push_bits(mut mask: u64, base: usize, out: &mut Vec<u32>) {
    let count = mask.count_ones() as usize;
    let len = out.len();
    assert!(
        out.capacity() >= len + count.max(4),
        "find reserves room for every delimiter"
    );
    let base = base as u32;
    let slots = out.spare_capacity_mut();
    for slot in slots.iter_mut().take(4) {
        slot.write(base.wrapping_add(mask.trailing_zeros()));
        mask &= mask.wrapping_sub(1);
    }
    let mut i = 4;
    while mask != 0 {
        slots[i].write(base + mask.trailing_zeros());
        mask &= mask - 1;
        i += 1;
    }
    // SAFETY: slots len..len + count were written above (the first min(count, 4) in the
    // unconditional loop, the rest in the while loop), and capacity was checked.
    unsafe { out.set_len(len + count) };
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{find_scalar, push_bits};

    /// AVX2: two 32-byte compares per 64-byte step (POPCNT and TZCNT for the bit walk).
    ///
    /// It marks every byte <= LF (one min and one compare instead of three compares and two
    /// ors): NUL, TAB and LF, plus the control bytes 0x01-0x08, which `find` callers must
    /// ignore (see [`super::find`]). They are rare: the writer escapes them.
    #[target_feature(enable = "avx2,popcnt,bmi1")]
    pub unsafe fn find_avx2(hay: &[u8], out: &mut Vec<u32>) {
        reserve(hay, out);
        let lf = _mm256_set1_epi8(b'\n' as i8);
        let mut i = 0;
        while i + 64 <= hay.len() {
            // SAFETY: i + 64 <= hay.len(), so both 32-byte loads are in bounds; loadu has no
            // alignment requirement.
            let (a, b) = unsafe {
                let p = hay.as_ptr().add(i);
                (
                    _mm256_loadu_si256(p.cast::<__m256i>()),
                    _mm256_loadu_si256(p.add(32).cast::<__m256i>()),
                )
            };
            let hits = |v: __m256i| {
                let m = _mm256_cmpeq_epi8(_mm256_min_epu8(v, lf), v);
                u64::from(_mm256_movemask_epi8(m) as u32)
            };
            push_bits(hits(a) | (hits(b) << 32), i, out);
            i += 64;
        }
        tail(hay, i, out);
    }

    /// SSE2: four 16-byte compares per 64-byte step.
    pub fn find_sse2(hay: &[u8], out: &mut Vec<u32>) {
        reserve(hay, out);
        // SAFETY: SSE2 is always present on x86_64; every load reads 16 bytes starting at
        // i + 16k with k < 4 and i + 64 <= hay.len(), so all are in bounds (loadu: unaligned ok).
        unsafe {
            let lf = _mm_set1_epi8(b'\n' as i8);
            let mut i = 0;
            while i + 64 <= hay.len() {
                let p = hay.as_ptr().add(i);
                let mut mask = 0u64;
                for k in 0..4 {
                    let v = _mm_loadu_si128(p.add(16 * k).cast::<__m128i>());
                    let m = _mm_cmpeq_epi8(_mm_min_epu8(v, lf), v);
                    mask |= u64::from(_mm_movemask_epi8(m) as u16) << (16 * k);
                }
                push_bits(mask, i, out);
                i += 64;
            }
            tail(hay, i, out);
        }
    }

    /// Room for the worst case (every byte a delimiter) plus the 8 slots `push_bits` may
    /// write past the last real entry.
    fn reserve(hay: &[u8], out: &mut Vec<u32>) {
        out.reserve(hay.len() + 8);
    }

    /// The last bytes (fewer than 64), one at a time.
    fn tail(hay: &[u8], from: usize, out: &mut Vec<u32>) {
        let start = out.len();
        find_scalar(&hay[from..], out);
        for p in &mut out[start..] {
            *p += from as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(hay: &[u8]) -> Vec<u32> {
        let mut v = Vec::new();
        find_scalar(hay, &mut v);
        v
    }

    #[test]
    fn finds_all_three() {
        let hay = b"REQ\tX\t1\nab\0c\x07\n";
        let mut got = Vec::new();
        find(hay, &mut got);
        assert_eq!(got, vec![3, 5, 7, 10, 12, 13]);
    }

    proptest! {
        #[test]
        fn simd_matches_scalar(hay in prop::collection::vec(
            prop_oneof![Just(b'\t'), Just(b'\n'), Just(0u8), Just(3u8), Just(b'a'), any::<u8>()], 0..700),
            skip in 0usize..64) {
            let hay = &hay[skip.min(hay.len())..];
            let mut got = vec![7];
            find(hay, &mut got);
            let mut expected = vec![7];
            expected.extend(reference(hay));
            prop_assert_eq!(&got, &expected);
            #[cfg(target_arch = "x86_64")]
            {
                let mut sse = Vec::new();
                x86::find_sse2(hay, &mut sse);
                prop_assert_eq!(&sse[..], &expected[1..]);
            }
        }
    }
}
