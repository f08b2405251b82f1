"""A small kit that vendor emulators are built on.

A vendor emulator is a plain object with one method, ``handle(EmulatorRequest) ->
EmulatorResponse``: a function from request to response, with its state in SQLite. This kit
turns such an object into

* an httpx transport (sync and async) so adapters and tests talk to it in-process,
* an ASGI application served over real HTTP by uvicorn (``unicrm sandbox``),
* a server running on a background thread for tests and benchmarks that need a socket.

It also holds the pieces every emulator needs the same way: a clock tests can move, a seeded
fault picker and latency. Nothing here knows about any vendor, and nothing here imports the
core query code, so emulators stay independent implementations of the vendors' behaviour.
"""

from __future__ import annotations

from unicrm.emulation.clock import Clock, ManualClock, SystemClock
from unicrm.emulation.faults import FAULT_KINDS, FaultPicker
from unicrm.emulation.messages import Emulator, EmulatorRequest, EmulatorResponse
from unicrm.emulation.people import SEED_USERS, SeedUser, users_for
from unicrm.emulation.phpquery import as_list, parse_pairs
from unicrm.emulation.sandbox import Sandbox, SandboxOptions, SandboxSpec
from unicrm.emulation.server import ServerThread, asgi_app, free_port, serve
from unicrm.emulation.transport import EmulatorTransport

__all__ = [
    "FAULT_KINDS",
    "SEED_USERS",
    "Clock",
    "Emulator",
    "EmulatorRequest",
    "EmulatorResponse",
    "EmulatorTransport",
    "FaultPicker",
    "ManualClock",
    "Sandbox",
    "SandboxOptions",
    "SandboxSpec",
    "SeedUser",
    "ServerThread",
    "SystemClock",
    "as_list",
    "asgi_app",
    "free_port",
    "parse_pairs",
    "serve",
    "users_for",
]
