"""Response time of each LLM-lab instrument for a 64-token input, and what the lab's copy of the
model costs in memory.

    .venv/bin/python bench/lab.py [--runs 5] [--threads N]

Each instrument is timed through `inference.lab_client.lab_call`, the call the lab's pages make
(the page itself adds a few milliseconds of form and template work), after one warm-up call.
The process's resident memory is read before and after the model is loaded. Prints JSON.
Target: each instrument <= 300 ms on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")

import django

django.setup()

from inference.lab_client import lab_call


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def text_of(tokens: int) -> str:
    words = [
        "The",
        "animal",
        "did",
        "not",
        "cross",
        "the",
        "street",
        "because",
        "it",
        "was",
        "too",
        "tired",
        "and",
        "the",
        "capital",
        "of",
        "France",
        "is",
        "Paris",
        "while",
        "the",
        "capital",
        "of",
        "Italy",
        "is",
        "Rome",
    ]
    text = ""
    i = 0
    while int(lab_call("count_tokens", text=text + " " + words[i % len(words)])["count"]) <= tokens:
        text = (text + " " + words[i % len(words)]).strip()
        i += 1
    return text


def timed(call: Callable[[], Any], runs: int) -> dict[str, float]:
    call()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    # torch's intra-op threads for the process, as the engine's `threads` option sets them; on a
    # machine other work loads, 1 avoids threads waiting on each other at every operation.
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()

    # torch and transformers are in memory already wherever the engine runs: count the model.
    import torch
    from transformers import AutoModelForCausalLM  # noqa: F401

    if args.threads:
        torch.set_num_threads(args.threads)
    before = rss_mb()
    start = time.perf_counter()
    lab_call("model_shape")
    load_seconds = time.perf_counter() - start
    loaded = rss_mb()
    text = text_of(64)
    lab_call("next_token", prompt=text, top=50)
    after_forward = rss_mb()
    tokens = int(lab_call("count_tokens", text=text)["count"])
    words = [w.strip(",.") for w in text.split()[:20]]
    results = {
        "tokenizer": timed(lambda: lab_call("tokenize", text=text), args.runs),
        "next_token": timed(lambda: lab_call("next_token", prompt=text, top=50), args.runs),
        "attention_average": timed(
            lambda: lab_call("attention", text=text, layer=15, head=None), args.runs
        ),
        "attention_one_head": timed(
            lambda: lab_call("attention", text=text, layer=15, head=2), args.runs
        ),
        "embeddings_20_words_and_query": timed(
            lambda: lab_call("embed", texts=[*words, text]), args.runs
        ),
        "exercise_check": timed(
            lambda: lab_call(
                "token_probabilities", prompt=text, continuations=[" Paris", " London"]
            ),
            args.runs,
        ),
        "sample_20": timed(
            lambda: lab_call(
                "sample",
                prompt=text,
                count=20,
                max_new_tokens=6,
                temperature=1.0,
                top_k=50,
                top_p=1.0,
            ),
            max(1, args.runs // 2),
        ),
    }
    start = time.perf_counter()
    lab_call("speed", new_tokens=8, prompt_lengths=[16, 32, 64, 128])
    speed_seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "input_tokens": tokens,
                "torch_threads": torch.get_num_threads(),
                "runs": args.runs,
                "instruments": results,
                "speed_measurement_seconds": round(speed_seconds, 2),
                "model_load_seconds": round(load_seconds, 2),
                "rss_mb_before_load": round(before),
                "rss_mb_after_load": round(loaded),
                "rss_mb_after_first_forward": round(after_forward),
                "rss_mb_after_bench": round(rss_mb()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
