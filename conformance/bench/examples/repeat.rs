//! Profiling helper: runs one contender's handshake (full P-256, full
//! RSA-2048 or resumed) or 16 KiB bulk transfer N times, so an instruction
//! counter gives a per-operation cost free of timing noise:
//!
//! ```text
//! cargo build --release -p embertls-bench --examples
//! valgrind --tool=callgrind target/release/examples/repeat embertls+aws-lc full-p256 200
//! ```
//!
//! Operations: full-p256, full-rsa2048, resumed, bulk-aes128gcm,
//! bulk-aes256gcm, bulk-chacha20poly1305.

use embertls_bench::{all_contenders, ServerKey, Suite, RECORD};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, operation, count] = args.as_slice() else {
        return Err("usage: repeat CONTENDER OPERATION COUNT".into());
    };
    let count: usize = count.parse().map_err(|e| format!("count: {e}"))?;
    let contender = all_contenders()
        .into_iter()
        .find(|c| c.name() == name)
        .ok_or(format!("no contender {name}"))?;
    let suite = match operation.as_str() {
        "bulk-aes128gcm" => Some(Suite::Aes128Gcm),
        "bulk-aes256gcm" => Some(Suite::Aes256Gcm),
        "bulk-chacha20poly1305" => Some(Suite::ChaCha20Poly1305),
        _ => None,
    };
    if let Some(suite) = suite {
        let mut bulk = contender.bulk(suite)?;
        let data = vec![0x5a; RECORD];
        for _ in 0..count {
            bulk.transfer(&data, &mut |_| {})?;
        }
        return Ok(());
    }
    let mut handshaker = match operation.as_str() {
        "full-p256" => contender.full(ServerKey::P256)?,
        "full-rsa2048" => contender.full(ServerKey::Rsa2048)?,
        "resumed" => contender.resumed()?,
        other => return Err(format!("unknown operation {other}")),
    };
    for _ in 0..count {
        drop(handshaker.connect()?);
    }
    Ok(())
}
