"""Proving a store controls a custom domain, before the domain serves its storefront.

The store asks for a token (one per listed name, kept until the name is removed) and publishes it
in either of two places; verifying then looks in both:

* a DNS TXT record ``_pycommerce-verify.<domain>`` whose value is the token;
* an HTTP file ``http://<domain>/.well-known/pycommerce-verify/<token>`` whose body is the token.

Both are checks a name's controller alone can pass. The HTTP check fetches one fixed path, follows
no redirect, reads a few bytes and waits a few seconds at most, so a merchant naming an internal
host learns nothing beyond "verified or not". Where the lookups go is injectable
(:class:`DomainVerifier`'s arguments; ``app.state.domain_verifier``), so tests answer them from
servers on 127.0.0.1.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

log = logging.getLogger("pycommerce.domains")

TXT_LABEL = "_pycommerce-verify"
WELL_KNOWN_PATH = "/.well-known/pycommerce-verify/"
CHECK_TIMEOUT_SECONDS = 5.0
_MAX_BODY = 256


def new_token() -> str:
    return "pcv-" + secrets.token_urlsafe(24)


def txt_record_name(hostname: str) -> str:
    return f"{TXT_LABEL}.{hostname}"


def http_file_url(hostname: str, token: str) -> str:
    return f"http://{hostname}{WELL_KNOWN_PATH}{token}"


TxtLookup = Callable[[str], Awaitable[list[str]]]


def dns_txt_lookup(nameservers: list[str] | None = None, port: int = 53) -> TxtLookup:
    """TXT values of a name through dnspython (the system's resolvers, or ``nameservers``)."""
    import dns.asyncresolver
    import dns.exception
    import dns.resolver

    resolver = dns.asyncresolver.Resolver(configure=nameservers is None)
    if nameservers is not None:
        resolver.nameservers, resolver.port = nameservers, port
    resolver.lifetime = CHECK_TIMEOUT_SECONDS

    async def lookup(name: str) -> list[str]:
        try:
            answer = await resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers,
                dns.exception.Timeout):
            return []
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]

    return lookup


@dataclass
class DomainVerifier:
    """Checks a token in DNS, then over HTTP.

    ``txt_lookup`` answers TXT queries; ``http_base`` maps a host name to the base URL its HTTP file
    is fetched from (the name itself by default; a test points it at a local server, the request
    still naming the domain in ``Host``).
    """

    txt_lookup: TxtLookup = field(default_factory=dns_txt_lookup)
    http_base: Callable[[str], str] = lambda hostname: f"http://{hostname}"

    async def proof(self, hostname: str, token: str) -> str | None:
        """``"dns"`` or ``"http"``: where the token was found; None when it was found nowhere."""
        try:
            if token in [value.strip() for value in await self.txt_lookup(txt_record_name(hostname))]:
                return "dns"
        except Exception as exc:  # noqa: BLE001 - a resolver failure only means "not proven by DNS"
            log.warning("domain TXT lookup failed", extra={"hostname": hostname, "error": type(exc).__name__})
        if await self._http_file_says(hostname, token):
            return "http"
        return None

    async def _http_file_says(self, hostname: str, token: str) -> bool:
        url = self.http_base(hostname) + WELL_KNOWN_PATH + token
        try:
            async with httpx.AsyncClient(follow_redirects=False, timeout=CHECK_TIMEOUT_SECONDS) as client:
                async with client.stream("GET", url, headers={"Host": hostname}) as response:
                    if response.status_code != 200:
                        return False
                    body = b""
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > _MAX_BODY:
                            return False
        except httpx.HTTPError:
            return False
        return body.decode("utf-8", "replace").strip() == token
