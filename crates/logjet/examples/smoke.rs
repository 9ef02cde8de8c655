use logjet::{Builder, Handler, Level, Stream};
fn main() {
    let _g = Builder::new().level(Level::DEBUG)
        .handler(Handler::console(Stream::Stderr))
        .handler(Handler::file("/tmp/lj/smoke.jsonl").unwrap())
        .init().unwrap();
    let id = 42;
    logjet::info!("user {id} logged in"; user_id = id, ip = "1.2.3.4", latency_ms = 3.5);
    logjet::debug!("static message");
    let err = std::io::Error::other("boom");
    logjet::error!("failed"; err = logjet::error(&err), who = %"me", dbg = ?vec![1,2]);
    let db = logjet::logger("app.db").bind(logjet::fields!(pool = "primary"));
    let _c = logjet::context(logjet::fields!(request_id = 7));
    logjet::warning!(logger: db, "slow query\nforged line \x1b[31mred"; ms = 250u64);
}
