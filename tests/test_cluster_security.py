"""The local Dask cluster opens nothing another local user can use (issue 24): its scheduler,
workers and nannies speak mutual TLS with a key pair made for that cluster alone, so a client
without it - plain TCP, TLS with no certificate, or TLS with a certificate of its own - is
refused and cannot run code as formcheck's user."""

from __future__ import annotations

import os
import socket
import ssl

import pytest

pytest.importorskip("distributed")
pytest.importorskip("cryptography")


@pytest.fixture(scope="module")
def engine():
    from formcheck.engine import Engine

    with Engine(workers=1) as eng:
        eng.client.run(os.getpid)      # the cluster is up, its worker answers us
        yield eng


def _attempt(address: str, **kw):
    from distributed import Client

    with Client(address, timeout="3s", set_as_default=False, **kw) as c:
        return c.run(os.getuid)       # what an intruder would do: run code on the workers


def test_the_local_cluster_listens_on_tls_only_and_runs_our_tasks(engine):
    address = engine.client.scheduler.address
    assert address.startswith("tls://127.0.0.1:")
    assert set(engine.client.run(os.getuid).values()) == {os.getuid()}
    workers = engine.client.scheduler_info()["workers"]
    assert workers and all(w.startswith("tls://127.0.0.1:") for w in workers)


def test_a_client_without_the_clusters_key_is_refused(engine):
    from distributed.security import Security

    address = engine.client.scheduler.address
    for target, kw in [(address.replace("tls://", "tcp://"), {}),    # plain TCP
                       (address, {"security": Security.temporary()})]: # a certificate of its own
        with pytest.raises((OSError, TimeoutError)):
            _attempt(target, **kw)


def test_no_address_of_the_cluster_talks_without_its_certificate(engine):
    """The scheduler, every worker and its nanny demand a certificate signed for this cluster:
    TLS with no certificate, or with one of the intruder's own, gets nothing."""
    from distributed.security import Security

    info = engine.client.scheduler_info()["workers"]
    targets = [engine.client.scheduler.address] + list(info) + \
        [w["nanny"] for w in info.values() if w.get("nanny")]
    assert len(targets) == 3
    for addr in targets:
        host, port = addr.removeprefix("tls://").rsplit(":", 1)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
                with ctx.wrap_socket(raw) as tls:
                    tls.sendall(b"\x00" * 8)
                    if not tls.recv(1):      # closed by the peer: refused
                        raise ConnectionError("closed")
        with pytest.raises((OSError, TimeoutError)):
            from distributed.comm import connect
            import asyncio

            async def go():
                comm = await connect(addr, timeout="3s",
                                     **Security.temporary().get_connection_args("client"))
                await comm.write({"op": "identity"})
                return await comm.read()

            asyncio.run(go())


def test_a_tls_scheduler_without_certificates_is_a_clear_message(capsys, monkeypatch):
    from formcheck.cli import main

    for var in ("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT",
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY"):
        monkeypatch.delenv(var, raising=False)
    code = main(["analyze", "clip.mp4", "--scheduler", "tls://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert "tls://127.0.0.1:9 needs certificates: set DASK_DISTRIBUTED__COMM__TLS__CA_FILE" in err
