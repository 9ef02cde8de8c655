//! A single-producer, single-consumer ring of variable-length records.
//!
//! Each logging thread owns the producer side of its own ring, so a log call touches no
//! shared cache line except its own ring's; the backend thread is the only consumer.
//! Records are framed by a `u32` length and padded to 8 bytes; a record that does not fit
//! before the end of the buffer is preceded by a wrap marker and written at the start.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::Thread;

use crate::record::ThreadInfo;

const FRAME_HEADER: usize = 4;
/// How far ahead of the producer the backend maps the ring's pages during the producer's
/// first lap (see [`Ring::populate_ahead`]). The backend tops the margin up once less than
/// half of it is left, so a thread's calls take no page faults unless it logs more than
/// half of this between two backend rounds; a thread that logs little keeps about this
/// much of its ring resident, not all of it.
const MAPPED_AHEAD: usize = 256 * 1024;
const WRAP_MARKER: u32 = u32::MAX;
/// Cache lines prefetched ahead of the producer: a typical record and its frame.
#[cfg(target_arch = "x86_64")]
const PREFETCH_LINES: usize = 4;

/// Keeps the producer's and the consumer's indices on separate cache lines.
#[repr(align(128))]
struct Padded<T>(T);

/// Bytes shared between one producer and one consumer. What each side writes sits on
/// its own cache line, so a log call does not wait for a line the backend just wrote.
pub(crate) struct Ring {
    buf: Memory,
    mask: usize,
    /// Set when the producing thread has exited: the ring goes once it is empty.
    closed: AtomicBool,
    producer: Thread,
    pub(crate) thread: ThreadInfo,
    /// Written by the producer only.
    produced: Padded<Produced>,
    /// Consumer position (bytes, monotonic).
    head: Padded<AtomicUsize>,
    /// Set by a producer waiting for room; the consumer wakes it after freeing space.
    waiting: Padded<AtomicBool>,
}

/// The producer's counters. Atomics so the backend and `stats()` can read them; only the
/// producer writes, so no read-modify-write instruction is needed.
struct Produced {
    /// Producer position (bytes, monotonic).
    tail: AtomicUsize,
    /// Records pushed.
    pushed: AtomicU64,
    /// Records dropped because the ring was full.
    dropped: AtomicU64,
    /// When the current run of drops began and when it last dropped (ns since the epoch);
    /// `drop_run_open` says whether a run is open.
    first_drop_ns: AtomicU64,
    last_drop_ns: AtomicU64,
    drop_run_open: AtomicBool,
}

/// Adds one to a counter that only the calling thread writes.
#[inline(always)]
fn bump(counter: &AtomicU64, order: Ordering) {
    counter.store(counter.load(Ordering::Relaxed) + 1, order);
}

// SAFETY: the bytes are only written by the single producer in the region between `tail`
// and `head + capacity`, and only read by the single consumer between `head` and `tail`;
// the indices are published with release/acquire ordering.
unsafe impl Sync for Ring {}

/// The consumer's position while it reads a batch of records.
struct Reader {
    head: usize,
    tail: usize,
    read: usize,
}

/// The producer's private view: its cached copy of the consumer position.
pub(crate) struct Producer {
    cached_head: usize,
}

/// A ring's bytes: an anonymous mapping of its own, so that a page is resident only once
/// touched and goes back to the system when the ring is dropped. (The allocator may hand
/// out recycled heap memory instead, resident already or zeroed on the spot, which would
/// touch every page in the thread's first log call.)
struct Memory {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: `Memory` owns its mapping; `Ring` governs who reads and writes which bytes.
unsafe impl Send for Memory {}

impl Memory {
    fn new(len: usize) -> Memory {
        #[cfg(unix)]
        {
            // SAFETY: a fresh private anonymous mapping; no existing memory is involved.
            let ptr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            if ptr == libc::MAP_FAILED {
                std::alloc::handle_alloc_error(Self::layout(len));
            }
            Memory {
                ptr: ptr.cast(),
                len,
            }
        }
        #[cfg(not(unix))]
        {
            // SAFETY: the layout has a non-zero size (a ring holds at least one record).
            let ptr = unsafe { std::alloc::alloc_zeroed(Self::layout(len)) };
            if ptr.is_null() {
                std::alloc::handle_alloc_error(Self::layout(len));
            }
            Memory { ptr, len }
        }
    }

