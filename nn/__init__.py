"""minigrad.nn: modules, layers, recurrent cells and losses (built on the engine's public API)."""
