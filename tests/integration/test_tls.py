"""TLS: a TLS port next to the plain one, client certificates (tls-auth-clients),
refused handshakes that leave the server serving, certificate reload by CONFIG SET.

Certificates are made at test time with `openssl` in a temporary directory: a CA,
a server certificate for 127.0.0.1, a client certificate, a second server
certificate (for the reload) and a client certificate from another CA.
In reference mode the same checks run against Debian's redis-server (built with TLS).
"""
import os
import socket
import ssl
import subprocess

import pytest
import redis

from conftest import ServerProcess, call, free_port, is_reference, raises_reply, server_bin

TLS_UPDATE_FAILED = ("ERR CONFIG SET failed (possibly related to argument '{}') - "
                     "Unable to update TLS configuration. Check server logs.")


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(directory, name):
    openssl("req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2", "-subj", f"/CN={name}", cwd=directory)


def make_cert(directory, ca, name, server):
    openssl("req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=directory)
    extensions = os.path.join(directory, f"{name}.ext")
    with open(extensions, "w") as out:
        out.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n" if server else "extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", "-extfile", extensions, cwd=directory)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("certs"))
    make_ca(directory, "ca")
    make_ca(directory, "other-ca")
    make_cert(directory, "ca", "server", server=True)
    make_cert(directory, "ca", "server-reloaded", server=True)
    make_cert(directory, "ca", "client", server=False)
    make_cert(directory, "other-ca", "stranger", server=False)
    openssl("pkey", "-in", "server.key", "-out", "server-encrypted.key", "-aes256", "-passout", "pass:s3cret",
            cwd=directory)
    return lambda name: os.path.join(directory, name)


class TlsServerProcess(ServerProcess):
    """A server with a TLS port next to the plain one (both free loopback ports)."""

    def __init__(self, binary, workdir, certs):
        super().__init__(binary, workdir)
        self.certs = certs
        self.tls_port = None

    def args(self):
        self.tls_port = free_port()
        return super().args() + [
            "--tls-port", str(self.tls_port),
            "--tls-cert-file", self.certs("server.crt"), "--tls-key-file", self.certs("server.key"),
            "--tls-ca-cert-file", self.certs("ca.crt")]


@pytest.fixture(scope="module")
def server(tmp_path_factory, certs):
    srv = TlsServerProcess(server_bin(), tmp_path_factory.mktemp("tls"), certs)
    srv.start()
    yield srv
    srv.ensure_alive()
    srv.stop()
    assert srv.returncode == 0, srv.log_tail()


def tls_client(server, cert="client", **kwargs):
    """redis-py over TLS, verifying the server against the test CA; `cert`: the
    client certificate to present (None for none)."""
    options = dict(host="127.0.0.1", port=server.tls_port, ssl=True, ssl_ca_certs=server.certs("ca.crt"),
                   decode_responses=True, socket_timeout=10)
    if cert is not None:
        options.update(ssl_certfile=server.certs(f"{cert}.crt"), ssl_keyfile=server.certs(f"{cert}.key"))
    options.update(kwargs)
    return redis.Redis(**options)


def tls_socket(server, cert="client", maximum_version=None):
    """A raw TLS socket (handshake done), for checks redis-py hides."""
    context = ssl.create_default_context(cafile=server.certs("ca.crt"))
    if cert is not None:
        context.load_cert_chain(server.certs(f"{cert}.crt"), server.certs(f"{cert}.key"))
    if maximum_version is not None:
        context.maximum_version = maximum_version
    raw = socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def refused(server, cert):
    """True if a client presenting `cert` cannot run a command over TLS. With TLS 1.3
    the client's side of the handshake may finish before the server has checked the
    certificate: the refusal then shows on the first read."""
    client = tls_client(server, cert=cert)
    try:
        client.ping()
        return False
    except (redis.ConnectionError, ssl.SSLError, OSError):
        return True
    finally:
        client.close()


def redis_cli(server, *args, cert="client"):
    command = ["redis-cli", "-h", "127.0.0.1", "-p", str(server.tls_port), "--tls",
               "--cacert", server.certs("ca.crt")]
    if cert is not None:
        command += ["--cert", server.certs(f"{cert}.crt"), "--key", server.certs(f"{cert}.key")]
    return subprocess.run(command + list(args), capture_output=True, text=True, timeout=30)


def test_redis_cli_with_a_client_certificate(server, r):
    assert redis_cli(server, "SET", "cli-key", "over tls").stdout.strip() == "OK"
    assert redis_cli(server, "GET", "cli-key").stdout.strip() == "over tls"
    # The plain port serves the same data side by side.
    assert r.get("cli-key") == "over tls"


def test_redis_py_with_a_client_certificate(server, r):
    client = tls_client(server)
    try:
        assert client.set("py-key", "x" * 100000)
        assert client.get("py-key") == "x" * 100000
        pipe = client.pipeline(transaction=False)
        for i in range(500):
            pipe.incr("py-counter")
        assert pipe.execute()[-1] == 500
        assert call(client, "CLIENT", "INFO").startswith("id=")
    finally:
        client.close()
    assert r.get("py-counter") == "500"


def test_a_client_without_a_certificate_is_refused(server, r):
    assert refused(server, cert=None)
    assert redis_cli(server, "PING", cert=None).stdout.strip() != "PONG"
    assert r.ping()
    assert not refused(server, cert="client")


def test_a_certificate_from_another_ca_is_refused_and_others_are_served(server, r):
    served = tls_client(server)
    try:
        assert served.set("before", "1")
        assert refused(server, cert="stranger")
        assert served.get("before") == "1"  # the connected client goes on
    finally:
        served.close()
    assert not refused(server, cert="client")
    assert r.ping()


def test_plain_text_on_the_tls_port_is_refused_and_others_are_served(server, r):
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=10) as plain:
        plain.sendall(b"PING\r\n")
        try:
            reply = plain.recv(100)
        except ConnectionResetError:
            reply = b""
        assert not reply.startswith(b"+PONG")
    assert not refused(server, cert="client")
    assert r.ping()


