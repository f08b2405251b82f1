"""Plugin machinery: hook specifications, the plugin manager, and what plugins register."""

from __future__ import annotations

from unicrm.plugins.hookspecs import hookimpl, hookspec
from unicrm.plugins.manager import (
    ENTRY_POINT_GROUP,
    ENV_VAR,
    adapters,
    get_plugin_manager,
    plugin_versions,
    register_plugin,
    reset,
    sandboxes,
)
from unicrm.plugins.options import Kind, Option, check_options
from unicrm.plugins.specs import AdapterFactory, AdapterSpec
from unicrm.plugins.urls import split_url

__all__ = [
    "ENTRY_POINT_GROUP",
    "ENV_VAR",
    "AdapterFactory",
    "AdapterSpec",
    "Kind",
    "Option",
    "adapters",
    "check_options",
    "get_plugin_manager",
    "hookimpl",
    "hookspec",
    "plugin_versions",
    "register_plugin",
    "reset",
    "sandboxes",
    "split_url",
]