    fn layout(len: usize) -> std::alloc::Layout {
        std::alloc::Layout::from_size_align(len, 4096).expect("a ring's size fits in an isize")
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: `ptr` and `len` describe the memory `new` obtained, used by no one now.
        #[cfg(unix)]
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
        #[cfg(not(unix))]
        unsafe {
            std::alloc::dealloc(self.ptr, Self::layout(self.len));
        }
    }
}

impl Ring {
    /// A ring of `capacity` bytes (rounded up to a power of two).
    pub(crate) fn new(capacity: usize, producer: Thread, thread: ThreadInfo) -> Ring {
        let capacity = capacity.next_power_of_two();
        Ring {
            // Mapped by the kernel on first touch; the backend maps pages ahead of the
            // producer (see `populate_ahead`), off the caller's path.
            buf: Memory::new(capacity),
            mask: capacity - 1,
            closed: AtomicBool::new(false),
            producer,
            thread,
            produced: Padded(Produced {
                tail: AtomicUsize::new(0),
                pushed: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                first_drop_ns: AtomicU64::new(0),
                last_drop_ns: AtomicU64::new(0),
                drop_run_open: AtomicBool::new(false),
            }),
            head: Padded(AtomicUsize::new(0)),
            waiting: Padded(AtomicBool::new(false)),
        }
    }

    pub(crate) fn producer() -> Producer {
        Producer { cached_head: 0 }
    }

    fn capacity(&self) -> usize {
        self.mask + 1
    }

    fn base(&self) -> *mut u8 {
        self.buf.ptr
    }

    /// Copies `record` in, or returns `false` when there is no room now.
    /// Must only be called by the ring's producer.
    #[inline(always)]
    pub(crate) fn try_push(&self, producer: &mut Producer, record: &[u8]) -> bool {
        let need = frame_len(record.len());
        debug_assert!(need <= self.capacity() / 2);
        let tail = self.produced.0.tail.load(Ordering::Relaxed);
        let offset = tail & self.mask;
        let contiguous = self.capacity() - offset;
        let padding = if contiguous < need { contiguous } else { 0 };
        if tail + padding + need - producer.cached_head > self.capacity() {
            producer.cached_head = self.head.0.load(Ordering::Acquire);
            if tail + padding + need - producer.cached_head > self.capacity() {
                return false;
            }
        }
        let base = self.base();
        let mut write_at = offset;
        if padding > 0 {
            // SAFETY: [offset, offset + 4) is free (checked above) and inside the buffer:
            // offsets are multiples of 8, so at least 8 bytes remain before the end.
            unsafe { std::ptr::write_unaligned(base.add(offset) as *mut u32, WRAP_MARKER) };
            write_at = 0;
        }
        // SAFETY: [write_at, write_at + need) is free and inside the buffer.
        unsafe {
            std::ptr::write_unaligned(base.add(write_at) as *mut u32, record.len() as u32);
            std::ptr::copy_nonoverlapping(
                record.as_ptr(),
                base.add(write_at + FRAME_HEADER),
                record.len(),
            );
        }
        let new_tail = tail + padding + need;
        self.produced.0.tail.store(new_tail, Ordering::Release);
        bump(&self.produced.0.pushed, Ordering::Relaxed);
        self.prefetch_for_write(new_tail);
        true
    }

