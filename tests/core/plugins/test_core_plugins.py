"""Plugins: hook specifications, the ``register`` callback, entry-point loading restricted by
``UNICRM_PLUGINS``, lazy adapter factories, and a fake third-party plugin."""

from __future__ import annotations

import importlib.metadata
import inspect
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

import unicrm
from unicrm import ConfigurationError
from unicrm.adapter import Adapter
from unicrm.emulation import SandboxSpec
from unicrm.plugins import (
    ENTRY_POINT_GROUP,
    ENV_VAR,
    AdapterSpec,
    adapters,
    get_plugin_manager,
    hookimpl,
    hookspecs,
    plugin_versions,
    register_plugin,
    reset,
    sandboxes,
)


@pytest.fixture(autouse=True)
def fresh_manager() -> Iterator[None]:
    reset()
    yield
    reset()


def _fake_plugin(calls: list[str]) -> types.ModuleType:
    """A module shaped like a third-party plugin: hookimpls, a version, a lazy factory."""
    module = types.ModuleType("unicrm_fakevendor")
    module.__version__ = "9.8.7"  # type: ignore[attr-defined]

    def factory(url: str, options: Mapping[str, Any]) -> Adapter:
        calls.append(url)
        from unicrm_memory.adapter import MemoryAdapter  # reuse a real adapter

        return MemoryAdapter.from_url("memory://fakevendor", {})

    @hookimpl
    def unicrm_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
        register(AdapterSpec("fakevendor", ("fake", "fake+http"), factory, version="9.8.7"))

    @hookimpl
    def unicrm_register_sandboxes(register: Callable[[SandboxSpec], None]) -> None:
        register(SandboxSpec("fakevendor", "a fake sandbox", lambda options: None))  # type: ignore[arg-type, return-value]

    module.unicrm_register_adapters = unicrm_register_adapters  # type: ignore[attr-defined]
    module.unicrm_register_sandboxes = unicrm_register_sandboxes  # type: ignore[attr-defined]
    return module


# --- hook specifications -------------------------------------------------------------------

HOOKS = [
    (name, fn)
    for name, fn in vars(hookspecs).items()
    if callable(fn) and hasattr(fn, "unicrm_spec")
]


def test_there_are_hookspecs() -> None:
    assert {name for name, _ in HOOKS} == {"unicrm_register_adapters", "unicrm_register_sandboxes"}


@pytest.mark.parametrize("name, fn", HOOKS, ids=[n for n, _ in HOOKS])
def test_hookspecs_are_prefixed_typed_and_documented(name: str, fn: Any) -> None:
    assert name.startswith("unicrm_")
    signature = inspect.signature(fn)
    assert all(p.annotation is not inspect.Parameter.empty for p in signature.parameters.values())
    assert signature.return_annotation is not inspect.Signature.empty
    doc = inspect.getdoc(fn) or ""
    summary = doc.splitlines()[0] if doc else ""
    assert summary, f"{name} has no summary line"
    for parameter in signature.parameters:
        assert f":param {parameter}:" in doc
    assert ":return:" in doc
    assert list(signature.parameters) == ["register"]


# --- loading --------------------------------------------------------------------------------


def test_first_party_plugins_load_through_entry_points() -> None:
    names = {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert "memory" in names
    assert "memory" in {spec.name for spec in adapters()}
    assert "memory" in plugin_versions()


def test_env_var_restricts_which_plugins_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "")
    reset()
    assert adapters() == []
    with pytest.raises(ConfigurationError, match="none: no plugin loaded"):
        unicrm.connect("memory://")
    monkeypatch.setenv(ENV_VAR, " memory , ")
    reset()
    assert [spec.name for spec in adapters()] == ["memory"]
    assert list(plugin_versions()) == ["memory"]


def test_stray_installed_plugins_are_not_loaded_in_this_suite() -> None:
    # this repository's tests/conftest.py pins UNICRM_PLUGINS to the first-party plugins
    import os

    allowed = set(os.environ[ENV_VAR].split(","))
    loaded = {name for name, _ in get_plugin_manager().list_name_plugin()}
    assert loaded <= allowed


def test_a_broken_plugin_is_a_clear_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = importlib.metadata.EntryPoint("broken", "no_such_module_xyz", ENTRY_POINT_GROUP)
    _add_entry_points(monkeypatch, [broken])
    monkeypatch.setenv(ENV_VAR, "broken")
    reset()
    with pytest.raises(ConfigurationError, match=r"plugin 'broken'.*failed to load"):
        adapters()


def _add_entry_points(
    monkeypatch: pytest.MonkeyPatch, extra: list[importlib.metadata.EntryPoint]
) -> None:
    real = importlib.metadata.entry_points

    def entry_points(**kwargs: Any) -> Any:
        found = list(real(**kwargs))
        if kwargs.get("group") == ENTRY_POINT_GROUP:
            found.extend(extra)
        return found

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_a_third_party_plugin_found_by_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setitem(sys.modules, "unicrm_fakevendor", _fake_plugin(calls))
    entry = importlib.metadata.EntryPoint("fakevendor", "unicrm_fakevendor", ENTRY_POINT_GROUP)
    _add_entry_points(monkeypatch, [entry])
    monkeypatch.setenv(ENV_VAR, "memory,fakevendor")
    reset()
    assert unicrm.known_schemes() == ["fake", "fake+http", "memory"]
    assert calls == []  # lazy: listing adapters builds none
    assert plugin_versions()["fakevendor"] == "9.8.7"
    assert "fakevendor" in {s.name for s in sandboxes()}
    crm = unicrm.connect("fake+http://somewhere")
    assert calls == ["fake+http://somewhere"]
    assert isinstance(crm, unicrm.CRM)
    # restricted out again: gone
    monkeypatch.setenv(ENV_VAR, "memory")
    reset()
    assert "fake" not in unicrm.known_schemes()


def test_register_plugin_directly() -> None:
    calls: list[str] = []
    register_plugin(_fake_plugin(calls), name="fake-direct")
    specs = [spec for spec in adapters() if spec.name == "fakevendor"]
    assert len(specs) == 1 and specs[0].schemes == ("fake", "fake+http")
    assert "fake" in unicrm.known_schemes()
    reset()
    assert "fake" not in unicrm.known_schemes()


def test_every_collection_hook_call_gets_a_register_callback() -> None:
    seen: list[object] = []

    class Spy:
        @hookimpl
        def unicrm_register_adapters(self, register: Callable[[AdapterSpec], None]) -> None:
            seen.append(register)

    register_plugin(Spy(), name="spy")
    adapters()
    assert len(seen) == 1 and callable(seen[0])


def test_memory_adapter_spec_is_complete() -> None:
    (spec,) = [s for s in adapters() if s.name == "memory"]
    assert spec.schemes == ("memory",)
    assert spec.version and spec.description
    assert spec.capabilities is not None
    assert isinstance(spec.capabilities(), unicrm.Capabilities)
