#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Signature fixtures for the policy tests, made from the built test modules with throwaway
# keys generated here (never committed):
#
#   sign-fixture.sh FIXTURE_DIR OUTDIR KVER [STAMP]
#
# OUTDIR/
#   key-a.pem cert-a.pem cert-a.der     key A ("modctl test key A")
#   key-b.pem cert-b.pem                key B ("modctl test key B")
#   trusted/cert-a.pem                  a TrustedCertificates= directory with A only
#   unsigned.ko                         modctl_test_base.ko as built
#   signed-a.ko                         signed by A (issuer and serial)
#   signed-a-keyid.ko                   signed by A with sign-file -k (subject key id)
#   signed-b.ko                         signed by B
#   signed-forged.ko                    signed by key C, whose certificate also says "modctl test key A"
#   tampered.ko                         signed-a.ko with one byte of its description changed
#   truncated.ko                        signed-a.ko whose header claims more signature than there is
#   garbage.ko                          a well-formed trailer around bytes that are not PKCS#7
#   cert-a.skid                         A's subject key id, lowercase hex
set -eu

[ $# -ge 3 ] || { echo "usage: $0 FIXTURE_DIR OUTDIR KVER [STAMP]" >&2; exit 2; }
fixture=$(cd "$1" && pwd) out=$2 kver=$3 stamp=${4:-}
case $stamp in ""|/*) ;; *) stamp=$PWD/$stamp ;; esac

signfile=/lib/modules/$kver/build/scripts/sign-file
[ -x "$signfile" ] || signfile=$(ls /usr/lib/linux-kbuild-*/scripts/sign-file 2>/dev/null | sort -V | tail -n1)
[ -x "$signfile" ] || { echo "$0: sign-file not found (install linux-headers-amd64)" >&2; exit 1; }
module=$fixture/root/lib/modules/$kver/extra/modctl_test_base.ko
[ -f "$module" ] || { echo "$0: $module missing" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/trusted"
cd "$out"

for k in a b; do
        K=$(echo $k | tr a-z A-Z)
        openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -sha256 -subj "/CN=modctl test key $K" \
                -addext "subjectKeyIdentifier=hash" -addext "keyUsage=digitalSignature" \
                -addext "extendedKeyUsage=codeSigning" \
                -keyout key-$k.pem -out cert-$k.pem 2>/dev/null
done
# Same name as A, another key: a name match alone must never pass it.
openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -sha256 -subj "/CN=modctl test key A" \
        -addext "subjectKeyIdentifier=hash" -addext "keyUsage=digitalSignature" \
        -addext "extendedKeyUsage=codeSigning" -keyout key-c.pem -out cert-c.pem 2>/dev/null
openssl x509 -in cert-a.pem -outform DER -out cert-a.der
cp cert-a.pem trusted/
openssl x509 -in cert-a.pem -noout -ext subjectKeyIdentifier | sed -n '2p' | tr -d ' :' | tr A-F a-f > cert-a.skid

cp "$module" unsigned.ko
"$signfile" sha256 key-a.pem cert-a.pem unsigned.ko signed-a.ko
"$signfile" -k sha256 key-a.pem cert-a.pem unsigned.ko signed-a-keyid.ko
"$signfile" sha256 key-b.pem cert-b.pem unsigned.ko signed-b.ko
"$signfile" sha256 key-c.pem cert-c.pem unsigned.ko signed-forged.ko

/usr/bin/python3 - <<'PY'
import struct
data = open('signed-a.ko', 'rb').read()
marker = b'~Module signature appended~\n'
sig_len = struct.unpack('>I', data[-len(marker) - 4:-len(marker)])[0]
content = data[:len(data) - len(marker) - 12 - sig_len]
# One byte of the module's description (inside .modinfo, so the ELF stays valid).
i = data.index(b'modctl test module')
open('tampered.ko', 'wb').write(data[:i] + b'M' + data[i + 1:])
# The header says the signature is longer than everything before it.
hdr = bytes([0, 0, 2, 0, 0, 0, 0, 0]) + struct.pack('>I', len(data) + 1)
open('truncated.ko', 'wb').write(content + hdr + marker)
junk = bytes((i * 37 + 11) % 256 for i in range(300))
hdr = bytes([0, 0, 2, 0, 0, 0, 0, 0]) + struct.pack('>I', len(junk))
open('garbage.ko', 'wb').write(content + junk + hdr + marker)
PY

if [ -n "$stamp" ]; then
        touch "$stamp"
fi
