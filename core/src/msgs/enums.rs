//! Protocol code points as open newtypes: unknown values survive parsing
//! (peers send GREASE and future values) and print by number.

macro_rules! code_points {
    ($(#[$meta:meta])* $name:ident($ty:ty) { $($(#[$vmeta:meta])* $variant:ident = $value:expr => $text:expr,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $ty);

        #[allow(non_upper_case_globals)]
        impl $name {
            $($(#[$vmeta])* pub const $variant: Self = Self($value);)*

            /// The registry name, when this is a known value.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}(0x{:x})", stringify!($name), self.0),
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(self, f)
            }
        }
    };
}

code_points! {
    /// TLS record content type.
    ContentType(u8) {
        ChangeCipherSpec = 20 => "change_cipher_spec",
        Alert = 21 => "alert",
        Handshake = 22 => "handshake",
        ApplicationData = 23 => "application_data",
        Ack = 26 => "ack",
    }
}

code_points! {
    /// Handshake message type.
    HandshakeType(u8) {
        HelloRequest = 0 => "hello_request",
        ClientHello = 1 => "client_hello",
        ServerHello = 2 => "server_hello",
        HelloVerifyRequest = 3 => "hello_verify_request",
        NewSessionTicket = 4 => "new_session_ticket",
        EndOfEarlyData = 5 => "end_of_early_data",
        EncryptedExtensions = 8 => "encrypted_extensions",
        Certificate = 11 => "certificate",
        ServerKeyExchange = 12 => "server_key_exchange",
        CertificateRequest = 13 => "certificate_request",
        ServerHelloDone = 14 => "server_hello_done",
        CertificateVerify = 15 => "certificate_verify",
        ClientKeyExchange = 16 => "client_key_exchange",
        Finished = 20 => "finished",
        KeyUpdate = 24 => "key_update",
        MessageHash = 254 => "message_hash",
    }
}

code_points! {
    /// Alert severity.
    AlertLevel(u8) {
        Warning = 1 => "warning",
        Fatal = 2 => "fatal",
    }
}

code_points! {
    /// Alert description (RFC 8446 section 6 and RFC 5246 section 7.2).
    AlertDescription(u8) {
        CloseNotify = 0 => "close_notify",
        UnexpectedMessage = 10 => "unexpected_message",
        BadRecordMac = 20 => "bad_record_mac",
        RecordOverflow = 22 => "record_overflow",
        HandshakeFailure = 40 => "handshake_failure",
        BadCertificate = 42 => "bad_certificate",
        UnsupportedCertificate = 43 => "unsupported_certificate",
        CertificateRevoked = 44 => "certificate_revoked",
        CertificateExpired = 45 => "certificate_expired",
        CertificateUnknown = 46 => "certificate_unknown",
        IllegalParameter = 47 => "illegal_parameter",
        UnknownCa = 48 => "unknown_ca",
        AccessDenied = 49 => "access_denied",
        DecodeError = 50 => "decode_error",
        DecryptError = 51 => "decrypt_error",
        ProtocolVersion = 70 => "protocol_version",
        InsufficientSecurity = 71 => "insufficient_security",
        InternalError = 80 => "internal_error",
        InappropriateFallback = 86 => "inappropriate_fallback",
        UserCanceled = 90 => "user_canceled",
        NoRenegotiation = 100 => "no_renegotiation",
        MissingExtension = 109 => "missing_extension",
        UnsupportedExtension = 110 => "unsupported_extension",
        UnrecognizedName = 112 => "unrecognized_name",
        BadCertificateStatusResponse = 113 => "bad_certificate_status_response",
        UnknownPskIdentity = 115 => "unknown_psk_identity",
        CertificateRequired = 116 => "certificate_required",
        NoApplicationProtocol = 120 => "no_application_protocol",
    }
}

code_points! {
    /// Protocol version as it appears on the wire.
    ProtocolVersion(u16) {
        TLSv1_0 = 0x0301 => "TLSv1.0",
        TLSv1_2 = 0x0303 => "TLSv1.2",
        TLSv1_3 = 0x0304 => "TLSv1.3",
        DTLSv1_2 = 0xfefd => "DTLSv1.2",
        DTLSv1_3 = 0xfefc => "DTLSv1.3",
    }
}

code_points! {
    /// Named groups for key exchange (RFC 8446 4.2.7, RFC 7919).
    NamedGroup(u16) {
        secp256r1 = 0x0017 => "secp256r1",
        secp384r1 = 0x0018 => "secp384r1",
        secp521r1 = 0x0019 => "secp521r1",
        X25519 = 0x001d => "x25519",
        X448 = 0x001e => "x448",
        FFDHE2048 = 0x0100 => "ffdhe2048",
        FFDHE3072 = 0x0101 => "ffdhe3072",
        FFDHE4096 = 0x0102 => "ffdhe4096",
    }
}

code_points! {
    /// Signature schemes (RFC 8446 4.2.3).
    SignatureScheme(u16) {
        RSA_PKCS1_SHA1 = 0x0201 => "rsa_pkcs1_sha1",
        ECDSA_SHA1 = 0x0203 => "ecdsa_sha1",
        RSA_PKCS1_SHA256 = 0x0401 => "rsa_pkcs1_sha256",
        RSA_PKCS1_SHA384 = 0x0501 => "rsa_pkcs1_sha384",
        RSA_PKCS1_SHA512 = 0x0601 => "rsa_pkcs1_sha512",
        ECDSA_NISTP256_SHA256 = 0x0403 => "ecdsa_secp256r1_sha256",
        ECDSA_NISTP384_SHA384 = 0x0503 => "ecdsa_secp384r1_sha384",
        ECDSA_NISTP521_SHA512 = 0x0603 => "ecdsa_secp521r1_sha512",
        RSA_PSS_RSAE_SHA256 = 0x0804 => "rsa_pss_rsae_sha256",
        RSA_PSS_RSAE_SHA384 = 0x0805 => "rsa_pss_rsae_sha384",
        RSA_PSS_RSAE_SHA512 = 0x0806 => "rsa_pss_rsae_sha512",
        ED25519 = 0x0807 => "ed25519",
        ED448 = 0x0808 => "ed448",
        RSA_PSS_PSS_SHA256 = 0x0809 => "rsa_pss_pss_sha256",
        RSA_PSS_PSS_SHA384 = 0x080a => "rsa_pss_pss_sha384",
        RSA_PSS_PSS_SHA512 = 0x080b => "rsa_pss_pss_sha512",
    }
}

impl SignatureScheme {
    /// Whether TLS 1.3 allows this scheme in CertificateVerify (RFC 8446 4.4.3:
    /// no PKCS#1 v1.5, no SHA-1).
    pub fn usable_in_tls13_handshake(self) -> bool {
        matches!(
            self,
            Self::ECDSA_NISTP256_SHA256
                | Self::ECDSA_NISTP384_SHA384
                | Self::ECDSA_NISTP521_SHA512
                | Self::RSA_PSS_RSAE_SHA256
                | Self::RSA_PSS_RSAE_SHA384
                | Self::RSA_PSS_RSAE_SHA512
                | Self::ED25519
                | Self::ED448
        )
    }
}

code_points! {
    /// Extension types.
    ExtensionType(u16) {
        ServerName = 0 => "server_name",
        MaxFragmentLength = 1 => "max_fragment_length",
        StatusRequest = 5 => "status_request",
        SupportedGroups = 10 => "supported_groups",
        EcPointFormats = 11 => "ec_point_formats",
        SignatureAlgorithms = 13 => "signature_algorithms",
        UseSrtp = 14 => "use_srtp",
        Alpn = 16 => "application_layer_protocol_negotiation",
        SignedCertificateTimestamp = 18 => "signed_certificate_timestamp",
        Padding = 21 => "padding",
        EncryptThenMac = 22 => "encrypt_then_mac",
        ExtendedMasterSecret = 23 => "extended_master_secret",
        RecordSizeLimit = 28 => "record_size_limit",
        SessionTicket = 35 => "session_ticket",
        PreSharedKey = 41 => "pre_shared_key",
        EarlyData = 42 => "early_data",
        SupportedVersions = 43 => "supported_versions",
        Cookie = 44 => "cookie",
        PskKeyExchangeModes = 45 => "psk_key_exchange_modes",
        CertificateAuthorities = 47 => "certificate_authorities",
        OidFilters = 48 => "oid_filters",
        PostHandshakeAuth = 49 => "post_handshake_auth",
        SignatureAlgorithmsCert = 50 => "signature_algorithms_cert",
        KeyShare = 51 => "key_share",
        ConnectionId = 54 => "connection_id",
        RenegotiationInfo = 0xff01 => "renegotiation_info",
    }
}

code_points! {
    /// Cipher-suite code points; see [`crate::suites`] for the registry.
    CipherSuite(u16) {
        TLS_AES_128_GCM_SHA256 = 0x1301 => "TLS_AES_128_GCM_SHA256",
        TLS_AES_256_GCM_SHA384 = 0x1302 => "TLS_AES_256_GCM_SHA384",
        TLS_CHACHA20_POLY1305_SHA256 = 0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        TLS_RSA_WITH_AES_128_CBC_SHA = 0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        TLS_DHE_RSA_WITH_AES_128_CBC_SHA = 0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        TLS_DHE_RSA_WITH_AES_256_CBC_SHA = 0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 = 0x0067 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 = 0x006b => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        TLS_PSK_WITH_AES_128_CBC_SHA = 0x008c => "TLS_PSK_WITH_AES_128_CBC_SHA",
        TLS_PSK_WITH_AES_256_CBC_SHA = 0x008d => "TLS_PSK_WITH_AES_256_CBC_SHA",
        TLS_DHE_PSK_WITH_AES_128_CBC_SHA = 0x0090 => "TLS_DHE_PSK_WITH_AES_128_CBC_SHA",
        TLS_DHE_PSK_WITH_AES_256_CBC_SHA = 0x0091 => "TLS_DHE_PSK_WITH_AES_256_CBC_SHA",
        TLS_RSA_PSK_WITH_AES_128_CBC_SHA = 0x0094 => "TLS_RSA_PSK_WITH_AES_128_CBC_SHA",
        TLS_RSA_PSK_WITH_AES_256_CBC_SHA = 0x0095 => "TLS_RSA_PSK_WITH_AES_256_CBC_SHA",
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_PSK_WITH_AES_128_GCM_SHA256 = 0x00a8 => "TLS_PSK_WITH_AES_128_GCM_SHA256",
        TLS_PSK_WITH_AES_256_GCM_SHA384 = 0x00a9 => "TLS_PSK_WITH_AES_256_GCM_SHA384",
        TLS_DHE_PSK_WITH_AES_128_GCM_SHA256 = 0x00aa => "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256",
        TLS_DHE_PSK_WITH_AES_256_GCM_SHA384 = 0x00ab => "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384",
        TLS_RSA_PSK_WITH_AES_128_GCM_SHA256 = 0x00ac => "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256",
        TLS_RSA_PSK_WITH_AES_256_GCM_SHA384 = 0x00ad => "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384",
        TLS_PSK_WITH_AES_128_CBC_SHA256 = 0x00ae => "TLS_PSK_WITH_AES_128_CBC_SHA256",
        TLS_PSK_WITH_AES_256_CBC_SHA384 = 0x00af => "TLS_PSK_WITH_AES_256_CBC_SHA384",
        TLS_DHE_PSK_WITH_AES_128_CBC_SHA256 = 0x00b2 => "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256",
        TLS_DHE_PSK_WITH_AES_256_CBC_SHA384 = 0x00b3 => "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384",
        TLS_RSA_PSK_WITH_AES_128_CBC_SHA256 = 0x00b6 => "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256",
        TLS_RSA_PSK_WITH_AES_256_CBC_SHA384 = 0x00b7 => "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = 0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA = 0xc035 => "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA = 0xc036 => "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256 = 0xc037 => "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384 = 0xc038 => "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384",
        TLS_RSA_WITH_AES_128_CCM = 0xc09c => "TLS_RSA_WITH_AES_128_CCM",
        TLS_RSA_WITH_AES_256_CCM = 0xc09d => "TLS_RSA_WITH_AES_256_CCM",
        TLS_DHE_RSA_WITH_AES_128_CCM = 0xc09e => "TLS_DHE_RSA_WITH_AES_128_CCM",
        TLS_DHE_RSA_WITH_AES_256_CCM = 0xc09f => "TLS_DHE_RSA_WITH_AES_256_CCM",
        TLS_RSA_WITH_AES_128_CCM_8 = 0xc0a0 => "TLS_RSA_WITH_AES_128_CCM_8",
        TLS_RSA_WITH_AES_256_CCM_8 = 0xc0a1 => "TLS_RSA_WITH_AES_256_CCM_8",
        TLS_DHE_RSA_WITH_AES_128_CCM_8 = 0xc0a2 => "TLS_DHE_RSA_WITH_AES_128_CCM_8",
        TLS_DHE_RSA_WITH_AES_256_CCM_8 = 0xc0a3 => "TLS_DHE_RSA_WITH_AES_256_CCM_8",
        TLS_PSK_WITH_AES_128_CCM = 0xc0a4 => "TLS_PSK_WITH_AES_128_CCM",
        TLS_PSK_WITH_AES_256_CCM = 0xc0a5 => "TLS_PSK_WITH_AES_256_CCM",
        TLS_DHE_PSK_WITH_AES_128_CCM = 0xc0a6 => "TLS_DHE_PSK_WITH_AES_128_CCM",
        TLS_DHE_PSK_WITH_AES_256_CCM = 0xc0a7 => "TLS_DHE_PSK_WITH_AES_256_CCM",
        TLS_PSK_WITH_AES_128_CCM_8 = 0xc0a8 => "TLS_PSK_WITH_AES_128_CCM_8",
        TLS_PSK_WITH_AES_256_CCM_8 = 0xc0a9 => "TLS_PSK_WITH_AES_256_CCM_8",
        TLS_PSK_DHE_WITH_AES_128_CCM_8 = 0xc0aa => "TLS_PSK_DHE_WITH_AES_128_CCM_8",
        TLS_PSK_DHE_WITH_AES_256_CCM_8 = 0xc0ab => "TLS_PSK_DHE_WITH_AES_256_CCM_8",
        TLS_ECDHE_ECDSA_WITH_AES_128_CCM = 0xc0ac => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        TLS_ECDHE_ECDSA_WITH_AES_256_CCM = 0xc0ad => "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 = 0xc0ae => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8 = 0xc0af => "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xccaa => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_PSK_WITH_CHACHA20_POLY1305_SHA256 = 0xccab => "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256 = 0xccac => "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
        TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256 = 0xccad => "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256",
        TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256 = 0xccae => "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256",
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        TLS_FALLBACK_SCSV = 0x5600 => "TLS_FALLBACK_SCSV",
    }
}

code_points! {
    /// KeyUpdate request field (RFC 8446 4.6.3).
    KeyUpdateRequest(u8) {
        UpdateNotRequested = 0 => "update_not_requested",
        UpdateRequested = 1 => "update_requested",
    }
}

code_points! {
    /// Hash algorithms known to the engine.
    HashAlgorithm(u8) {
        SHA1 = 2 => "sha1",
        SHA256 = 4 => "sha256",
        SHA384 = 5 => "sha384",
        SHA512 = 6 => "sha512",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::format;

    #[test]
    fn unknown_values_print_by_number() {
        assert_eq!(format!("{:?}", NamedGroup(0x0a0a)), "NamedGroup(0xa0a)");
        assert_eq!(format!("{}", NamedGroup::X25519), "x25519");
        assert_eq!(
            SignatureScheme::RSA_PSS_RSAE_SHA256.name(),
            Some("rsa_pss_rsae_sha256")
        );
    }
}
