"""The admin dashboard: server-rendered pages on the platform host under ``/admin``.

Split by area, one module each (``auth``, ``platform``, ``home``, ``orders``, ``plugins``,
``settings``…); what every page shares is in ``guards`` (who may open it), ``rendering`` (the
layout, flash messages, CSRF) and ``assets`` (the vendored, fingerprinted static files). Pages call
the same services, with the same roles and scopes, as the JSON API; no domain rule lives here.
"""
