"""Which weight format decodes fastest? OpenVINO IRs of the packaged model, in turns.

    .venv/bin/python bench/ov_weights.py [--rounds 5] [--new-tokens 64] [--irs name=dir,...]

By default: `q4_1`, the IR the engine runs (`inference.model_files.openvino_model_dir()`: GenAI's
GGUF reader on the packaged Q4_1 GGUF, 4-bit weights in groups of 32), against `int8`, the same
weights with one int8 scale per output channel, as optimum-intel/NNCF export them: the GGUF
dequantised to an f16 GGUF (`gguf` package), read by GenAI, then nncf's data-free
`compress_weights(INT8_SYM)`. The int8 IR is built once into
var/models/smollm2-135m-instruct-openvino-int8/ and needs nncf (`pip install nncf~=3.4.0`; not a
project dependency: the format was measured and not adopted, see README "Single-stream decode").
`--irs` names other IR directories to add (e.g. an INT8_ASYM variant).

All IRs live in one process and take turns, round after round, on the same ~620-token RAG
prompt (prefix caching off, so every round computes the whole prompt): load drifts on a shared
machine hit all of them alike. Per IR: decode tokens/s after the first token (wall clock),
decode tokens per CPU-second of this process (less sensitive to other processes' load: what
the format costs in work), time to first token, and the RSS the engine added when it loaded.
Prints JSON: min/median per IR and every round's figures. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")

from engines import QUESTIONS, messages, rss_mib


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def int8_ir() -> Path:
    """The packaged GGUF with int8 per-channel weights (built once, ~1-2 min)."""
    import nncf
    import openvino
    import openvino_genai
    from django.conf import settings

    from inference import model_files

    target = Path(settings.MODEL_CACHE_DIR) / "smollm2-135m-instruct-openvino-int8"
    if (target / "openvino_model.xml").exists():
        return target
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    partial.mkdir(parents=True, exist_ok=True)
    f16 = partial / "model.gguf"
    write_f16_gguf(model_files.packaged_gguf_dir() / model_files.GGUF_FILE, f16)
    openvino_genai.LLMPipeline(str(f16), "CPU", enable_save_ov_model=True)  # writes the f16 IR
    f16.unlink()
    model = openvino.Core().read_model(str(partial / "openvino_model.xml"))
    model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_SYM)
    openvino.save_model(model, str(partial / "int8" / "openvino_model.xml"))
    del model  # it maps the f16 .bin replaced next
    for suffix in (".xml", ".bin"):
        os.replace(
            partial / "int8" / f"openvino_model{suffix}", partial / f"openvino_model{suffix}"
        )
    (partial / "int8").rmdir()
    partial.rename(target)
    return target


def write_f16_gguf(source: Path, target: Path) -> None:
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
            writer.add_tensor(
                tensor.name, dequantize(tensor.data, tensor.tensor_type).astype(np.float16)
            )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


async def decode(engine: Any, prompt: list[int], new_tokens: int) -> dict[str, float]:
    from inference.engine import StreamStats

    started, first, count, cpu_at_first = time.perf_counter(), 0.0, 0, 0.0
    async for piece in engine.stream(prompt, max_new_tokens=new_tokens):
        if isinstance(piece, StreamStats):
            count = piece.completion_tokens
        elif not first:
            first = time.perf_counter() - started
            cpu_at_first = cpu_seconds()
    wall = time.perf_counter() - started - first
    cpu = cpu_seconds() - cpu_at_first
    return {
        "ttft_s": round(first, 3),
        "decode_tokens_per_s": round((count - 1) / max(wall, 1e-6), 1),
        "decode_tokens_per_cpu_s": round((count - 1) / max(cpu, 1e-6), 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--irs", default="", help="name=dir,... (default: q4_1 and int8)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from inference import model_files
    from inference.ov_engine import OpenVINOEngine

    irs = {"q4_1": model_files.openvino_model_dir(), "int8": int8_ir()}
    if args.irs:
        irs = {**irs, **{n: Path(d) for n, d in (p.split("=", 1) for p in args.irs.split(","))}}
    engines, added_rss = {}, {}
    for name, directory in irs.items():
        before = rss_mib()
        engines[name] = OpenVINOEngine(
            str(directory),
            max_batch=16,
            repetition_penalty=settings.LLM_REPETITION_PENALTY,
            prefix_caching=False,
            compile_cache_dir=str(model_files.openvino_compile_cache_dir()),
        )
        added_rss[name] = round(rss_mib() - before, 1)
    first = next(iter(engines.values()))
    built = messages("02-tokens-and-embeddings.md", QUESTIONS[0], 620, first)
    prompt = first.chat_prompt_ids(built)
    for engine in engines.values():
        asyncio.run(decode(engine, prompt[:64], 4))  # first-call allocations, kernel choice
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in engines}
    for _ in range(args.rounds):
        for name, engine in engines.items():
            rounds[name].append(asyncio.run(decode(engine, prompt, args.new_tokens)))

    def summary(name: str) -> dict[str, Any]:
        figures: dict[str, Any] = {"ir": str(irs[name]), "rss_added_mib": added_rss[name]}
        for key in ("decode_tokens_per_s", "decode_tokens_per_cpu_s", "ttft_s"):
            values = [r[key] for r in rounds[name]]
            figures[key] = {"min": min(values), "median": statistics.median(values)}
        figures["rounds"] = rounds[name]
        return figures

    print(
        json.dumps(
            {
                "benchmark": "ov_weights",
                "cpus": os.cpu_count(),
                "prompt_tokens": len(prompt),
                "new_tokens": args.new_tokens,
                "irs": {name: summary(name) for name in engines},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
