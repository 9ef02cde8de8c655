//! The libraries under test, one module each, behind the [`Bench`] trait.
//!
//! Adding a library means adding one module that implements [`Bench`] for each API it
//! offers and listing its variants in [`VARIANTS`].

pub mod baseline;
pub mod fast_log;
pub mod ftlog;
pub mod log4rs;
pub mod logforth;
pub mod logjet;
pub mod slog;
pub mod spdlog;
pub mod tracing;

use std::path::Path;

/// Records a bounded queue holds, for every library that lets us choose.
pub const QUEUE_RECORDS: usize = 128_000;

/// Which logging API the benchmark calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// The library's own macros.
    Native,
    /// `log::info!` through the `log` facade.
    Log,
    /// `tracing::info!` through a `tracing` subscriber.
    Tracing,
}

impl Api {
    /// How the table names the API.
    pub fn label(self) -> &'static str {
        match self {
            Api::Native => "native",
            Api::Log => "`log`",
            Api::Tracing => "`tracing`",
        }
    }
}

/// What a library reports about its own queue at the end of a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    /// Log calls the library accepted, if it counts them.
    pub emitted: Option<u64>,
    /// Records it dropped, if it counts them.
    pub dropped: Option<u64>,
    /// Records its file handler wrote, if it counts them.
    pub written: Option<u64>,
    /// Extra lines it wrote to report drops, if it counts them.
    pub drop_reports: Option<u64>,
}

/// One library set up for the benchmark: JSON Lines into files under a directory, level
/// INFO. Every call site passes the same message and fields.
pub trait Bench: Sync + Sized {
    /// Starts the library writing into `dir`, configured as `variant` says: a
    /// [`QUEUE_RECORDS`] queue unless it is the library's default configuration.
    fn start(dir: &Path, variant: &Variant) -> Self;

    /// Logs `user {id} logged in` at INFO with `user_id`, `ip` and `latency_ms`.
    fn info(&self, id: u64, ip: &str, latency_ms: f64);

    /// The same call at DEBUG (disabled).
    fn debug(&self, id: u64, ip: &str, latency_ms: f64);

    /// Returns once the library guarantees everything logged so far is written.
    fn finish(self) -> Counters;
}

/// Starting and stopping a library that the benchmark calls through a facade: the calls
/// themselves are the facade's ([`ThroughLog`], [`ThroughTracing`]).
pub trait Setup: Sync + Sized {
    /// As [`Bench::start`].
    fn start(dir: &Path, variant: &Variant) -> Self;

    /// As [`Bench::finish`].
    fn finish(self) -> Counters;
}

/// A library behind the `log` facade, called with `log::info!`.
pub struct ThroughLog<S>(S);

impl<S: Setup> Bench for ThroughLog<S> {
    fn start(dir: &Path, variant: &Variant) -> Self {
        ThroughLog(S::start(dir, variant))
    }

    #[inline]
    fn info(&self, id: u64, ip: &str, latency_ms: f64) {
        log_info(id, ip, latency_ms);
    }

    #[inline]
    fn debug(&self, id: u64, ip: &str, latency_ms: f64) {
        log_debug(id, ip, latency_ms);
    }

    fn finish(self) -> Counters {
        self.0.finish()
    }
}

/// A library behind the `tracing` facade, called with `tracing::info!`.
pub struct ThroughTracing<S>(S);

impl<S: Setup> Bench for ThroughTracing<S> {
    fn start(dir: &Path, variant: &Variant) -> Self {
        ThroughTracing(S::start(dir, variant))
    }

    #[inline]
    fn info(&self, id: u64, ip: &str, latency_ms: f64) {
        tracing_info(id, ip, latency_ms);
    }

    #[inline]
    fn debug(&self, id: u64, ip: &str, latency_ms: f64) {
        tracing_debug(id, ip, latency_ms);
    }

    fn finish(self) -> Counters {
        self.0.finish()
    }
}

