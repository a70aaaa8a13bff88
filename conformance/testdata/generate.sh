#!/usr/bin/env bash
# Regenerates the test PKI: one CA per key type and leaf certificates for
# "localhost"/"example.com" (server) and a client. Valid for 100 years.
set -euo pipefail
cd "$(dirname "$0")"
days=36500
gen_key() { # name type
  case "$2" in
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$1.key" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$1.key" ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" ;;
  esac
}
for t in p256 p384 ed25519 rsa; do
  gen_key "ca-$t" "$t"
  openssl req -x509 -new -key "ca-$t.key" -subj "/CN=embertls test CA $t" -days $days \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "ca-$t.pem"
  gen_key "server-$t" "$t"
  openssl req -new -key "server-$t.key" -subj "/CN=localhost" -out server.csr
  openssl x509 -req -in server.csr -CA "ca-$t.pem" -CAkey "ca-$t.key" -CAcreateserial -days $days \
    -extfile <(printf "subjectAltName=DNS:localhost,DNS:example.com,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n") \
    -out "server-$t.pem"
  gen_key "client-$t" "$t"
  openssl req -new -key "client-$t.key" -subj "/CN=embertls test client" -out client.csr
  openssl x509 -req -in client.csr -CA "ca-$t.pem" -CAkey "ca-$t.key" -CAcreateserial -days $days \
    -extfile <(printf "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n") \
    -out "client-$t.pem"
done
# Key encodings other than PKCS#8 for the loaders.
openssl ec -in server-p256.key -out server-p256.sec1.key 2>/dev/null
openssl rsa -in server-rsa.key -traditional -out server-rsa.pkcs1.key 2>/dev/null
rm -f server.csr client.csr ./*.srl

# A 1024-bit DH group: below the client's default minimum, for the
# weak-parameter tests (RFC 7919 groups cover the normal case).
openssl dhparam -out dh1024.pem 1024 2>/dev/null
# A custom 2048-bit group (not RFC 7919): the same as vectors/dh2048.der.
openssl dhparam -inform DER -in vectors/dh2048.der -out dh2048.pem
