"""The hookimpl marker for built-in plugins (same project name as the kernel's hook specs)."""

try:
    from plugin_sdk import hookimpl  # type: ignore[attr-defined]
except ImportError:  # before plugin_sdk re-exports it
    import pluggy

    hookimpl = pluggy.HookimplMarker("pycommerce")

__all__ = ["hookimpl"]
