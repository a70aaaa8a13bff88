//! Profiling helper: connects one client and server of a contender (full
//! handshake, P-256, AES-128-GCM), drops the server and leaks the client,
//! so a heap profiler shows what an idle client holds at exit:
//!
//! ```text
//! cargo build --release -p embertls-bench --examples
//! valgrind --tool=dhat target/release/examples/idle_heap embertls+aws-lc
//! ```
//!
//! With `server` as second argument the server is kept instead.

use embertls_bench::{all_contenders, ServerKey};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "embertls+aws-lc".into());
    let keep_server = args.next().as_deref() == Some("server");
    let contender = all_contenders()
        .into_iter()
        .find(|c| c.name() == name)
        .ok_or(format!("no contender {name}"))?;
    let mut handshaker = contender.full(ServerKey::P256)?;
    drop(handshaker.connect()?);
    let pair = handshaker.connect()?;
    drop(handshaker);
    if keep_server {
        drop(pair.client);
        std::mem::forget(pair.server);
    } else {
        drop(pair.server);
        std::mem::forget(pair.client);
    }
    Ok(())
}
