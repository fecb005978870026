//! Fuzzes the decoder path: arbitrary bytes (often starting with gzip or zstd magic) are
//! sniffed, decoded and cut into blocks; every line read must be accounted for, and a broken
//! stream must end with an error, never a panic or a hang.

#![no_main]

use bsaudit::input::source::{decoded, BlockReader};
use bsaudit::scan::scan_block;
use bsaudit::tally::{Tallier, TallySpec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else { return };
    // Steer a share of the inputs into the decoders by prefixing their magic bytes.
    let mut bytes = match choice % 4 {
        0 => vec![0x1f, 0x8b, 0x08, 0x00],
        1 => vec![0x28, 0xb5, 0x2f, 0xfd],
        _ => Vec::new(),
    };
    bytes.extend_from_slice(rest);
    let Ok((reader, _)) = decoded(Box::new(std::io::Cursor::new(bytes)), None) else { return };
    let spec = TallySpec::default();
    let mut sink = Tallier::new(&spec);
    let max_line = 1 + usize::from(choice) * 8;
    let mut blocks = BlockReader::new(reader, 97, max_line);
    let mut total = 0u64;
    for block in blocks.by_ref() {
        total += block.data.len() as u64;
        scan_block(&block.data, 0, block.seq, block.skipped_before, max_line, &mut sink);
        // A decompression bomb is not a bug; stop early to keep runs short.
        if total > 64 << 20 {
            break;
        }
    }
    let input = &sink.tally.input;
    assert_eq!(input.accounted(), input.lines);
});
