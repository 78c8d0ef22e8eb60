"""Repository-wide pytest setup (the plugin itself is registered by the package's entry point)."""
import os

# DSPy (through LiteLLM) would fetch a model price map over the network at import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "true")

# Run folders are outputs, never tests.
collect_ignore = ["reports"]

# pytester drives the plugin end to end in tests/core.
pytest_plugins = ["pytester"]