def test_tls_auth_clients_no_and_optional(server, r, config_restore):
    config_restore("tls-auth-clients")
    assert call(r, "CONFIG", "SET", "tls-auth-clients", "no") == "OK"
    assert not refused(server, cert=None)
    assert call(r, "CONFIG", "SET", "tls-auth-clients", "optional") == "OK"
    assert not refused(server, cert=None)
    assert not refused(server, cert="client")
    assert refused(server, cert="stranger")  # optional still verifies one that is sent
    assert call(r, "CONFIG", "SET", "tls-auth-clients", "yes") == "OK"
    assert refused(server, cert=None)


def peer_common_name(server):
    with tls_socket(server) as sock:
        subject = dict(item[0] for item in sock.getpeercert()["subject"])
        return subject["commonName"]


def test_config_set_tls_cert_file_reloads_the_certificate(server, r):
    before = tls_client(server)
    try:
        assert before.ping()
        assert peer_common_name(server) == "server"
        assert call(r, "CONFIG", "SET", "tls-cert-file", server.certs("server-reloaded.crt"),
                    "tls-key-file", server.certs("server-reloaded.key")) == "OK"
        assert peer_common_name(server) == "server-reloaded"  # new connections
        assert before.ping()  # a connection made before the reload keeps working
    finally:
        before.close()
        # The pair goes back in one CONFIG SET: a certificate alone would not match the key.
        call(r, "CONFIG", "SET", "tls-cert-file", server.certs("server.crt"),
             "tls-key-file", server.certs("server.key"))


def test_a_bad_certificate_file_fails_config_set_and_keeps_the_old_one(server, r, tmp_path):
    before = r.config_get("tls-cert-file")
    with raises_reply(TLS_UPDATE_FAILED.format("tls-cert-file")):
        call(r, "CONFIG", "SET", "tls-cert-file", str(tmp_path / "missing.crt"))
    garbage = tmp_path / "garbage.crt"
    garbage.write_text("not a certificate\n")
    with raises_reply(TLS_UPDATE_FAILED.format("tls-cert-file")):
        call(r, "CONFIG", "SET", "tls-cert-file", str(garbage))
    # A certificate whose key is not tls-key-file's.
    with raises_reply(TLS_UPDATE_FAILED.format("tls-cert-file")):
        call(r, "CONFIG", "SET", "tls-cert-file", server.certs("client.crt"))
    assert r.config_get("tls-cert-file") == before
    assert not refused(server, cert="client")


def test_tls_protocols(server, r, config_restore):
    config_restore("tls-protocols")
    with raises_reply(TLS_UPDATE_FAILED.format("tls-protocols")):
        call(r, "CONFIG", "SET", "tls-protocols", "TLSv9")
    assert call(r, "CONFIG", "SET", "tls-protocols", "TLSv1.3") == "OK"
    with pytest.raises((ssl.SSLError, OSError)):
        tls_socket(server, maximum_version=ssl.TLSVersion.TLSv1_2).close()
    with tls_socket(server) as sock:
        assert sock.version() == "TLSv1.3"
    assert call(r, "CONFIG", "SET", "tls-protocols", "TLSv1.2") == "OK"
    with tls_socket(server) as sock:
        assert sock.version() == "TLSv1.2"


def test_tls_parameters_defaults_and_round_trip(new_server):
    plain = new_server()
    client = plain.client()
    try:
        defaults = {name: value for name, value in client.config_get("tls-*").items()
                    if name in ("tls-port", "tls-auth-clients", "tls-session-caching", "tls-session-cache-size",
                                "tls-session-cache-timeout", "tls-prefer-server-ciphers", "tls-protocols")}
        assert defaults == {"tls-port": "0", "tls-auth-clients": "yes", "tls-session-caching": "yes",
                            "tls-session-cache-size": "20480", "tls-session-cache-timeout": "300",
                            "tls-prefer-server-ciphers": "no", "tls-protocols": ""}
        # Without a TLS port, TLS parameters are stored, not checked (as in Redis).
        assert call(client, "CONFIG", "SET", "tls-cert-file", "/nonexistent.crt") == "OK"
    finally:
        client.close()


def test_config_set_tls_port_opens_the_tls_listener(new_server, certs):
    srv = new_server("--tls-cert-file", certs("server.crt"), "--tls-key-file", certs("server.key"),
                     "--tls-ca-cert-file", certs("ca.crt"))
    srv.certs = certs
    admin = srv.client()
    try:
        srv.tls_port = free_port()
        assert call(admin, "CONFIG", "SET", "tls-port", str(srv.tls_port)) == "OK"
        assert not refused(srv, cert="client")
    finally:
        admin.close()


def test_an_encrypted_key_with_tls_key_file_pass(server, r):
    try:
        if not is_reference():
            # Without the passphrase the key does not load (Redis 7.0 would prompt on its terminal).
            with raises_reply(TLS_UPDATE_FAILED.format("tls-key-file")):
                call(r, "CONFIG", "SET", "tls-key-file", server.certs("server-encrypted.key"))
        assert call(r, "CONFIG", "SET", "tls-key-file-pass", "s3cret",
                    "tls-key-file", server.certs("server-encrypted.key")) == "OK"
        assert not refused(server, cert="client")
    finally:
        call(r, "CONFIG", "SET", "tls-key-file", server.certs("server.key"), "tls-key-file-pass", "")
