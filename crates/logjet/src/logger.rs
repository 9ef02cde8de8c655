//! Named loggers in a dotted hierarchy, with levels checked on the caller's side by one
//! atomic load, and fields bound to a logger.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::callsite::{logger_name_for_module, Callsite, UNREGISTERED};
use crate::encode::Encoder;
use crate::fields::Fields;
use crate::level::Level;
use crate::message::Message;
use crate::pipeline::{lock, Core, Head, Topology};

/// One logger's identity and cached threshold.
pub(crate) struct LoggerNode {
    pub(crate) id: u32,
    /// Dotted name; "root" for the root logger.
    pub(crate) name: Box<str>,
    threshold: AtomicU32,
}

impl LoggerNode {
    /// Whether a record at `level` is wanted: one atomic load and a compare.
    #[inline(always)]
    pub(crate) fn enabled(&self, level: Level) -> bool {
        level.as_u8() as u32 >= self.threshold.load(Ordering::Relaxed)
    }
}

/// All loggers of an instance, by name and by id, plus the call sites that cache their
/// logger's threshold (global instance only).
pub(crate) struct LoggerRegistry {
    nodes: RwLock<Nodes>,
    callsites: Mutex<Vec<&'static Callsite>>,
}

#[derive(Default)]
struct Nodes {
    by_name: HashMap<Box<str>, Arc<LoggerNode>>,
    by_id: Vec<Arc<LoggerNode>>,
}

impl LoggerRegistry {
    pub(crate) fn new() -> LoggerRegistry {
        LoggerRegistry {
            nodes: RwLock::new(Nodes::default()),
            callsites: Mutex::new(Vec::new()),
        }
    }

    /// The logger called `name` ("" and "root" are the root), created on first use.
    pub(crate) fn get_or_create(
        &self,
        name: &str,
        topology: impl FnOnce() -> Arc<Topology>,
    ) -> Arc<LoggerNode> {
        let name = if name.is_empty() { "root" } else { name };
        if let Some(node) = self.read().by_name.get(name) {
            return node.clone();
        }
        let mut nodes = self.nodes.write().unwrap_or_else(|p| p.into_inner());
        if let Some(node) = nodes.by_name.get(name) {
            return node.clone();
        }
        let node = Arc::new(LoggerNode {
            id: nodes.by_id.len() as u32,
            name: name.into(),
            // Read under the lock that `apply` takes too, after the instance stores a new
            // topology: a logger created during a reconfiguration gets the new threshold
            // either here or from `apply`.
            threshold: AtomicU32::new(topology().threshold(name)),
        });
        nodes.by_name.insert(name.into(), node.clone());
        nodes.by_id.push(node.clone());
        node
    }

    /// The logger with id `id` (ids come from records, so it exists).
    pub(crate) fn by_id(&self, id: u32) -> Arc<LoggerNode> {
        self.read().by_id[id as usize].clone()
    }

    /// Recomputes every logger's and call site's threshold for a new topology.
    pub(crate) fn apply(&self, topology: &Topology) {
        let callsites = lock(&self.callsites);
        let nodes = self.read();
        for node in &nodes.by_id {
            node.threshold
                .store(topology.threshold(&node.name), Ordering::Relaxed);
        }
        for site in callsites.iter() {
            let node = &nodes.by_id[site.logger_id() as usize];
            site.set_interest(node.threshold.load(Ordering::Relaxed), node.id);
        }
    }

    /// Registers a call site of the global instance: it caches the threshold of the logger
    /// named after its module from now on.
    pub(crate) fn register_callsite(
        &self,
        site: &'static Callsite,
        topology: impl FnOnce() -> Arc<Topology>,
    ) {
        let node = self.get_or_create(&logger_name_for_module(site.module()), topology);
        let mut callsites = lock(&self.callsites);
        if site.threshold() == UNREGISTERED {
            callsites.push(site);
        }
        site.set_interest(node.threshold.load(Ordering::Relaxed), node.id);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Nodes> {
        self.nodes.read().unwrap_or_else(|p| p.into_inner())
    }
}

/// A named logger. Cheap to clone; records logged through it carry its name and the
/// fields bound to it.
///
/// ```
/// let db = logjet::logger("app.db").bind(logjet::fields!(pool = "primary"));
/// logjet::info!(logger: db, "connected"; attempt = 1);
/// ```
#[derive(Clone)]
pub struct Logger {
    core: Arc<Core>,
    node: Arc<LoggerNode>,
    bound: Option<Arc<[u8]>>,
}

impl Logger {
    pub(crate) fn new(core: &Arc<Core>, name: &str) -> Logger {
        Logger {
            node: core.logger_node(name),
            core: core.clone(),
            bound: None,
        }
    }

    pub(crate) fn id(&self) -> u32 {
        self.node.id
    }

    /// The dotted name (`root` for the root logger).
    pub fn name(&self) -> &str {
        &self.node.name
    }

    /// Whether a record at `level` would be captured: one atomic load and a compare.
    #[inline(always)]
    pub fn enabled(&self, level: Level) -> bool {
        self.node.enabled(level)
    }

    /// A logger that adds `fields` to every record, after the fields already bound.
    pub fn bind(&self, fields: Fields) -> Logger {
        let mut encoded = self.bound.as_deref().unwrap_or_default().to_vec();
        encoded.extend_from_slice(fields.encoded());
        Logger {
            core: self.core.clone(),
            node: self.node.clone(),
            bound: Some(encoded.into()),
        }
    }

    /// The logger `self.name + "." + suffix` (Python's `getChild`), with the same bound fields.
    pub fn child(&self, suffix: &str) -> Logger {
        let name = if &*self.node.name == "root" {
            suffix.to_owned()
        } else {
            format!("{}.{suffix}", self.node.name)
        };
        Logger {
            bound: self.bound.clone(),
            ..Logger::new(&self.core, &name)
        }
    }

    /// Used by the macros: captures one record through this logger.
    #[doc(hidden)]
    #[inline(never)]
    pub fn __log(
        &self,
        site: &'static Callsite,
        level: Level,
        message: Message<'_>,
        fields: impl FnOnce(&mut Encoder<'_>),
    ) {
        let head = Head {
            bound: self.bound.as_deref(),
            ..Head::at_site(level, self.node.id, site)
        };
        crate::pipeline::submit_record(&self.core, head, message, fields);
    }
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logger")
            .field("name", &self.node.name)
            .finish_non_exhaustive()
    }
}
