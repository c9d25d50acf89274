"""The audit log: who changed what, when, and from where.

    from kernel.audit import audit
    await audit(session, principal, request, "product.update", "product", product.id, {"price": [100, 120]})
"""

from kernel.audit.service import audit

__all__ = ["audit"]
