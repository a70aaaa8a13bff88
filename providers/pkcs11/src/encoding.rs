//! The few DER encodings between PKCS#11 and TLS: ECDSA signatures,
//! PKCS#1 DigestInfo, named-curve parameters.

use embertls::msgs::enums::HashAlgorithm;
use sha2::Digest;

/// `CKA_EC_PARAMS` of P-256: the DER OID 1.2.840.10045.3.1.7.
pub(crate) const EC_PARAMS_P256: &[u8] =
    &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// `CKA_EC_PARAMS` of P-384: the DER OID 1.3.132.0.34.
pub(crate) const EC_PARAMS_P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];

/// The message digest TLS signs, computed here so the token only sees
/// a hash.
pub(crate) fn digest(hash: HashAlgorithm, message: &[u8]) -> Option<Vec<u8>> {
    Some(match hash {
        HashAlgorithm::SHA256 => sha2::Sha256::digest(message).to_vec(),
        HashAlgorithm::SHA384 => sha2::Sha384::digest(message).to_vec(),
        HashAlgorithm::SHA512 => sha2::Sha512::digest(message).to_vec(),
        _ => return None,
    })
}

/// `DigestInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }` for
/// PKCS#1 v1.5 signatures made with the raw `CKM_RSA_PKCS` mechanism.
pub(crate) fn digest_info(hash: HashAlgorithm, digest: &[u8]) -> Option<Vec<u8>> {
    let (oid_last, len) = match hash {
        HashAlgorithm::SHA256 => (0x01, 32),
        HashAlgorithm::SHA384 => (0x02, 48),
        HashAlgorithm::SHA512 => (0x03, 64),
        _ => return None,
    };
    if digest.len() != len {
        return None;
    }
    let mut out = vec![
        0x30,
        0x0d + 2 + len as u8 + 2,
        0x30,
        0x0d,
        0x06,
        0x09,
        0x60,
        0x86,
        0x48,
        0x01,
        0x65,
        0x03,
        0x04,
        0x02,
        oid_last,
        0x05,
        0x00,
        0x04,
        len as u8,
    ];
    out.extend_from_slice(digest);
    Some(out)
}

/// PKCS#11 returns ECDSA signatures as `r || s`, each as long as the
/// curve's order; TLS wants `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER,
/// s INTEGER }`. `None` when the length is not `2 * scalar_len` or a
/// half is zero.
pub(crate) fn ecdsa_raw_to_der(raw: &[u8], scalar_len: usize) -> Option<Vec<u8>> {
    if raw.len() != 2 * scalar_len {
        return None;
    }
    let (r, s) = raw.split_at(scalar_len);
    let r = der_integer(r)?;
    let s = der_integer(s)?;
    let mut out = vec![0x30];
    push_len(&mut out, r.len() + s.len());
    out.extend_from_slice(&r);
    out.extend_from_slice(&s);
    Some(out)
}

/// A DER INTEGER holding the unsigned big-endian `bytes` (not zero).
fn der_integer(bytes: &[u8]) -> Option<Vec<u8>> {
    let start = bytes.iter().position(|&b| b != 0)?;
    let value = &bytes[start..];
    let pad = value[0] & 0x80 != 0;
    let mut out = vec![0x02];
    push_len(&mut out, value.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(value);
    Some(out)
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

/// The bit length of a big-endian unsigned integer.
pub(crate) fn bit_len(bytes: &[u8]) -> usize {
    match bytes.iter().position(|&b| b != 0) {
        None => 0,
        Some(i) => (bytes.len() - i) * 8 - bytes[i].leading_zeros() as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_der_pads_high_bits_and_strips_zeros() {
        let mut raw = vec![0u8; 64];
        raw[0] = 0x80; // r: high bit set, needs a 0x00 pad
        raw[31] = 1;
        raw[63] = 0x05; // s: 31 leading zeros stripped
        let der = ecdsa_raw_to_der(&raw, 32).unwrap();
        assert_eq!(&der[..4], &[0x30, 2 + 33 + 3, 0x02, 33]);
        assert_eq!(der[4], 0x00);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x05]);
        assert_eq!(der.len(), 2 + (2 + 33) + 3);
    }

    #[test]
    fn ecdsa_der_refuses_bad_shapes() {
        assert!(ecdsa_raw_to_der(&[1u8; 63], 32).is_none());
        let mut zero_s = vec![1u8; 96];
        zero_s[48..].fill(0);
        assert!(ecdsa_raw_to_der(&zero_s, 48).is_none());
    }

    #[test]
    fn p384_signature_fits_short_lengths() {
        let der = ecdsa_raw_to_der(&[0xff; 96], 48).unwrap();
        assert_eq!(der[1] as usize, der.len() - 2);
        assert_eq!(der.len(), 2 + 2 * (2 + 49));
    }

    #[test]
    fn digest_info_matches_rfc8017_prefixes() {
        let d = digest(HashAlgorithm::SHA256, b"abc").unwrap();
        let info = digest_info(HashAlgorithm::SHA256, &d).unwrap();
        // RFC 8017 section 9.2, note 1.
        let prefix = [
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ];
        assert_eq!(&info[..19], &prefix);
        let d = digest(HashAlgorithm::SHA512, b"abc").unwrap();
        let info = digest_info(HashAlgorithm::SHA512, &d).unwrap();
        assert_eq!(&info[..2], &[0x30, 0x51]);
        assert_eq!(info.len(), 19 + 64);
        assert!(digest_info(HashAlgorithm::SHA384, &d).is_none());
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_len(&[0, 0x01, 0xff]), 9);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert_eq!(bit_len(&[0, 0]), 0);
    }
}
