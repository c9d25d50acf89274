"""Fixture plugin implementing a hook that does not exist (start-up must refuse it)."""

from plugin_sdk import hookimpl


@hookimpl
def pyc_no_such_hook(store):
    return 1
