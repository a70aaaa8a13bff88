//! Just enough DER to check framing that OpenSSL's decoders let through.

/// Reads one DER TLV at the start of `der`: (tag, contents, rest).
pub(crate) fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (first as usize, rest),
        0x81..=0x83 => {
            let n = usize::from(first & 0x7f);
            if rest.len() < n {
                return None;
            }
            let (len, rest) = rest.split_at(n);
            let len = len.iter().fold(0usize, |acc, &b| acc << 8 | usize::from(b));
            // DER: the shortest length form.
            if len < 0x80 || (n > 1 && len >> (8 * (n - 1)) == 0) {
                return None;
            }
            (len, rest)
        }
        _ => return None,
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// Whether `der` is exactly one SEQUENCE, with nothing after it.
pub(crate) fn is_one_sequence(der: &[u8]) -> bool {
    matches!(tlv(der), Some((0x30, _, [])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(
            tlv(&[0x04, 0x01, 0xaa, 0xbb]),
            Some((0x04, &[0xaa][..], &[0xbb][..]))
        );
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend_from_slice(&[0u8; 0x80]);
        assert!(is_one_sequence(&long));
        long.push(0);
        assert!(!is_one_sequence(&long));
        // Non-minimal long forms.
        assert_eq!(tlv(&[0x30, 0x81, 0x01, 0x00]), None);
        assert_eq!(tlv(&[0x30, 0x82, 0x00, 0x80]), None);
        // Truncated, indefinite, too long.
        assert_eq!(tlv(&[0x30, 0x02, 0x00]), None);
        assert_eq!(tlv(&[0x30, 0x80]), None);
        assert_eq!(tlv(&[0x30, 0x84, 1, 0, 0, 0]), None);
        assert_eq!(tlv(&[0x30]), None);
    }
}