/// One configuration that appears as a row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Variant {
    /// Name on the command line.
    pub name: &'static str,
    /// Library as the table shows it.
    pub library: &'static str,
    /// API called.
    pub api: Api,
    /// Queue and overflow policy, as the table shows it.
    pub config: &'static str,
    /// Whether the configuration blocks rather than drops when its queue is full.
    pub lossless: bool,
    /// Whether the flood workload (W5) runs on this variant.
    pub flood: bool,
    /// Whether each output line carries a fixed non-JSON prefix before the JSON object.
    pub prefixed: bool,
}

const fn variant(
    name: &'static str,
    library: &'static str,
    api: Api,
    config: &'static str,
    lossless: bool,
    flood: bool,
) -> Variant {
    Variant {
        name,
        library,
        api,
        config,
        lossless,
        flood,
        prefixed: false,
    }
}

/// Every row, in table order.
pub const VARIANTS: &[Variant] = &[
    variant(
        "logjet",
        "logjet",
        Api::Native,
        "8 MiB ring per thread, Block",
        true,
        true,
    ),
    variant(
        "logjet-drop",
        "logjet",
        Api::Native,
        "8 MiB ring per thread, DropNewest",
        false,
        true,
    ),
    variant(
        "baseline",
        "sync baseline: Mutex<BufWriter<File>>",
        Api::Native,
        "none (synchronous)",
        true,
        true,
    ),
    variant(
        "slog",
        "slog + slog-async + slog-json",
        Api::Native,
        "128,000, Block",
        true,
        true,
    ),
    variant(
        "slog-default",
        "slog + slog-async + slog-json",
        Api::Native,
        "default: 128, DropAndReport",
        false,
        true,
    ),
    variant(
        "spdlog",
        "spdlog-rs AsyncPoolSink + JsonFormatter",
        Api::Native,
        "128,000, Block",
        true,
        true,
    ),
    variant(
        "spdlog-default",
        "spdlog-rs AsyncPoolSink + JsonFormatter",
        Api::Native,
        "default: 8,192, Block",
        true,
        false,
    ),
    variant(
        "tracing",
        "tracing-subscriber json + tracing-appender",
        Api::Tracing,
        "128,000, lossless",
        true,
        true,
    ),
    variant(
        "tracing-default",
        "tracing-subscriber json + tracing-appender",
        Api::Tracing,
        "default: 128,000, lossy",
        false,
        true,
    ),
    variant(
        "fast_log",
        "fast_log (FastLogFormatJson)",
        Api::Log,
        "128,000 (chan_len), Block",
        true,
        true,
    ),
    variant(
        "log4rs",
        "log4rs FileAppender + JsonEncoder",
        Api::Log,
        "none (synchronous)",
        true,
        true,
    ),
    Variant {
        prefixed: true,
        ..variant(
            "ftlog",
            "ftlog (JSON message format)",
            Api::Log,
            "128,000, Block",
            true,
            true,
        )
    },
    Variant {
        prefixed: true,
        ..variant(
            "ftlog-default",
            "ftlog (JSON message format)",
            Api::Log,
            "default: 100,000, drop",
            false,
            true,
        )
    },
    variant(
        "logforth",
        "logforth Async + File + JsonLayout",
        Api::Log,
        "128,000, Block",
        true,
        true,
    ),
    variant(
        "logjet-log",
        "logjet (log bridge)",
        Api::Log,
        "8 MiB ring per thread, Block",
        true,
        false,
    ),
    variant(
        "baseline-log",
        "sync baseline as `log::Log`",
        Api::Log,
        "none (synchronous)",
        true,
        false,
    ),
    variant(
        "slog-log",
        "slog-stdlog → slog-async + slog-json",
        Api::Log,
        "128,000, Block",
        true,
        false,
    ),
    variant(
        "spdlog-log",
        "spdlog-rs (log proxy) AsyncPoolSink",
        Api::Log,
        "128,000, Block",
        true,
        false,
    ),
    variant(
        "logjet-tracing",
        "logjet (tracing layer)",
        Api::Tracing,
        "8 MiB ring per thread, Block",
        true,
        false,
    ),
    variant(
        "baseline-tracing",
        "sync baseline as a `tracing` Layer",
        Api::Tracing,
        "none (synchronous)",
        true,
        false,
    ),
];

