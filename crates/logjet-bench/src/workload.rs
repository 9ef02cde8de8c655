//! The workloads, run inside a child process on one library.
//!
//! Each prints one line `RESULT key=value ...` on stdout for the parent to read.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::libs::{self, Bench, Counters, Variant};

/// The workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// W1: producers log `records` records in total; the clock stops once all are written.
    Throughput,
    /// W2: one producer, paced calls, each call timed.
    Latency,
    /// W3: DEBUG calls while the level is INFO.
    Disabled,
    /// W5: more producers than cores for a fixed time.
    Flood,
}

impl Workload {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Throughput => "w1",
            Workload::Latency => "w2",
            Workload::Disabled => "w3",
            Workload::Flood => "w5",
        }
    }

    fn parse(s: &str) -> Workload {
        match s {
            "w1" => Workload::Throughput,
            "w2" => Workload::Latency,
            "w3" => Workload::Disabled,
            "w5" => Workload::Flood,
            other => panic!("unknown workload {other}"),
        }
    }
}

/// Sizes of one run.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// W1: records in total; W2: timed calls; W3: calls.
    pub count: u64,
    /// Producer threads (W1, W5).
    pub threads: usize,
    /// W2: time between the starts of two calls.
    pub pace_ns: u64,
    /// W5: how long the producers log.
    pub seconds: f64,
}

impl Params {
    /// The arguments that reproduce these sizes in a child.
    pub fn to_args(self) -> Vec<String> {
        vec![
            "--count".into(),
            self.count.to_string(),
            "--threads".into(),
            self.threads.to_string(),
            "--pace-ns".into(),
            self.pace_ns.to_string(),
            "--seconds".into(),
            self.seconds.to_string(),
        ]
    }
}

/// Untimed calls before W2's timed ones (call sites registered, queues allocated).
pub const WARMUP_CALLS: u64 = 2_000;

const IPS: [&str; 4] = ["10.0.0.1", "192.168.1.20", "172.16.5.4", "10.20.30.40"];

#[inline(always)]
fn args_of(id: u64) -> (u64, &'static str, f64) {
    (id, IPS[(id & 3) as usize], (id % 1000) as f64 * 0.25)
}

/// Entry point of a child: `--library NAME --workload wN --dir DIR` and the sizes.
pub fn child_main(args: &[String]) {
    let mut library = String::new();
    let mut workload = Workload::Throughput;
    let mut dir = PathBuf::new();
    let mut params = Params {
        count: 0,
        threads: 1,
        pace_ns: 0,
        seconds: 0.0,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--library" => library.clone_from(value),
            "--workload" => workload = Workload::parse(value),
            "--dir" => dir = PathBuf::from(value),
            "--count" => params.count = value.parse().expect("--count"),
            "--threads" => params.threads = value.parse().expect("--threads"),
            "--pace-ns" => params.pace_ns = value.parse().expect("--pace-ns"),
            "--seconds" => params.seconds = value.parse().expect("--seconds"),
            other => panic!("unknown argument {other}"),
        }
    }
    let variant = libs::find(&library).unwrap_or_else(|| panic!("unknown library {library}"));
    let result: Vec<(&str, String)> =
        crate::with_bench!(library.as_str(), run(variant, &dir, workload, params));
    let line: Vec<String> = result.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("RESULT {}", line.join(" "));
}

