"""RFC 3161 trusted timestamps: ask a time-stamping authority for a token, and check one.

The request, the answer's parsing and its check against a certificate chain
are rfc3161-client's (ASN.1 and CMS in Rust, from the sigstore project), so
no ASN.1 is written here. A token is kept whole, as the TSA's
``TimeStampResp`` (DER): what ``openssl ts -verify -in FILE.tsr`` reads.

The chain kept beside a token (``chain_pem``) is the certificates the token
carries, the signer's first, followed by the roots configured in
``evidence.tsa_ca_file``: what ``verify`` and a bundle's VERIFY.md check it with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, VerificationError, VerifierBuilder, decode_timestamp_response
from rfc3161_client.tsp import TimeStampResponse

from series_archiver.errors import EvidenceError

__all__ = ["QUERY_TYPE", "REPLY_TYPE", "Token", "request_token", "verify_token", "load_pem_chain", "token_time"]

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


@dataclass(frozen=True)
class Token:
    """A TSA's answer over some data: the ``TimeStampResp`` as received, when it says, and the chain to check it by."""

    response: bytes
    gen_time: datetime
    chain_pem: str


def request_token(
    tsa_url: str,
    data: bytes,
    *,
    timeout: float,
    user_agent: str,
    roots: Sequence[x509.Certificate] = (),
    transport: httpx.BaseTransport | None = None,
) -> Token:
    """Ask ``tsa_url`` for a token over SHA-256(``data``), with a nonce and the TSA's certificates; checked before it is returned.

    Raises ``EvidenceError`` (naming the TSA) when it does not answer, refuses,
    or answers with a token that does not cover ``data`` or the nonce sent.
    """
    request = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).nonce(nonce=True).cert_request(cert_request=True).build()
    try:
        with httpx.Client(transport=transport, timeout=timeout, headers={"User-Agent": user_agent}, follow_redirects=False) as client:
            answer = client.post(tsa_url, content=request.as_bytes(), headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
    except httpx.HTTPError as exc:
        raise EvidenceError(tsa_url, f"the time-stamping authority did not answer ({type(exc).__name__}: {exc}); asked again next pass") from None
    if answer.status_code != 200:
        raise EvidenceError(tsa_url, f"the time-stamping authority answered HTTP {answer.status_code}; asked again next pass")
    try:
        response = decode_timestamp_response(answer.content)
    except ValueError as exc:
        raise EvidenceError(tsa_url, f"the answer is not an RFC 3161 timestamp response ({exc})") from None
    if response.status not in (0, 1):
        raise EvidenceError(tsa_url, f"the time-stamping authority refused the request (PKIStatus {response.status}: {response.status_string})")
    if response.tst_info.message_imprint.message != hashlib.sha256(data).digest():
        raise EvidenceError(tsa_url, "the token does not cover the data sent")
    if request.nonce is not None and response.tst_info.nonce != request.nonce:
        raise EvidenceError(tsa_url, "the token does not carry the nonce sent (an old answer replayed?)")
    chain = _ordered_chain(response, roots)
    token = Token(answer.content, response.tst_info.gen_time.astimezone(UTC), "".join(c.public_bytes(Encoding.PEM).decode() for c in chain))
    if roots:  # without a root configured, the chain is checked by `verify` once one is
        verify_token(token.response, data, token.chain_pem, roots=roots, what=tsa_url)
    return token


def token_time(response: bytes) -> datetime:
    """The time a token says (its ``genTime``), UTC."""
    return decode_timestamp_response(response).tst_info.gen_time.astimezone(UTC)


def load_pem_chain(text: str | bytes, what: str) -> list[x509.Certificate]:
    """Every certificate of a PEM text (``what`` names it in the error)."""
    try:
        return x509.load_pem_x509_certificates(text.encode() if isinstance(text, str) else text)
    except ValueError as exc:
        raise EvidenceError(what, f"holds no readable PEM certificate ({exc})") from None


def load_roots(path: str) -> list[x509.Certificate]:
    """``evidence.tsa_ca_file``'s certificates; none when it is ""."""
    if not path:
        return []
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise EvidenceError(path, f"evidence.tsa_ca_file cannot be read ({exc.strerror})") from None
    return load_pem_chain(text, path)


def verify_token(
    response: bytes, data: bytes, chain_pem: str, *, roots: Sequence[x509.Certificate] = (), what: str = "token"
) -> datetime:
    """Check a kept token: it covers SHA-256(``data``), its signature and the signer's chain hold up to a root.

    The roots are ``roots`` when given (the configured ``tsa_ca_file``), else
    the self-signed certificates of ``chain_pem``. Returns the token's time;
    raises ``EvidenceError`` naming ``what`` and saying what failed.
    """
    try:
        parsed = decode_timestamp_response(response)
    except ValueError as exc:
        raise EvidenceError(what, f"is not an RFC 3161 timestamp response ({exc})") from None
    chain = load_pem_chain(chain_pem, what) if chain_pem else []
    anchors = list(roots) or [c for c in chain if _self_signed(c)]
    if not anchors:
        raise EvidenceError(what, "no root certificate to check the token against (set evidence.tsa_ca_file)")
    builder = VerifierBuilder(roots=list(anchors), intermediates=[c for c in chain if not _self_signed(c) and not _is_leaf(c, parsed)])
    try:
        builder.build().verify_message(parsed, data)
    except VerificationError as exc:
        raise EvidenceError(what, f"the timestamp does not verify: {exc}") from None
    except ValueError as exc:
        raise EvidenceError(what, f"the timestamp cannot be checked: {exc}") from None
    return parsed.tst_info.gen_time.astimezone(UTC)


def _self_signed(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject


def _is_leaf(cert: x509.Certificate, response: TimeStampResponse) -> bool:
    signer = next(iter(response.signed_data.signer_infos), None)
    return signer is not None and cert.issuer == signer.issuer and cert.serial_number == signer.serial_number


def _ordered_chain(response: TimeStampResponse, roots: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """The signer's certificate, then each issuer in turn from the token's certificates and ``roots``."""
    pool = [x509.load_der_x509_certificate(der) for der in response.signed_data.certificates] + list(roots)
    leaf = next((c for c in pool if _is_leaf(c, response)), None)
    if leaf is None:
        return _unique(pool)
    chain = [leaf]
    while not _self_signed(chain[-1]):
        issuer = next((c for c in pool if c.subject == chain[-1].issuer and c not in chain), None)
        if issuer is None:
            break
        chain.append(issuer)
    return _unique(chain + [c for c in roots if c not in chain])


def _unique(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    out: list[x509.Certificate] = []
    for cert in certs:
        if cert not in out:
            out.append(cert)
    return out