impl Variant {
    /// Whether this row keeps the library's default queue and overflow settings.
    pub fn is_default(&self) -> bool {
        self.name.ends_with("-default")
    }
}

/// The variant called `name`.
pub fn find(name: &str) -> Option<&'static Variant> {
    VARIANTS.iter().find(|v| v.name == name)
}

/// Calls the generic function `f` with the [`Bench`] type that implements variant `name`.
#[macro_export]
macro_rules! with_bench {
    ($name:expr, $f:ident ( $($arg:expr),* )) => {{
        use $crate::libs::*;
        match $name {
            "logjet" | "logjet-drop" => $f::<logjet::Native>($($arg),*),
            "logjet-log" => $f::<ThroughLog<logjet::ViaLog>>($($arg),*),
            "logjet-tracing" => $f::<ThroughTracing<logjet::ViaTracing>>($($arg),*),
            "baseline" => $f::<baseline::Native>($($arg),*),
            "baseline-log" => $f::<ThroughLog<baseline::ViaLog>>($($arg),*),
            "baseline-tracing" => $f::<ThroughTracing<baseline::ViaTracing>>($($arg),*),
            "slog" | "slog-default" => $f::<slog::Native>($($arg),*),
            "slog-log" => $f::<ThroughLog<slog::ViaLog>>($($arg),*),
            "spdlog" | "spdlog-default" => $f::<spdlog::Native>($($arg),*),
            "spdlog-log" => $f::<ThroughLog<spdlog::ViaLog>>($($arg),*),
            "tracing" | "tracing-default" => $f::<ThroughTracing<tracing::Subscriber>>($($arg),*),
            "fast_log" => $f::<ThroughLog<fast_log::FastLog>>($($arg),*),
            "log4rs" => $f::<ThroughLog<log4rs::Log4rs>>($($arg),*),
            "ftlog" | "ftlog-default" => $f::<ThroughLog<ftlog::Ftlog>>($($arg),*),
            "logforth" => $f::<ThroughLog<logforth::Logforth>>($($arg),*),
            other => panic!("unknown library {other}"),
        }
    }};
}

/// `log::info!` with the benchmark's message and fields.
#[inline(always)]
pub fn log_info(id: u64, ip: &str, latency_ms: f64) {
    ::log::info!(user_id = id, ip = ip, latency_ms = latency_ms; "user {} logged in", id);
}

/// `log::debug!` with the benchmark's message and fields.
#[inline(always)]
pub fn log_debug(id: u64, ip: &str, latency_ms: f64) {
    ::log::debug!(user_id = id, ip = ip, latency_ms = latency_ms; "user {} logged in", id);
}

/// `tracing::info!` with the benchmark's message and fields.
#[inline(always)]
pub fn tracing_info(id: u64, ip: &str, latency_ms: f64) {
    ::tracing::info!(
        user_id = id,
        ip = ip,
        latency_ms = latency_ms,
        "user {} logged in",
        id
    );
}

/// `tracing::debug!` with the benchmark's message and fields.
#[inline(always)]
pub fn tracing_debug(id: u64, ip: &str, latency_ms: f64) {
    ::tracing::debug!(
        user_id = id,
        ip = ip,
        latency_ms = latency_ms,
        "user {} logged in",
        id
    );
}

/// Opens `dir/name` for appending, creating it.
pub fn create_file(dir: &Path, name: &str) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .expect("cannot create the log file")
}

/// Appends `s` to `out` as a JSON string, quotes included.
pub fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}