/// Runs one workload on library `L`.
fn run<L: Bench>(
    variant: &Variant,
    dir: &Path,
    workload: Workload,
    params: Params,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let counters = match workload {
        Workload::Throughput => {
            let lib = L::start(dir, variant);
            let threads = params.threads as u64;
            let per_thread = params.count / threads;
            let start = Instant::now();
            std::thread::scope(|s| {
                for t in 0..threads {
                    let lib = &lib;
                    s.spawn(move || {
                        for i in 0..per_thread {
                            let (id, ip, latency) = args_of(t * per_thread + i);
                            lib.info(id, ip, latency);
                        }
                    });
                }
            });
            let counters = lib.finish();
            out.push(("elapsed_ns", start.elapsed().as_nanos().to_string()));
            out.push(("calls", (per_thread * threads).to_string()));
            counters
        }
        Workload::Latency => {
            let lib = L::start(dir, variant);
            let pace = Duration::from_nanos(params.pace_ns);
            let mut next = Instant::now();
            for i in 0..WARMUP_CALLS {
                next += pace;
                while Instant::now() < next {
                    std::hint::spin_loop();
                }
                let (id, ip, latency) = args_of(i);
                lib.info(id, ip, latency);
                // A call that overran its slot is followed by a full gap, not by a burst.
                next = next.max(Instant::now());
            }
            let mut samples = vec![0u64; params.count as usize];
            let mut next = Instant::now();
            for (i, sample) in samples.iter_mut().enumerate() {
                next += pace;
                while Instant::now() < next {
                    std::hint::spin_loop();
                }
                let (id, ip, latency) = args_of(WARMUP_CALLS + i as u64);
                let t0 = Instant::now();
                lib.info(id, ip, latency);
                let t1 = Instant::now();
                *sample = (t1 - t0).as_nanos() as u64;
                next = next.max(t1);
            }
            let counters = lib.finish();
            samples.sort_unstable();
            for (key, q) in [("p50", 0.5), ("p99", 0.99), ("p999", 0.999)] {
                out.push((key, percentile(&samples, q).to_string()));
            }
            out.push(("max", samples.last().copied().unwrap_or(0).to_string()));
            out.push(("clock_ns", clock_overhead_ns().to_string()));
            out.push(("calls", (WARMUP_CALLS + params.count).to_string()));
            counters
        }
        Workload::Disabled => {
            let lib = L::start(dir, variant);
            let n = params.count;
            // Opaque arguments: the id through `black_box` on every call, the others once.
            let (_, ip, latency) = args_of(7);
            let (ip, latency) = (black_box(ip), black_box(latency));
            // The loop alone, without the call, reported beside.
            let start = Instant::now();
            for i in 0..n {
                black_box(i);
            }
            let floor = start.elapsed();
            let start = Instant::now();
            for i in 0..n {
                lib.debug(black_box(i), ip, latency);
            }
            let elapsed = start.elapsed();
            let counters = lib.finish();
            let per_call = |d: Duration| format!("{:.3}", d.as_nanos() as f64 / n as f64);
            out.push(("ns_per_call", per_call(elapsed)));
            out.push(("loop_ns", per_call(floor)));
            out.push(("calls", "0".into()));
            counters
        }
        Workload::Flood => {
            let lib = L::start(dir, variant);
            let stop = AtomicBool::new(false);
            let calls = AtomicU64::new(0);
            let start = Instant::now();
            std::thread::scope(|s| {
                for t in 0..params.threads as u64 {
                    let (lib, stop, calls) = (&lib, &stop, &calls);
                    s.spawn(move || {
                        let mut i = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            let (id, ip, latency) = args_of((t << 40) | i);
                            lib.info(id, ip, latency);
                            i += 1;
                        }
                        calls.fetch_add(i, Ordering::Relaxed);
                    });
                }
                std::thread::sleep(Duration::from_secs_f64(params.seconds));
                stop.store(true, Ordering::Relaxed);
            });
            let logging = start.elapsed();
            let counters = lib.finish();
            out.push(("logging_ns", logging.as_nanos().to_string()));
            out.push(("calls", calls.load(Ordering::Relaxed).to_string()));
            counters
        }
    };
    push_counters(&mut out, counters);
    out.push(("rss_kb", peak_rss_kb().to_string()));
    out
}

fn push_counters(out: &mut Vec<(&'static str, String)>, c: Counters) {
    for (key, value) in [
        ("emitted", c.emitted),
        ("dropped", c.dropped),
        ("written", c.written),
        ("drop_reports", c.drop_reports),
    ] {
        if let Some(v) = value {
            out.push((key, v.to_string()));
        }
    }
}

/// The `q` quantile of sorted `samples` (nearest rank).
pub fn percentile(samples: &[u64], q: f64) -> u64 {
    if samples.is_empty() {
        return 0;
    }
    let rank = ((samples.len() as f64) * q).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

/// The median time of an empty `Instant::now()` pair, included in every W2 sample.
fn clock_overhead_ns() -> u64 {
    let mut samples: Vec<u64> = (0..10_000)
        .map(|_| {
            let t0 = Instant::now();
            black_box(());
            t0.elapsed().as_nanos() as u64
        })
        .collect();
    samples.sort_unstable();
    percentile(&samples, 0.5)
}

/// The process's peak resident set size (`VmHWM`), in KiB.
fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