    /// Asks the CPU to fetch the lines the next record will go to: they were last touched
    /// by the backend a lap ago, and a paced caller would otherwise wait for them in the
    /// middle of its next call. The hint is "for writing" only where the target has
    /// `prfchw`; the default x86-64 target compiles it to a plain `prefetcht0`.
    #[inline]
    fn prefetch_for_write(&self, tail: usize) {
        #[cfg(target_arch = "x86_64")]
        for line in 0..PREFETCH_LINES {
            let at = (tail + line * 64) & self.mask;
            // SAFETY: a prefetch is a hint that never faults; `at` is inside the buffer.
            unsafe {
                use core::arch::x86_64::{_mm_prefetch, _MM_HINT_ET0};
                _mm_prefetch::<_MM_HINT_ET0>(self.base().add(at) as *const i8);
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = tail;
    }

    /// Maps the pages the producer will write next, so that its calls take no page faults
    /// (the first lap through fresh memory would take one every 4 KiB), without making the
    /// whole ring resident for a thread that logs little. `mapped` is how far the ring is
    /// mapped, kept by the caller; once the producer has gone round, everything it uses is
    /// mapped. Called by the backend on every round; the producer may be writing meanwhile,
    /// which is fine: populating leaves the contents of mapped pages alone.
    pub(crate) fn populate_ahead(&self, mapped: &mut usize) {
        let capacity = self.capacity();
        if *mapped >= capacity {
            return;
        }
        let tail = self.produced.0.tail.load(Ordering::Relaxed);
        if tail >= capacity {
            // The producer has gone round: what it wrote beyond `mapped` it faulted in
            // itself, but pages it skipped at the end (wrap padding) are still unmapped.
            self.populate(*mapped, capacity);
            *mapped = capacity;
            return;
        }
        if *mapped >= tail + MAPPED_AHEAD / 2 {
            return;
        }
        let to = (tail + MAPPED_AHEAD).min(capacity);
        self.populate(*mapped, to);
        *mapped = to;
    }

    /// Faults in the pages of bytes `from..to` of the buffer.
    fn populate(&self, from: usize, to: usize) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let page = page_size();
            let base = self.base() as usize;
            let start = (base + from) / page * page;
            let end = (base + to)
                .next_multiple_of(page)
                .min(base + self.capacity());
            if end > start {
                // SAFETY: [start, end) lies inside this ring's mapping, which starts on a
                // page boundary; MADV_POPULATE_WRITE only faults pages in. Kernels before
                // 5.14 refuse it, and the pages are then mapped on first use.
                unsafe {
                    libc::madvise(
                        start as *mut libc::c_void,
                        end - start,
                        libc::MADV_POPULATE_WRITE,
                    )
                };
            }
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = (from, to);
    }

    /// Counts a record the producer dropped at `now_ns`. Producer only.
    pub(crate) fn note_drop(&self, now_ns: u64) {
        let p = &self.produced.0;
        if !p.drop_run_open.load(Ordering::Relaxed) {
            p.first_drop_ns.store(now_ns, Ordering::Relaxed);
            p.drop_run_open.store(true, Ordering::Relaxed);
        }
        p.last_drop_ns.store(now_ns, Ordering::Relaxed);
        bump(&p.dropped, Ordering::Release);
    }

    /// Closes the current run of drops, returning when it began and when it last dropped.
    /// Consumer only.
    pub(crate) fn take_drop_window(&self) -> (u64, u64) {
        let p = &self.produced.0;
        let window = (
            p.first_drop_ns.load(Ordering::Relaxed),
            p.last_drop_ns.load(Ordering::Relaxed),
        );
        p.drop_run_open.store(false, Ordering::Relaxed);
        window
    }

    /// Whether more than half of the ring is in use (the producer nudges the backend then).
    #[inline]
    pub(crate) fn over_half(&self, producer: &Producer) -> bool {
        self.produced.0.tail.load(Ordering::Relaxed) - producer.cached_head > self.capacity() / 2
    }

    /// A cursor over the records present now. Consumer only.
    fn reader(&self) -> Reader {
        Reader {
            head: self.head.0.load(Ordering::Relaxed),
            tail: self.produced.0.tail.load(Ordering::Acquire),
            read: 0,
        }
    }

    /// The reader's next record, left in place. Consumer only.
    fn peek(&self, reader: &mut Reader) -> Option<&[u8]> {
        let base = self.base();
        while reader.head < reader.tail {
            let offset = reader.head & self.mask;
            // SAFETY: [head, tail) was published by the producer with release ordering,
            // and the producer does not touch it until `release` hands it back.
            let len = unsafe { std::ptr::read_unaligned(base.add(offset) as *const u32) };
            if len == WRAP_MARKER {
                reader.head += self.capacity() - offset;
                continue;
            }
            // SAFETY: as above.
            return Some(unsafe {
                std::slice::from_raw_parts(base.add(offset + FRAME_HEADER), len as usize)
            });
        }
        None
    }

    /// Consumes the record `peek` returned; hands space back to the producer now and then.
    fn advance(&self, reader: &mut Reader, record_len: usize) {
        reader.head += frame_len(record_len);
        reader.read += 1;
        if reader.read % 256 == 0 {
            self.release(reader.head);
        }
    }

    /// Hands back the space of everything the reader consumed; returns how many records.
    fn finish(&self, reader: Reader) -> usize {
        self.release(reader.head);
        reader.read
    }

    /// Calls `each` on every record present when the call starts, then frees their space.
    #[cfg(test)]
    pub(crate) fn drain(&self, mut each: impl FnMut(&[u8])) -> usize {
        drain_merged(&[self], |_| 0, |_, record| each(record))
    }

    fn release(&self, head: usize) {
        self.head.0.store(head, Ordering::SeqCst);
        if self.waiting.0.load(Ordering::SeqCst) && self.waiting.0.swap(false, Ordering::SeqCst) {
            self.producer.unpark();
        }
    }

    /// Announces that the producer is about to park until there is room.
    pub(crate) fn announce_wait(&self) {
        self.waiting.0.store(true, Ordering::SeqCst);
    }

    /// Records pushed so far.
    pub(crate) fn pushed(&self) -> u64 {
        self.produced.0.pushed.load(Ordering::Relaxed)
    }

    /// Records dropped so far.
    pub(crate) fn dropped(&self) -> u64 {
        self.produced.0.dropped.load(Ordering::Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.head.0.load(Ordering::Acquire) == self.produced.0.tail.load(Ordering::Acquire)
    }

    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

fn frame_len(record_len: usize) -> usize {
    (FRAME_HEADER + record_len + 7) & !7
}

/// The size of a memory page.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize
}

/// Calls `each` on every record present in `rings` when the call starts, lowest `key`
/// first across rings (each ring's records stay in their order), then frees their space.
/// Returns how many records.
pub(crate) fn drain_merged(
    rings: &[&Ring],
    key: impl Fn(&[u8]) -> u64,
    mut each: impl FnMut(&Ring, &[u8]),
) -> usize {
    let mut readers: Vec<Reader> = rings.iter().map(|r| r.reader()).collect();
    // Each ring's next record and its key, peeked once: choosing the next record compares
    // these, instead of peeking every ring again for every record (64 threads meant 64
    // peeks a record).
    let mut heads: Vec<Option<(&[u8], u64)>> = rings
        .iter()
        .zip(&mut readers)
        .map(|(ring, reader)| next_of(ring, reader, &key))
        .collect();
    loop {
        let mut next: Option<(usize, u64)> = None;
        for (i, head) in heads.iter().enumerate() {
            if let Some((_, k)) = *head {
                if next.is_none_or(|(_, best)| k < best) {
                    next = Some((i, k));
                }
            }
        }
        let Some((i, _)) = next else { break };
        let (record, _) = heads[i].expect("chosen above");
        each(rings[i], record);
        // The record's space may go back to the producer from here on: its slice is
        // replaced before anything reads it again.
        rings[i].advance(&mut readers[i], record.len());
        heads[i] = next_of(rings[i], &mut readers[i], &key);
    }
    rings
        .iter()
        .zip(readers)
        .map(|(ring, reader)| ring.finish(reader))
        .sum()
}

/// The reader's next record in `ring` and its key.
fn next_of<'r>(
    ring: &'r Ring,
    reader: &mut Reader,
    key: &impl Fn(&[u8]) -> u64,
) -> Option<(&'r [u8], u64)> {
    ring.peek(reader).map(|record| (record, key(record)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(capacity: usize) -> Ring {
        let info = ThreadInfo {
            name: "test".into(),
            id: 1,
        };
        Ring::new(capacity, std::thread::current(), info)
    }

    /// A record whose key (its first eight bytes) is `key`, and which names its ring.
    fn keyed(key: u64, ring: u8) -> Vec<u8> {
        let mut record = key.to_ne_bytes().to_vec();
        record.push(ring);
        record
    }

    #[test]
    fn merged_draining_takes_the_lowest_key_first_and_keeps_each_rings_order() {
        let rings: Vec<Ring> = (0..3).map(|_| ring(64 * 1024)).collect();
        let mut producers: Vec<Producer> = (0..3).map(|_| Ring::producer()).collect();
        // Keys 0..900 dealt round-robin, so every ring holds 300 records (past the
        // 256-record point where draining hands space back), plus a last record in ring
        // 0 whose key is lower than ones before it: it comes after them, as soon as it is
        // its ring's next (right after key 897) and its key is the lowest next one.
        for key in 0..900u64 {
            let r = (key % 3) as usize;
            assert!(rings[r].try_push(&mut producers[r], &keyed(key, r as u8)));
        }
        assert!(rings[0].try_push(&mut producers[0], &keyed(1, 0)));
        let mut seen = Vec::new();
        let count = drain_merged(
            &rings.iter().collect::<Vec<_>>(),
            |record| u64::from_ne_bytes(record[..8].try_into().unwrap()),
            |ring, record| {
                let r = record[8] as usize;
                assert!(std::ptr::eq(ring, &rings[r]), "record handed with its ring");
                seen.push((u64::from_ne_bytes(record[..8].try_into().unwrap()), r));
            },
        );
        assert_eq!(count, 901);
        let mut expected: Vec<(u64, usize)> = (0..900).map(|k| (k, (k % 3) as usize)).collect();
        expected.insert(898, (1, 0));
        assert_eq!(seen, expected);
        assert!(rings.iter().all(|r| r.is_empty()));
    }

    #[test]
    fn records_come_out_in_order_across_wraps() {
        let ring = ring(256);
        let mut producer = Ring::producer();
        let mut next_expected = 0u32;
        for round in 0..200u32 {
            let len = (round % 37) as usize;
            let mut record = round.to_ne_bytes().to_vec();
            record.resize(4 + len, 0xAB);
            while !ring.try_push(&mut producer, &record) {
                ring.drain(|r| {
                    assert_eq!(
                        u32::from_ne_bytes(r[..4].try_into().unwrap()),
                        next_expected
                    );
                    next_expected += 1;
                });
            }
        }
        ring.drain(|r| {
            assert_eq!(
                u32::from_ne_bytes(r[..4].try_into().unwrap()),
                next_expected
            );
            next_expected += 1;
        });
        assert_eq!(next_expected, 200);
        assert!(ring.is_empty());
    }

    #[test]
    fn a_full_ring_refuses_instead_of_overwriting() {
        let ring = ring(128);
        let mut producer = Ring::producer();
        let record = [7u8; 28];
        let mut accepted = 0;
        while ring.try_push(&mut producer, &record) {
            accepted += 1;
        }
        assert_eq!(accepted, 4);
        assert_eq!(ring.drain(|r| assert_eq!(r, &record)), 4);
        assert!(ring.try_push(&mut producer, &record));
    }

    #[test]
    fn concurrent_producer_and_consumer_lose_nothing() {
        let ring = std::sync::Arc::new(ring(1024));
        let consumer = {
            let ring = ring.clone();
            std::thread::spawn(move || {
                let mut seen = 0u64;
                while seen < 100_000 {
                    ring.drain(|r| {
                        assert_eq!(u64::from_ne_bytes(r[..8].try_into().unwrap()), seen);
                        seen += 1;
                    });
                }
            })
        };
        let mut producer = Ring::producer();
        for i in 0..100_000u64 {
            let mut record = i.to_ne_bytes().to_vec();
            record.resize(8 + (i % 50) as usize, 1);
            while !ring.try_push(&mut producer, &record) {
                std::hint::spin_loop();
            }
        }
        consumer.join().unwrap();
    }

    /// Bytes of the ring's memory resident now.
    #[cfg(target_os = "linux")]
    fn resident_bytes(ring: &Ring) -> usize {
        let page = page_size();
        let mut pages = vec![0u8; ring.capacity() / page];
        // SAFETY: the ring's mapping is page-aligned and `pages` has one byte per page.
        let rc = unsafe { libc::mincore(ring.base().cast(), ring.capacity(), pages.as_mut_ptr()) };
        assert_eq!(rc, 0);
        pages.iter().filter(|p| *p & 1 != 0).count() * page
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn only_the_part_of_the_ring_in_use_and_a_margin_are_resident() {
        let ring = ring(8 << 20);
        let mut producer = Ring::producer();
        let mut mapped = 0;
        assert_eq!(resident_bytes(&ring), 0, "a fresh ring takes no memory");

        let record = [5u8; 120];
        // What is in use, rounded up to whole pages, and the margin.
        let check = |mapped: usize| {
            let tail = ring.produced.0.tail.load(Ordering::Relaxed);
            assert_eq!(mapped, tail + MAPPED_AHEAD);
            let resident = resident_bytes(&ring);
            assert_eq!(
                resident,
                mapped.next_multiple_of(page_size()),
                "{tail} bytes used"
            );
        };
        assert!(ring.try_push(&mut producer, &record));
        ring.populate_ahead(&mut mapped);
        check(mapped);

        // The producer moves on: the margin follows it, the rest stays unmapped.
        while ring.produced.0.tail.load(Ordering::Relaxed) < 1 << 20 {
            assert!(ring.try_push(&mut producer, &record));
        }
        ring.populate_ahead(&mut mapped);
        check(mapped);

        // Once the producer has gone round, nothing more is mapped by the backend.
        loop {
            ring.drain(|_| {});
            if ring.produced.0.tail.load(Ordering::Relaxed) >= ring.capacity() {
                break;
            }
            while ring.try_push(&mut producer, &record) {}
        }
        ring.populate_ahead(&mut mapped);
        assert_eq!(mapped, ring.capacity());
        assert!(ring.try_push(&mut producer, &record));
        assert_eq!(ring.drain(|r| assert_eq!(r, &record)), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn pages_skipped_at_the_end_of_the_first_lap_are_mapped_once_the_producer_wraps() {
        let ring = ring(1 << 20);
        let mut producer = Ring::producer();
        let mut mapped = 0;
        // Frames of 10,000 bytes: 104 of them fill 1,040,000 bytes, and the last 8,576
        // bytes, two whole 4 KiB pages among them, are skipped when the producer wraps.
        let record = [3u8; 9_996];
        while ring.try_push(&mut producer, &record) {}
        assert_eq!(ring.drain(|r| assert_eq!(r, &record)), 104);
        assert!(ring.try_push(&mut producer, &record), "the producer wraps");
        ring.populate_ahead(&mut mapped);
        assert_eq!(mapped, ring.capacity());
        assert_eq!(resident_bytes(&ring), ring.capacity());
    }
}
