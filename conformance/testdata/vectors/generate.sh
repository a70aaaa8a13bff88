#!/bin/sh
# Regenerates the signature vectors in this directory with the openssl
# command line (see README.md). Every run makes new keys and signatures, so
# run it only to replace the set as a whole, and commit the result.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf 'embertls provider conformance vector: a fixed message signed once by the openssl command line.\n' > msg.bin

# ECDSA: P-256 and P-384, each with SHA-256, SHA-384 and SHA-512 (DER signatures).
for pair in P-256:p256:65 P-384:p384:97; do
  curve=${pair%%:*}; rest=${pair#*:}; name=${rest%%:*}; point_len=${rest#*:}
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$curve" -out "$tmp/$name.pem"
  openssl pkcs8 -topk8 -nocrypt -in "$tmp/$name.pem" -outform DER -out "$name.pk8.der"
  openssl ec -in "$tmp/$name.pem" -outform DER -out "$name.sec1.der" 2>/dev/null
  # subjectPublicKey bits: the uncompressed point closes the SPKI.
  openssl pkey -in "$tmp/$name.pem" -pubout -outform DER | tail -c "$point_len" > "$name.pub"
  for hash in sha256 sha384 sha512; do
    openssl dgst -"$hash" -sign "$tmp/$name.pem" -out "$name-$hash.sig" msg.bin
  done
done

# Ed25519 (RFC 8032, pure).
openssl genpkey -algorithm ED25519 -out "$tmp/ed25519.pem"
openssl pkcs8 -topk8 -nocrypt -in "$tmp/ed25519.pem" -outform DER -out ed25519.pk8.der
openssl pkey -in "$tmp/ed25519.pem" -pubout -outform DER | tail -c 32 > ed25519.pub
openssl pkeyutl -sign -inkey "$tmp/ed25519.pem" -rawin -in msg.bin -out ed25519.sig

# RSA: PKCS#1 v1.5 and PSS (MGF1 with the same hash, salt = hash length).
for bits in 1024 2048 4096; do
  name=rsa$bits
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$bits" -out "$tmp/$name.pem"
  openssl pkcs8 -topk8 -nocrypt -in "$tmp/$name.pem" -outform DER -out "$name.pk8.der"
  openssl rsa -in "$tmp/$name.pem" -traditional -outform DER -out "$name.pkcs1.der" 2>/dev/null
  # subjectPublicKey bits: a DER RSAPublicKey.
  openssl rsa -in "$tmp/$name.pem" -RSAPublicKey_out -outform DER -out "$name.pub" 2>/dev/null
  # A 1024-bit modulus is too short for PSS with SHA-512 and a 64-byte salt;
  # its one job is to be refused.
  hashes="sha256 sha384 sha512"; [ "$bits" = 1024 ] && hashes=sha256
  for hash in $hashes; do
    openssl dgst -"$hash" -sign "$tmp/$name.pem" -out "$name-pkcs1-$hash.sig" msg.bin
    openssl dgst -"$hash" -sign "$tmp/$name.pem" \
      -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:"$hash" \
      -out "$name-pss-$hash.sig" msg.bin
  done
done

# TLS 1.2 RSA key transport: a premaster secret (version 3.3, 46 fixed bytes)
# encrypted under rsa2048.
printf '\003\003' > premaster.bin
printf 'embertls premaster secret, 46 bytes long......' >> premaster.bin
openssl pkeyutl -encrypt -inkey "$tmp/rsa2048.pem" -pkeyopt rsa_padding_mode:pkcs1 \
  -in premaster.bin -out rsa2048-pkcs1v15-enc.bin
openssl pkeyutl -decrypt -inkey "$tmp/rsa2048.pem" -pkeyopt rsa_padding_mode:pkcs1 \
  -in rsa2048-pkcs1v15-enc.bin | cmp - premaster.bin

# Caller-supplied finite-field DH groups (safe primes, g = 2).
openssl dhparam -outform DER -out dh1024.der 1024 2>/dev/null
openssl dhparam -outform DER -out dh2048.der 2048 2>/dev/null

# Check every signature with the same tool before it is committed.
for name in p256 p384; do
  openssl pkcs8 -nocrypt -inform DER -in "$name.pk8.der" -out "$tmp/k.pem"
  for hash in sha256 sha384 sha512; do
    openssl dgst -"$hash" -prverify "$tmp/k.pem" -signature "$name-$hash.sig" msg.bin >/dev/null
  done
done
for bits in 1024 2048 4096; do
  openssl pkcs8 -nocrypt -inform DER -in "rsa$bits.pk8.der" -out "$tmp/k.pem"
  hashes="sha256 sha384 sha512"; [ "$bits" = 1024 ] && hashes=sha256
  for hash in $hashes; do
    openssl dgst -"$hash" -prverify "$tmp/k.pem" -signature "rsa$bits-pkcs1-$hash.sig" msg.bin >/dev/null
    openssl dgst -"$hash" -prverify "$tmp/k.pem" -sigopt rsa_padding_mode:pss \
      -sigopt rsa_pss_saltlen:digest -signature "rsa$bits-pss-$hash.sig" msg.bin >/dev/null
  done
done
openssl pkcs8 -nocrypt -inform DER -in ed25519.pk8.der -out "$tmp/k.pem"
openssl pkeyutl -verify -inkey "$tmp/k.pem" -rawin -in msg.bin -sigfile ed25519.sig >/dev/null
echo "vectors regenerated and verified"
