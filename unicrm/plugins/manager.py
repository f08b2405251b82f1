"""Finding and loading plugins (lazily, behind a guard; llm ``plugins.py`` style).

Plugins are found only through the ``unicrm`` entry-point group, first-party ones included.
They load on first use. ``UNICRM_PLUGINS`` (comma-separated entry-point names) restricts which
load; ``UNICRM_PLUGINS=""`` loads none. Tests set it so stray installed plugins never load.
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
from types import ModuleType

import pluggy

from unicrm.emulation.sandbox import SandboxSpec
from unicrm.errors import ConfigurationError
from unicrm.plugins import hookspecs
from unicrm.plugins.specs import AdapterSpec

ENTRY_POINT_GROUP = "unicrm"
ENV_VAR = "UNICRM_PLUGINS"

_lock = threading.RLock()
_manager: pluggy.PluginManager | None = None


def _allowed() -> set[str] | None:
    value = os.environ.get(ENV_VAR)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _load(manager: pluggy.PluginManager) -> None:
    allowed = _allowed()
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and entry_point.name not in allowed:
            continue
        if manager.get_plugin(entry_point.name) is not None:
            continue
        try:
            module = entry_point.load()
        except Exception as exc:
            raise ConfigurationError(
                f"plugin {entry_point.name!r} ({entry_point.value}) failed to load: {exc}"
            ) from exc
        manager.register(module, name=entry_point.name)


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, loading entry points on first call."""
    global _manager
    with _lock:
        if _manager is None:
            manager = pluggy.PluginManager(hookspecs.PROJECT)
            manager.add_hookspecs(hookspecs)
            _load(manager)
            _manager = manager
        return _manager


def reset() -> None:
    """Forget loaded plugins (tests; or after changing ``UNICRM_PLUGINS``)."""
    global _manager
    with _lock:
        _manager = None


def register_plugin(module: ModuleType | object, name: str | None = None) -> None:
    """Register a plugin object directly (for tests and embedded use)."""
    get_plugin_manager().register(module, name=name)


def adapters() -> list[AdapterSpec]:
    """Every registered adapter spec."""
    found: list[AdapterSpec] = []
    get_plugin_manager().hook.unicrm_register_adapters(register=found.append)
    return found


def sandboxes() -> list[SandboxSpec]:
    """Every registered sandbox spec."""
    found: list[SandboxSpec] = []
    get_plugin_manager().hook.unicrm_register_sandboxes(register=found.append)
    return found


def plugin_versions() -> dict[str, str]:
    """Loaded plugin name -> distribution version (where known)."""
    versions: dict[str, str] = {}
    for name, plugin in get_plugin_manager().list_name_plugin():
        module = getattr(plugin, "__name__", name)
        versions[name] = getattr(plugin, "__version__", None) or _dist_version(module)
    return versions


def _dist_version(module: str) -> str:
    try:
        return importlib.metadata.version(module.split(".", maxsplit=1)[0])
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
