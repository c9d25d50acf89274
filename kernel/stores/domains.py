"""Which host names a store may claim for its storefront.

A store answers on ``<slug>.<platform domain>`` by its slug, and on the custom domains it lists
once it has proven it controls them (:mod:`kernel.stores.verification`). So a claim is refused:

* **under the platform domain**, unless it is the store's own ``<slug>.<platform domain>``: with
  409 when another store answers on it (its slug), with 422 otherwise, since such a name is
  reserved for a store that may be created later (the platform domain itself is the platform's);
* **on another store's verified custom domain**: 409. Unverified claims by other stores do not
  block: they do not serve, and the first store to prove the name is the one that answers on it.

Names are compared normalised (:func:`kernel.stores.models.normalise_hostname`): ``Shop.Example.`` and ``shop.example`` are one
name, in these checks as in the indexes behind them (:data:`kernel.stores.models.NORMALISED_HOSTNAME_SQL`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import Conflict, InvalidInput
from kernel.stores.models import Store, normalise_hostname as normalise
from kernel.tenancy import is_platform_name, slug_from_host, store_for_domain


def _field_error(index: int, message: str) -> dict:
    return {"loc": ["body", "domains", index], "msg": message, "type": "value_error"}


async def check_claims(session: AsyncSession, hostnames: Iterable[str], *, slug: str, store_id: int | None,
                       platform_domain: str) -> None:
    """Refuse names the store (``slug``; ``store_id`` None while it is being created) may not claim."""
    hostnames = [normalise(h) for h in hostnames]
    platform = normalise(platform_domain)
    reserved: list[tuple[int, str]] = []
    taken_slugs: dict[str, str] = {}
    for index, host in enumerate(hostnames):
        if not is_platform_name(host, platform):
            continue
        owner = slug_from_host(host, platform)
        if owner == slug:
            continue  # the store's own platform address
        if owner is None:
            reserved.append((index, host))
        else:
            taken_slugs[owner] = host
    if taken_slugs:
        answering = set((await session.execute(
            select(Store.slug).where(Store.slug.in_(list(taken_slugs))))).scalars())
        if answering:
            names = ", ".join(sorted(taken_slugs[s] for s in answering))
            raise Conflict(f"{names}: another store's platform address (its storefront answers there).")
        reserved += [(hostnames.index(h), h) for h in taken_slugs.values()]
    if reserved:
        message = (f"Names under {platform} are reserved for each store's own address "
                   f"(<slug>.{platform}); this store's is {slug}.{platform}.")
        raise InvalidInput(message, errors=[_field_error(i, message) for i, _ in sorted(reserved)])
    custom = [h for h in hostnames if not is_platform_name(h, platform)]
    if not custom:
        return
    # Other stores' domains sit behind their stores' walls: ask who answers on each name.
    taken = [host for host in custom
             if (owner := await store_for_domain(session, host)) is not None and owner.id != store_id]
    if taken:
        raise Conflict(f"{', '.join(sorted(set(taken)))}: already verified by another store, whose storefront "
                       "answers there.")


def is_own_platform_address(hostname: str, slug: str, platform_domain: str) -> bool:
    """``<slug>.<platform domain>``: the store's own address, which needs no proof."""
    return slug_from_host(hostname, platform_domain) == slug
