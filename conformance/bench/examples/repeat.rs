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
//! bulk-aes256gcm, bulk-chacha20poly1305; TLS 1.2: tls12-full-p256,
//! tls12-full-rsa2048, tls12-resumed-ticket, tls12-resumed-session-id,
//! tls12-bulk-aes128gcm, tls12-bulk-chacha20poly1305,
//! tls12-bulk-aes128cbcsha256; DTLS 1.2: dtls12-full-p256,
//! dtls12-bulk-aes128gcm, dtls12-bulk-chacha20poly1305.

use embertls_bench::{all_contenders, Resumption12, ServerKey, Suite, Suite12, RECORD};

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
    let suite12 = match operation.as_str() {
        "tls12-bulk-aes128gcm" => Some(Suite12::Aes128Gcm),
        "tls12-bulk-chacha20poly1305" => Some(Suite12::ChaCha20Poly1305),
        "tls12-bulk-aes128cbcsha256" => Some(Suite12::Aes128CbcSha256),
        _ => None,
    };
    let dtls = match operation.as_str() {
        "dtls12-bulk-aes128gcm" => Some(Suite12::Aes128Gcm),
        "dtls12-bulk-chacha20poly1305" => Some(Suite12::ChaCha20Poly1305),
        _ => None,
    };
    let bulk = match (suite, suite12, dtls) {
        (Some(suite), _, _) => Some(contender.bulk(suite)?),
        (_, Some(suite), _) => Some(tls12(contender.tls12_bulk(suite))?),
        (_, _, Some(suite)) => Some(tls12(contender.dtls12_bulk(suite))?),
        _ => None,
    };
    if let Some(mut bulk) = bulk {
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
        "tls12-full-p256" => tls12(contender.tls12_full(ServerKey::P256))?,
        "tls12-full-rsa2048" => tls12(contender.tls12_full(ServerKey::Rsa2048))?,
        "tls12-resumed-ticket" => tls12(contender.tls12_resumed(Resumption12::Ticket))?,
        "tls12-resumed-session-id" => tls12(contender.tls12_resumed(Resumption12::SessionId))?,
        "dtls12-full-p256" => tls12(contender.dtls12_full())?,
        other => return Err(format!("unknown operation {other}")),
    };
    for _ in 0..count {
        drop(handshaker.connect()?);
    }
    Ok(())
}

fn tls12<T>(r: Result<T, embertls_bench::Missing>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}
