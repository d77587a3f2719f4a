"""A replica RFC 3161 time-stamping authority on 127.0.0.1, made with real OpenSSL.

``TsaReplica`` makes a test CA and a TSA certificate signed by it with the
``openssl`` command (``req`` and ``x509``; the TSA certificate has the
critical ``extendedKeyUsage = timeStamping`` RFC 3161 requires), then answers
HTTP POSTs of ``application/timestamp-query`` with what ``openssl ts -reply``
makes of them (``application/timestamp-reply``): the same tokens a public TSA
gives, checked by the same ``openssl ts -verify``. Nothing here is hand-made
ASN.1. The CA's certificate (``ca_pem``) is what a verifier trusts.

A token carries the TSA's own certificate only (no ``certs`` in the config):
OpenSSL writes a token's certificates as a SET OF in the order given, not in
DER's sorted order, and rfc3161-client, which parses strict DER, refuses a
set of two in the wrong order. The CA comes from ``evidence.tsa_ca_file``.

For tests: ``refuse_next(n)`` answers HTTP 503 to the next ``n`` queries (``stop_refusing()`` ends it),
``requests`` counts the queries answered, ``folder`` keeps the key material
(a temporary folder by default, removed on exit).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from series_archiver.errors import EvidenceError

__all__ = ["TsaReplica", "make_tsa_material"]

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"

_TS_CONFIG = """
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.23.1
digests = sha256, sha384, sha512
accuracy = secs:1
clock_precision_digits = 0
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

_TSA_EXTENSIONS = """
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise EvidenceError("openssl", f"{' '.join(args[:2])} failed: {done.stderr.strip()}")


def make_tsa_material(folder: Path) -> None:
    """A test CA (ca.pem, ca.key), a TSA certificate it signed (tsa.pem, tsa.key) and the ``openssl ts`` config (tsa.cnf).

    Kept if already there, so a folder beside an archive keeps one CA across demo runs.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "tsa.cnf").exists() and (folder / "tsa.pem").exists():
        return
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650", "-sha256",
        "-subj", "/O=series-archiver replica/CN=series-archiver replica TSA root CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )
    _openssl("req", *ec, "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/O=series-archiver replica/CN=series-archiver replica TSA", cwd=folder)
    (folder / "tsa.ext").write_text(_TSA_EXTENSIONS, encoding="ascii")
    _openssl(
        "x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tsa.pem", "-days", "3650", "-sha256", "-extfile", "tsa.ext",
        cwd=folder,
    )
    (folder / "tsaserial").write_text("01\n", encoding="ascii")
    (folder / "tsa.cnf").write_text(_TS_CONFIG.format(dir=folder.resolve()), encoding="utf-8")


class TsaReplica:
    """``with TsaReplica() as tsa:`` a TSA at ``tsa.url`` whose root is ``tsa.ca_pem``."""

    def __init__(self, folder: Path | None = None) -> None:
        if shutil.which("openssl") is None:
            raise EvidenceError("openssl", "not found: the replica TSA is made with it (apt-get install openssl)")
        self._temporary = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="sa-tsa-")) if folder is None else folder
        make_tsa_material(self.folder)
        self.requests = 0
        self._refusals = 0
        self._lock = threading.Lock()  # openssl ts -reply reads and writes the serial file
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="tsa-replica", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/tsr"

    @property
    def ca_pem(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def tsa_pem(self) -> Path:
        return self.folder / "tsa.pem"

    def refuse_next(self, n: int = 1) -> None:
        with self._lock:
            self._refusals += n

    def stop_refusing(self) -> None:
        with self._lock:
            self._refusals = 0

    def reply(self, query: bytes) -> tuple[int, bytes]:
        """``openssl ts -reply`` on one query: (HTTP status, body)."""
        with self._lock:
            if self._refusals:
                self._refusals -= 1
                return 503, b"busy"
            with tempfile.TemporaryDirectory(prefix="q-", dir=self.folder) as tmp:
                q, r = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
                q.write_bytes(query)
                done = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", str(self.folder / "tsa.cnf"), "-queryfile", str(q), "-out", str(r)],
                    capture_output=True, text=True, check=False,
                )
                if done.returncode != 0 or not r.exists():
                    return 400, done.stderr.encode()
                self.requests += 1
                return 200, r.read_bytes()

    def __enter__(self) -> TsaReplica:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._temporary:
            shutil.rmtree(self.folder, ignore_errors=True)


def _handler(replica: TsaReplica) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if (self.headers.get("Content-Type") or "").split(";")[0].strip() != QUERY_TYPE:
                status, data, kind = 415, f"send {QUERY_TYPE}".encode(), "text/plain"
            else:
                status, data = replica.reply(body)
                kind = REPLY_TYPE if status == 200 else "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
