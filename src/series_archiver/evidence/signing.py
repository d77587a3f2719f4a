"""Signing a WACZ: the key-based ("anonymous") signature of the WACZ Signing and Verification spec.

``datapackage-digest.json`` holds the SHA-256 of ``datapackage.json``
(``hash``, as ``sha256:<hex>``) and a ``signedData`` object::

    hash        the same "sha256:<hex>" text
    created     the package's creation time, as in datapackage.json
    software    series-archiver/<version>
    version     the signing spec's version (0.1.0)
    signature   ECDSA with SHA-256 over the UTF-8 bytes of ``hash``, r||s (IEEE P1363,
                as WebCrypto signs and ArchiveWeb.page writes it), base64
    publicKey   the signer's public key, DER SubjectPublicKeyInfo, base64

and, when a time-stamping authority is configured, the spec's timestamp
fields: ``timeSignature`` (base64 of an RFC 3161 TimeStampResp over the
``signature`` text, as authsign stamps it) and ``timestampCert`` (the TSA's
PEM chain). The key is an EC private key in PEM (``series-archiver keygen``, or
``openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out wacz-key.pem``).
Whoever checks the package must know the public key by other means: the
signature proves the package unchanged since a holder of that key signed it.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from series_archiver.errors import EvidenceError

__all__ = ["SPEC_VERSION", "generate_key", "load_signing_key", "public_key_b64", "sign_hash", "verify_signed_data"]

SPEC_VERSION = "0.1.0"
_ANONYMOUS = {"hash", "created", "software", "version", "signature", "publicKey"}
_TIMESTAMP = {"timeSignature", "timestampCert"}


def generate_key(path: Path) -> Path:
    """A new P-384 private key at ``path`` (PEM, PKCS#8, readable by its owner only) and its public key at ``path.pub``."""
    if path.exists():
        raise EvidenceError(str(path), "exists already; a key is never overwritten (choose another file)")
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise EvidenceError(str(path), f"cannot be written ({exc.strerror})") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public = path.with_name(path.name + ".pub")
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return public


def load_signing_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The EC private key of a PEM file (unencrypted)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(str(path), f"the signing key cannot be read ({exc.strerror})") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise EvidenceError(str(path), f"is not an unencrypted PEM private key ({exc}); make one with `series-archiver keygen`") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise EvidenceError(str(path), "is not an EC key; WACZ signatures are ECDSA (`series-archiver keygen` makes a P-384 key)")
    return key


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def sign_hash(key: ec.EllipticCurvePrivateKey, hash_text: str) -> str:
    """ECDSA-SHA256 of ``hash_text``'s UTF-8 bytes, as r||s, base64."""
    r, s = decode_dss_signature(key.sign(hash_text.encode("utf-8"), ec.ECDSA(hashes.SHA256())))
    size = (key.curve.key_size + 7) // 8
    return base64.b64encode(r.to_bytes(size, "big") + s.to_bytes(size, "big")).decode("ascii")


def verify_signed_data(signed: dict[str, Any], expected_hash: str, *, what: str = "datapackage-digest.json") -> None:
    """Check a key-based ``signedData``: its fields, its hash, and its signature by its ``publicKey``; raise ``EvidenceError``."""
    if not isinstance(signed, dict):
        raise EvidenceError(what, "signedData is not an object")
    extra = set(signed) - _ANONYMOUS - _TIMESTAMP
    missing = _ANONYMOUS - {"version"} - set(signed)
    if extra or missing:
        raise EvidenceError(what, f"signedData is not a key-based signature (missing {sorted(missing)}, unknown {sorted(extra)})")
    if signed["hash"] != expected_hash:
        raise EvidenceError(what, f"signedData.hash {signed['hash']} is not the package's {expected_hash}")
    try:
        public = serialization.load_der_public_key(base64.b64decode(signed["publicKey"], validate=True))
        raw = base64.b64decode(signed["signature"], validate=True)
    except (ValueError, TypeError) as exc:
        raise EvidenceError(what, f"signedData's publicKey or signature is not base64 DER ({exc})") from None
    if not isinstance(public, ec.EllipticCurvePublicKey) or len(raw) % 2:
        raise EvidenceError(what, "signedData.publicKey is not an EC key, or the signature is not r||s")
    half = len(raw) // 2
    der = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
    try:
        public.verify(der, signed["hash"].encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise EvidenceError(what, "the signature does not match the hash and public key: the package was changed after signing") from None
