"""Connect the plugin kernel to the job queue and the event outbox.

The jobs and events packages know nothing of plugins (they are lower in the
stack); this composition step, run by every process that serves or works
(``create_app`` and ``pycommerce worker``), plugs plugins in:

* every domain event reaches ``pyc_on_event`` of each plugin enabled for the
  event's store, in a delivery job of that plugin's own;
* job handlers that plugins return from ``pyc_job_handlers`` are registered in
  every worker.
"""

from __future__ import annotations

from kernel.events.dispatch import register_consumer_source
from kernel.jobs.registry import register_job_handler_source
from kernel.plugins.events import PLUGIN_CONSUMERS
from kernel.plugins.manager import get_plugin_manager


def plugin_job_handlers():
    return get_plugin_manager().hook.pyc_job_handlers()


def connect_plugins_to_jobs() -> None:
    """Idempotent: registering the same source again replaces it with itself."""
    register_consumer_source(PLUGIN_CONSUMERS)
    register_job_handler_source(plugin_job_handlers)
