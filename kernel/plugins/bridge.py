"""Connect the plugin kernel to the job queue and the event outbox.

The jobs and events packages know nothing of plugins (they are lower in the
stack); this composition step, run by every process that serves or works
(``create_app`` and ``pycommerce worker``), plugs plugins in:

* every delivered domain event reaches ``pyc_on_event`` of the plugins enabled
  for the event's store;
* job handlers that plugins return from ``pyc_job_handlers`` are registered in
  every worker.
"""

from __future__ import annotations

from kernel.events.dispatch import register_event_consumer
from kernel.jobs.registry import register_job_handler_source
from kernel.plugins.events import deliver_event
from kernel.plugins.manager import get_plugin_manager


def plugin_job_handlers():
    return get_plugin_manager().hook.pyc_job_handlers()


def connect_plugins_to_jobs() -> None:
    """Idempotent: the registries ignore a consumer or source registered twice."""
    register_event_consumer(deliver_event)
    register_job_handler_source(plugin_job_handlers)
