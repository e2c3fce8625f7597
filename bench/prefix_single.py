"""Does prefix caching slow one stream down? The OpenVINO engine with and without it, in turns.

    .venv/bin/python bench/prefix_single.py [--rounds 4] [--new-tokens 96] [--batched 256,...]

bench/engines.py measured one stream at 32 tok/s with prefix caching on and 72 with it off, in
one noisy run where each engine had its own process and its own minutes of machine load. Here
every configuration lives in the same process and they take turns, round after round, so load
drifts hit all of them alike. Per round and configuration: one ~620-token RAG prompt on a
context no earlier request used (a cache miss: the cost of caching without its benefit), then
the same prompt again (a hit, when caching is on). `--batched` varies the scheduler's
`max_num_batched_tokens` (the prefill chunk of dynamic split-fuse). Prints JSON: medians and
every round's figures. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")

from engines import QUESTIONS, messages, timed

LESSONS = [
    "02-tokens-and-embeddings.md",
    "03-self-attention.md",
    "04-inside-a-transformer-block.md",
    "05-pretraining.md",
    "06-scaling-laws-and-compute.md",
    "07-instruction-tuning-and-preferences.md",
    "10-making-inference-fast.md",
    "09-decoding-and-sampling.md",
]


def engine_for(prefix: bool, batched: int) -> Any:
    from django.conf import settings

    from inference import model_files
    from inference.ov_engine import OpenVINOEngine

    return OpenVINOEngine(
        str(model_files.openvino_model_dir()),
        max_batch=16,
        repetition_penalty=settings.LLM_REPETITION_PENALTY,
        prefix_caching=prefix,
        max_batched_tokens=batched,
        compile_cache_dir=str(model_files.openvino_compile_cache_dir()),
    )


def one(engine: Any, prompt: list[int], new_tokens: int) -> dict[str, float]:
    ttft, count, total = asyncio.run(timed(engine, prompt, new_tokens))
    return {
        "ttft_s": round(ttft, 3),
        "decode_tokens_per_s": round((count - 1) / max(total - ttft, 1e-6), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--new-tokens", type=int, default=96)
    parser.add_argument("--batched", default="256", help="max_num_batched_tokens values")
    args = parser.parse_args()
    import django

    django.setup()
    configs = [
        (f"prefix_{'on' if prefix else 'off'}_batched{batched}", prefix, int(batched))
        for batched in args.batched.split(",")
        for prefix in (True, False)
    ]
    engines = {name: engine_for(prefix, batched) for name, prefix, batched in configs}
    for engine in engines.values():  # first-call allocations and kernel selection
        warm = engine.chat_prompt_ids(messages("01-what-is-a-language-model.md", "hi", 200, engine))
        asyncio.run(timed(engine, warm, 4))
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in engines}
    started = time.perf_counter()
    for round_ in range(args.rounds):
        for index, (name, engine) in enumerate(engines.items()):
            # A context no request of this engine has seen: each engine its own lesson/question.
            lesson = LESSONS[(round_ * len(engines) + index) % len(LESSONS)]
            question = QUESTIONS[(round_ * len(engines) + index) % len(QUESTIONS)]
            prompt = engine.chat_prompt_ids(messages(lesson, question, 620, engine))
            miss = one(engine, prompt, args.new_tokens)
            again = one(engine, prompt, args.new_tokens)
            rounds[name].append(
                {"prompt_tokens": len(prompt), "new_context": miss, "same_prompt_again": again}
            )
    summary = {
        name: {
            kind: {
                figure: statistics.median(r[kind][figure] for r in runs)
                for figure in ("ttft_s", "decode_tokens_per_s")
            }
            for kind in ("new_context", "same_prompt_again")
        }
        for name, runs in rounds.items()
    }
    print(
        json.dumps(
            {
                "benchmark": "prefix_single",
                "cpus": os.cpu_count(),
                "load_average_1m_at_end": round(os.getloadavg()[0], 1),
                "new_tokens": args.new_tokens,
                "wall_s": round(time.perf_counter() - started, 1),
                "median": summary,
                "rounds": rounds,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
