//! Static call-site data: one `static` per macro invocation, so a record carries one
//! pointer instead of its module, file, line and function.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use crate::encode::Location;

/// Threshold of a call site that has not been registered yet: every level passes it, which
/// sends the first call down the slow path that registers it.
pub(crate) const UNREGISTERED: u32 = 0;
/// Threshold that no level reaches: the logger is switched off.
pub(crate) const OFF: u32 = 256;

/// What a logging macro knows at compile time about where it is.
#[doc(hidden)]
pub struct Callsite {
    module: &'static str,
    file: &'static str,
    line: u32,
    function: fn() -> &'static str,
    /// `function`'s result made into a plain function name, on first use.
    function_name: OnceLock<&'static str>,
    /// Lowest level the global pipeline wants from here, cached (see [`UNREGISTERED`]).
    threshold: AtomicU32,
    /// Id of the logger named after `module` in the global pipeline.
    logger_id: AtomicU32,
}

impl Callsite {
    /// Used by the macros.
    pub const fn new(
        module: &'static str,
        file: &'static str,
        line: u32,
        function: fn() -> &'static str,
    ) -> Callsite {
        Callsite {
            module,
            file,
            line,
            function,
            function_name: OnceLock::new(),
            threshold: AtomicU32::new(UNREGISTERED),
            logger_id: AtomicU32::new(0),
        }
    }

    /// Whether the global instance wants a record at `level` from here: one relaxed
    /// load and a compare. The first call registers the call site (before the macro
    /// evaluates any argument).
    #[inline(always)]
    pub fn enabled(&'static self, level: u8) -> bool {
        let threshold = self.threshold.load(Ordering::Relaxed);
        level as u32 >= threshold && (threshold != UNREGISTERED || self.register(level))
    }

    #[cold]
    fn register(&'static self, level: u8) -> bool {
        let core = crate::pipeline::global();
        core.loggers
            .register_callsite(self, || core.current_topology());
        level as u32 >= self.threshold()
    }

    pub(crate) fn set_interest(&self, threshold: u32, logger_id: u32) {
        self.logger_id.store(logger_id, Ordering::Relaxed);
        self.threshold.store(threshold, Ordering::Relaxed);
    }

    pub(crate) fn threshold(&self) -> u32 {
        self.threshold.load(Ordering::Relaxed)
    }

    pub(crate) fn logger_id(&self) -> u32 {
        self.logger_id.load(Ordering::Relaxed)
    }

    pub(crate) fn module(&self) -> &'static str {
        self.module
    }

    pub(crate) fn location(&self) -> Location<'static> {
        Location {
            module: self.module,
            file: self.file,
            function: self
                .function_name
                .get_or_init(|| function_name((self.function)())),
            line: self.line,
        }
    }
}

/// Turns the type name of a marker `fn` declared inside the calling function
/// (`app::db::connect::__logjet_here`) into that function's name (`connect`).
fn function_name(marker_path: &'static str) -> &'static str {
    let mut segments = marker_path.rsplit("::").skip(1);
    segments
        .find(|s| !s.starts_with("{{"))
        .unwrap_or("<module>")
}

/// The logger name for a module path: `my_app::db` becomes `my_app.db`.
pub(crate) fn logger_name_for_module(module: &str) -> String {
    module.replace("::", ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_skip_closures_and_the_marker() {
        assert_eq!(function_name("app::db::connect::__logjet_here"), "connect");
        assert_eq!(
            function_name("app::run::{{closure}}::{{closure}}::__logjet_here"),
            "run"
        );
        assert_eq!(function_name("__logjet_here"), "<module>");
    }

    #[test]
    fn module_paths_become_dotted_logger_names() {
        assert_eq!(logger_name_for_module("my_app::db::pool"), "my_app.db.pool");
    }
}
