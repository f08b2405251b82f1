"""The hooks a unicrm plugin implements (pluggy; all names start with ``unicrm_``).

A plugin is a module (registered under the ``unicrm`` entry-point group) with functions
decorated by :data:`hookimpl`. Collection hooks take a ``register`` callback and call it once
per thing they contribute, as in llm and datasette.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from unicrm.emulation.sandbox import SandboxSpec
from unicrm.plugins.specs import AdapterSpec

PROJECT = "unicrm"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def unicrm_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """Contribute adapters.

    :param register: call it with an :class:`~unicrm.plugins.specs.AdapterSpec` for every
        adapter the plugin provides (name, URL schemes, version, factory).
    :return: nothing; contributions go through ``register``.
    """


@hookspec
def unicrm_register_sandboxes(register: Callable[[SandboxSpec], None]) -> None:
    """Contribute vendor emulators that ``unicrm sandbox <name>`` can serve.

    :param register: call it with a :class:`~unicrm.emulation.SandboxSpec` per emulator.
    :return: nothing; contributions go through ``register``.
    """
