//! Appending short byte strings without a call to `memcpy`, and cutting text on a
//! character boundary.
//!
//! Formatting a record appends a dozen pieces of a few bytes each (keys, separators,
//! short values). `Vec::extend_from_slice` with a length unknown at compile time calls
//! `memcpy`, whose call and dispatch cost more than the copy for such sizes; this module
//! copies up to 16 bytes with at most two pairs of overlapping loads and stores instead
//! (below 4 bytes, the first, middle and last bytes).

use std::ptr;

/// Appends `bytes` to `out`.
#[inline]
pub(crate) fn append(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    if n > 16 {
        out.extend_from_slice(bytes);
        return;
    }
    out.reserve(16);
    let len = out.len();
    let src = bytes.as_ptr();
    // SAFETY: `reserve(16)` leaves room for 16 bytes after `len`, and every write below
    // stays within `n <= 16` bytes of it; every read stays within `bytes`. The first
    // `n` bytes after `len` are initialised before `set_len`.
    unsafe {
        let dst = out.as_mut_ptr().add(len);
        if n >= 8 {
            let head = ptr::read_unaligned(src as *const u64);
            let tail = ptr::read_unaligned(src.add(n - 8) as *const u64);
            ptr::write_unaligned(dst as *mut u64, head);
            ptr::write_unaligned(dst.add(n - 8) as *mut u64, tail);
        } else if n >= 4 {
            let head = ptr::read_unaligned(src as *const u32);
            let tail = ptr::read_unaligned(src.add(n - 4) as *const u32);
            ptr::write_unaligned(dst as *mut u32, head);
            ptr::write_unaligned(dst.add(n - 4) as *mut u32, tail);
        } else if n > 0 {
            // First, middle and last byte cover 1 to 3 bytes; a loop here would be
            // turned into a `memcpy` call.
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
        out.set_len(len + n);
    }
}

/// `0x01` in every byte of a word.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte of a word.
pub(crate) const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of every zero byte of `word` set (the classic SWAR test). A byte above a
/// zero byte may be flagged too, so the lowest flagged byte is always a zero byte.
#[inline]
pub(crate) fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// The high bit of every byte of `word` equal to `byte` set, as [`zero_bytes`] flags them.
#[inline]
pub(crate) fn bytes_equal(word: u64, byte: u8) -> u64 {
    zero_bytes(word ^ (ONES * u64::from(byte)))
}

/// The largest char boundary of `s` at or below `index` (`s.len()` when `index` is past
/// the end).
pub(crate) fn floor_char_boundary(s: &str, index: usize) -> usize {
    if index >= s.len() {
        return s.len();
    }
    (0..=index)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// Appends `s` to `out`.
#[inline]
pub(crate) fn append_str(out: &mut String, s: &str) {
    // SAFETY: appending a whole `&str` keeps the string valid UTF-8.
    append(unsafe { out.as_mut_vec() }, s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_appends_exactly_its_bytes() {
        let source: Vec<u8> = (0..40u8).collect();
        for start_len in [0, 3, 15, 16, 17] {
            for n in 0..=source.len() {
                let mut out = vec![0xAA; start_len];
                out.shrink_to_fit();
                append(&mut out, &source[..n]);
                assert_eq!(out.len(), start_len + n);
                assert!(out[..start_len].iter().all(|&b| b == 0xAA));
                assert_eq!(&out[start_len..], &source[..n]);
            }
        }
        let mut s = String::from("é");
        append_str(&mut s, "→ok");
        assert_eq!(s, "é→ok");
    }

    #[test]
    fn cuts_fall_on_char_boundaries() {
        let s = "aé→"; // 1 + 2 + 3 bytes
        let cuts: Vec<usize> = (0..8).map(|i| floor_char_boundary(s, i)).collect();
        assert_eq!(cuts, [0, 1, 1, 3, 3, 3, 6, 6]);
    }
}
