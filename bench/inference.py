"""Generation throughput and latency of the local engine against the naive baseline.

    .venv/bin/python bench/inference.py [--new-tokens 128] [--levels 1,4,8,16]
                                        [--naive-levels 1,4,8]

For a ~600-token RAG-shaped prompt: time to first token (p50/p95), tokens/s per stream and in
aggregate at each concurrency level through the batching engine, and, in the same run, the naive
baseline (one `model.generate` call after another) at the levels given. Prints JSON.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")

import django

django.setup()

from assist.prompts.rag import SYSTEM_PROMPT
from inference.engine import BatchedEngine, StreamStats
from inference.model_files import generation_model_dir

LESSON = Path(__file__).resolve().parent.parent / "courses/demo_content/llm-how-they-work"


def rag_prompt(engine: BatchedEngine, variant: int, target_tokens: int = 600) -> list[int]:
    text = (LESSON / "03-self-attention.md").read_text()
    context = text[variant * 50 :]
    while engine.count_tokens(context) > target_tokens - 80:
        context = context[: int(len(context) * 0.9)]
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {
            "role": "user",
            "content": f"<context>\n[1] Self-attention\n{context}\n</context>"
            f"\n\nQuestion: why are attention scores scaled?",
        },
    ]
    return engine.chat_prompt_ids(messages)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def engine_level(engine: BatchedEngine, level: int, new_tokens: int) -> dict:
    async def one(i: int) -> tuple[float, int, float]:
        prompt = rag_prompt(engine, i)
        started, first, count = time.perf_counter(), None, 0
        async for piece in engine.stream(prompt, max_new_tokens=new_tokens):
            if isinstance(piece, StreamStats):
                count = piece.completion_tokens
            elif first is None:
                first = time.perf_counter() - started
        return first or 0.0, count, time.perf_counter() - started

    started = time.perf_counter()
    results = await asyncio.gather(*(one(i) for i in range(level)))
    elapsed = time.perf_counter() - started
    ttfts = [r[0] for r in results]
    return {
        "concurrency": level,
        "ttft_p50_s": round(statistics.median(ttfts), 3),
        "ttft_p95_s": round(percentile(ttfts, 0.95), 3),
        "tokens_per_s_per_stream": round(
            statistics.median([r[1] / max(r[2] - r[0], 1e-6) for r in results]), 1
        ),
        "aggregate_tokens_per_s": round(sum(r[1] for r in results) / elapsed, 1),
        "prompt_tokens": len(rag_prompt(engine, 0)),
        "wall_s": round(elapsed, 2),
    }


def naive_level(engine: BatchedEngine, level: int, new_tokens: int) -> dict:
    import torch

    ttfts, tokens = [], 0
    started = time.perf_counter()
    with torch.inference_mode():
        for i in range(level):  # one request after another, as a plain server would
            ids = torch.tensor([rag_prompt(engine, i)])
            queued_for = time.perf_counter() - started
            t0 = time.perf_counter()
            engine.model(input_ids=ids)  # the prefill, i.e. when a first token could exist
            first = time.perf_counter() - t0
            out = engine.model.generate(
                ids,
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=engine.pad_id,
            )
            tokens += out.shape[1] - ids.shape[1]
            ttfts.append(queued_for + first)
    elapsed = time.perf_counter() - started
    return {
        "concurrency": level,
        "ttft_p50_s": round(statistics.median(ttfts), 3),
        "ttft_p95_s": round(percentile(ttfts, 0.95), 3),
        "aggregate_tokens_per_s": round(tokens / elapsed, 1),
        "wall_s": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--levels", default="1,4,8,16")
    parser.add_argument("--naive-levels", default="1,4,8")
    args = parser.parse_args()
    engine = BatchedEngine(str(generation_model_dir()), max_batch=16)
    asyncio.run(engine_level(engine, 1, 4))  # warm-up: first-call allocations
    batched = [
        asyncio.run(engine_level(engine, int(n), args.new_tokens)) for n in args.levels.split(",")
    ]
    naive = [naive_level(engine, int(n), args.new_tokens) for n in args.naive_levels.split(",")]
    single = batched[0]["aggregate_tokens_per_s"]
    at8 = next((b for b in batched if b["concurrency"] == 8), None)
    print(
        json.dumps(
            {
                "benchmark": "inference",
                "model": engine.model_name,
                "new_tokens": args.new_tokens,
                "threads": __import__("torch").get_num_threads(),
                "dtype": engine.dtype,
                "engine": batched,
                "naive_baseline": naive,
                "aggregate_at_8_over_single_stream": round(
                    at8["aggregate_tokens_per_s"] / single, 2
                )
                if at8
                else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
