//! Just enough DER to tell key formats apart before handing them to
//! aws-lc: which algorithm a PKCS#8 key names and which curve a SEC1 key is
//! on. aws-lc parses (and validates) the keys itself; this only decides
//! which of its parsers to call, so that a well-formed key of a kind we do
//! not sign with is `UnsupportedAlgorithm` rather than `InvalidKey`.

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
/// `[0]` EXPLICIT, as in SEC1's `parameters`.
pub(crate) const TAG_CONTEXT_0: u8 = 0xa0;

/// DER contents of OBJECT IDENTIFIERs (without tag and length).
pub(crate) const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
pub(crate) const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
pub(crate) const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
pub(crate) const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
pub(crate) const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// A cursor over DER bytes.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tag of the next element, if any.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.0.first().copied()
    }

    /// Reads one element with tag `tag` and returns its contents. Only
    /// definite, minimally encoded lengths are accepted.
    pub(crate) fn read(&mut self, tag: u8) -> Option<&'a [u8]> {
        let (&t, rest) = self.0.split_first()?;
        if t != tag {
            return None;
        }
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            // 0x80 is the indefinite form, not DER; four length bytes are
            // far more than any key needs.
            if n == 0 || n > 4 || rest.len() < n || rest[0] == 0 {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return None;
            }
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return None;
        }
        let (contents, rest) = rest.split_at(len);
        self.0 = rest;
        Some(contents)
    }
}

/// The whole of `der` is one element with tag `tag`; returns its contents.
pub(crate) fn single(der: &[u8], tag: u8) -> Option<&[u8]> {
    let mut r = Reader::new(der);
    let contents = r.read(tag)?;
    r.is_empty().then_some(contents)
}

/// The algorithm a PKCS#8 `PrivateKeyInfo` names: the algorithm OID and,
/// when the parameters are an OID (a named curve), that too.
pub(crate) fn pkcs8_algorithm(der: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let mut info = Reader::new(single(der, TAG_SEQUENCE)?);
    info.read(TAG_INTEGER)?;
    let mut alg = Reader::new(info.read(TAG_SEQUENCE)?);
    // The private key must follow; this rules out SubjectPublicKeyInfo and
    // other SEQUENCE { INTEGER, SEQUENCE, ... } shapes.
    info.read(TAG_OCTET_STRING)?;
    let oid = alg.read(TAG_OID)?;
    let params = alg.read(TAG_OID);
    Some((oid, params))
}

/// A SEC1 `ECPrivateKey`: the private scalar and the named curve, if the
/// optional parameters are present.
pub(crate) fn sec1_key(der: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let mut key = Reader::new(single(der, TAG_SEQUENCE)?);
    // version 1 (ecPrivkeyVer1).
    if key.read(TAG_INTEGER)? != [1] {
        return None;
    }
    let scalar = key.read(TAG_OCTET_STRING)?;
    let curve = if key.peek_tag() == Some(TAG_CONTEXT_0) {
        let params = key.read(TAG_CONTEXT_0)?;
        Some(single(params, TAG_OID)?)
    } else {
        None
    };
    Some((scalar, curve))
}

/// One DER element: `tag`, a minimal definite length, `contents`.
pub(crate) fn element(tag: u8, contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// `AlgorithmIdentifier { rsaEncryption, NULL }`.
fn rsa_algorithm() -> Vec<u8> {
    let mut alg = element(TAG_OID, OID_RSA);
    alg.extend_from_slice(&[TAG_NULL, 0]);
    element(TAG_SEQUENCE, &alg)
}

/// A SubjectPublicKeyInfo around a DER RSAPublicKey (PKCS#1).
pub(crate) fn rsa_spki(rsa_public_key: &[u8]) -> Vec<u8> {
    let mut bits = vec![0u8]; // no unused bits
    bits.extend_from_slice(rsa_public_key);
    let mut spki = rsa_algorithm();
    spki.extend_from_slice(&element(TAG_BIT_STRING, &bits));
    element(TAG_SEQUENCE, &spki)
}

/// A PKCS#8 v1 PrivateKeyInfo around a DER RSAPrivateKey (PKCS#1).
pub(crate) fn rsa_pkcs8(rsa_private_key: &[u8]) -> zeroize::Zeroizing<Vec<u8>> {
    let mut info = zeroize::Zeroizing::new(Vec::with_capacity(rsa_private_key.len() + 32));
    info.extend_from_slice(&element(TAG_INTEGER, &[0]));
    info.extend_from_slice(&rsa_algorithm());
    info.extend_from_slice(&zeroize::Zeroizing::new(element(
        TAG_OCTET_STRING,
        rsa_private_key,
    )));
    zeroize::Zeroizing::new(element(TAG_SEQUENCE, &info))
}

/// The subjectPublicKey bits of a DER SubjectPublicKeyInfo.
#[cfg(test)]
pub(crate) fn spki_bits(der: &[u8]) -> Option<&[u8]> {
    let mut spki = Reader::new(single(der, TAG_SEQUENCE)?);
    spki.read(TAG_SEQUENCE)?;
    let bits = spki.read(TAG_BIT_STRING)?;
    // No unused bits in a key.
    match bits.split_first()? {
        (0, key) => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn lengths() {
        let mut long = hex!("0481 80").to_vec();
        long.extend_from_slice(&[7u8; 0x80]);
        assert_eq!(single(&long, TAG_OCTET_STRING).unwrap().len(), 0x80);
        // Non-minimal long form, indefinite form, truncated contents.
        assert!(single(&hex!("0481 05 0102030405"), TAG_OCTET_STRING).is_none());
        assert!(single(&hex!("0480 0000"), TAG_OCTET_STRING).is_none());
        assert!(single(&hex!("0403 0102"), TAG_OCTET_STRING).is_none());
        assert!(single(&hex!("0482 0080"), TAG_OCTET_STRING).is_none());
        // Trailing bytes and wrong tag.
        assert!(single(&hex!("0401 01 00"), TAG_OCTET_STRING).is_none());
        assert!(single(&hex!("0201 01"), TAG_OCTET_STRING).is_none());
        assert!(single(&[], TAG_OCTET_STRING).is_none());
    }

    #[test]
    fn pkcs8_and_sec1_shapes() {
        // Ed25519 PKCS#8 v1 (RFC 8410).
        let mut ed = hex!("302e020100300506032b657004220420").to_vec();
        ed.extend_from_slice(&[1u8; 32]);
        assert_eq!(pkcs8_algorithm(&ed), Some((OID_ED25519, None)));
        assert!(sec1_key(&ed).is_none());
        // SEC1 without parameters.
        let mut sec1 = hex!("3025020101 0420").to_vec();
        sec1.extend_from_slice(&[2u8; 32]);
        assert_eq!(sec1_key(&sec1), Some((&[2u8; 32][..], None)));
        assert!(pkcs8_algorithm(&sec1).is_none());
    }
}
