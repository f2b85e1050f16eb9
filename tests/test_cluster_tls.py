"""`--scheduler tls://...` on a real cluster with certificates (docs/SPEED.md, "Every core busy"): a
scheduler and a worker started with `dask ... --tls-*`, formcheck given its certificate through
Dask's settings; a client without one is refused."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES
from formcheck.cli import main

pytest.importorskip("distributed")
pytest.importorskip("cryptography")
pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
CLIP = FIXTURES / "side_knees_past_toes.mp4"


def _certificates(folder: Path) -> dict[str, tuple[Path, Path]]:
    """A CA and, signed by it, a certificate and key each for the scheduler, the worker and the
    client; plus ca.pem. (name -> (cert, key))"""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("test-ca")).issuer_name(name("test-ca"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    out = {}
    for who in ("scheduler", "worker", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name(who)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
                .sign(ca_key, hashes.SHA256()))
        c, k = folder / f"{who}.pem", folder / f"{who}.key"
        c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        k.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
        out[who] = (c, k)
    return out


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls")
    certs = _certificates(base)
    ca = str(base / "ca.pem")
    sched_file = base / "scheduler.json"
    tls = lambda who: ["--tls-ca-file", ca, "--tls-cert", str(certs[who][0]),  # noqa: E731
                       "--tls-key", str(certs[who][1])]
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--protocol", "tls", "--host",
                               "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
                               str(sched_file), *tls("scheduler")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sched_file.is_file(), "the scheduler did not start"
        procs.append(subprocess.Popen(
            [str(BIN / "dask"), "worker", "--scheduler-file", str(sched_file), "--host",
             "127.0.0.1", "--nworkers", "1", "--nthreads", "1", "--no-dashboard", *tls("worker")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tls://")
        yield address, ca, certs["client"]
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_analyze_on_a_tls_cluster_with_dask_tls_settings(tls_cluster, tmp_path, capsys,
                                                         monkeypatch):
    address, ca, (cert, key) = tls_cluster
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", ca)
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT", str(cert))
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY", str(key))
    import dask

    dask.config.refresh()          # Dask reads its environment variables on refresh
    try:
        report = tmp_path / "r.json"
        code = main(["analyze", str(CLIP), "--report", str(report), "--scheduler", address])
        assert code == 0, capsys.readouterr().err
        assert json.loads(report.read_text())["rep_count"] == 3
    finally:
        monkeypatch.undo()
        dask.config.refresh()


def test_a_client_without_a_certificate_of_the_clusters_ca_is_refused(tls_cluster):
    from distributed import Client
    from distributed.security import Security

    address, _, _ = tls_cluster
    for kw in ({"security": Security.temporary()},):   # its own key pair, not signed by the CA
        with pytest.raises((OSError, TimeoutError)):
            with Client(address, timeout="5s", set_as_default=False, **kw) as c:
                c.run(os.getuid)
    with pytest.raises((OSError, TimeoutError)):
        with Client(address.replace("tls://", "tcp://"), timeout="5s", set_as_default=False) as c:
            c.run(os.getuid)
