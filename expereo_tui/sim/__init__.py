"""The expereoOne API V2 simulator: the embedded default for the demo and the tests' double."""

from .app import SimConfig, SimTransport, Simulator
from .faults import Faults, SimLimits
from .server import run_server

__all__ = ["Faults", "SimConfig", "SimLimits", "SimTransport", "Simulator", "run_server"]
