"""Custom-domain proofs answered on 127.0.0.1: DNS TXT records from a dict (or a real UDP name
server built on dnspython), HTTP files from a real local HTTP server."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

from kernel.stores.verification import WELL_KNOWN_PATH, DomainVerifier


class TxtRecords(dict):
    """name → TXT values; callable as a :data:`kernel.stores.verification.TxtLookup`."""

    async def __call__(self, name: str) -> list[str]:
        return list(self.get(name, ()))


@contextlib.contextmanager
def verifier_on(app, verifier: DomainVerifier):
    """``app`` checks proofs with ``verifier`` inside the block."""
    previous = app.state.domain_verifier
    app.state.domain_verifier = verifier
    try:
        yield verifier
    finally:
        app.state.domain_verifier = previous


@contextlib.contextmanager
def dns_server(records: dict[str, list[str]]):
    """A UDP name server on 127.0.0.1 answering TXT queries from ``records``; yields its port."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().rstrip(".")
            if question.rdtype == dns.rdatatype.TXT and name in records:
                response.answer.append(dns.rrset.from_text_list(
                    question.name, 60, "IN", "TXT", [f'"{value}"' for value in records[name]]))
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(response.to_wire(), self.client_address)

    server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def http_files(files: dict[tuple[str, str], str]):
    """An HTTP server on 127.0.0.1 serving (Host, token) → body under the well-known path; yields
    the base URL. It answers by the ``Host`` header, as a real site serving many names would."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            host = (self.headers.get("Host") or "").split(":")[0]
            token = self.path.removeprefix(WELL_KNOWN_PATH)
            body = files.get((host, token)) if self.path.startswith(WELL_KNOWN_PATH) else None
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def verify_by_dns(app, client, owner_headers: dict, slug: str, hostname: str):
    """Ask for ``hostname``'s token, publish it (in a dict), verify: the domain serves afterwards."""
    token = (await client.post(f"/api/v1/stores/{slug}/domains/{hostname}/verification",
                               headers=owner_headers)).json()["token"]
    with verifier_on(app, DomainVerifier(txt_lookup=TxtRecords({f"_pycommerce-verify.{hostname}": [token]}))):
        return await client.post(f"/api/v1/stores/{slug}/domains/{hostname}/verify", headers=owner_headers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
