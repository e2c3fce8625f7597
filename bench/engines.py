"""The local generation engines side by side, on the same RAG-shaped prompts, in one run.

    .venv/bin/python bench/engines.py [--engines transformers,openvino,openvino-noprefix,llamacpp]
                                      [--new-tokens 128] [--streams 16] [--parts shared8,streams]

Each engine runs in its own child process (so its RSS is its own), on the packaged SmolLM2
weights, with prompts of 618-1,132 tokens built from the demo course like the tutor builds them
(system prompt, then a <context> block of lesson passages, then the question). Per engine:

- `single`: one request alone, on a context no earlier request used: time to first token (TTFT)
  and decode tokens/s after the first token;
- `shared8_cold` / `shared8_warm`: 8 requests at the same moment, one system prompt and context,
  different questions; cold on a context never seen, warm after one student asked about it (the
  class case: the lesson's passages are already in the prefix cache);
- `streams16`: 16 requests at once on one shared context: aggregate tokens/s, TTFT p50/p95;
- `rss_mib`: resident memory after loading and at the end (peak).

`openvino-noprefix` is the OpenVINO engine with prefix caching off (everything else the same).
`llamacpp` (llama-cpp-python, if installed) serves one request at a time, as its Python binding
does; its concurrent figures are queueing. Prints JSON. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")

COURSE = ROOT / "courses/demo_content/llm-how-they-work"
QUESTIONS = [
    "why are attention scores scaled?",
    "what does a key vector do?",
    "how is a query different from a key?",
    "what is a causal mask for?",
    "why use several attention heads?",
    "what does softmax do to the scores?",
    "what is the cost of attention in sequence length?",
    "how do values get combined?",
    "what would happen without positional information?",
    "what is a transformer block made of?",
    "why does attention help with long-range dependencies?",
    "what is the output of one attention head?",
    "how are the heads merged back together?",
    "what is self-attention in one sentence?",
    "why do we need residual connections here?",
    "what does the attention pattern show?",
]


def rss_mib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class LlamaCppEngine:
    """llama-cpp-python on the packaged GGUF, behind the engines' stream interface (bench only)."""

    def __init__(self, gguf: str) -> None:
        from llama_cpp import Llama

        self.llm = Llama(model_path=gguf, n_ctx=4096, n_threads=os.cpu_count(), verbose=False)
        self.lock = threading.Lock()  # one sequence at a time: the binding has no batching
        self.model_name = Path(gguf).name

    def chat_prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        text += "<|im_start|>assistant\n"
        return list(self.llm.tokenize(text.encode(), add_bos=False, special=True))

    async def stream(self, prompt_ids: list[int], *, max_new_tokens: int) -> AsyncIterator[Any]:
        from inference.engine import StreamStats

        loop = asyncio.get_running_loop()
        out: asyncio.Queue[Any] = asyncio.Queue()

        def run() -> None:
            count = 0
            with self.lock:
                for part in self.llm.create_completion(
                    prompt_ids, max_tokens=max_new_tokens, temperature=0.0, stream=True
                ):
                    count += 1
                    loop.call_soon_threadsafe(out.put_nowait, part["choices"][0]["text"])
            loop.call_soon_threadsafe(out.put_nowait, StreamStats(len(prompt_ids), count, "stop"))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        while True:
            piece = await out.get()
            yield piece
            if isinstance(piece, StreamStats):
                return


def load(name: str) -> Any:
    import django

    django.setup()
    from django.conf import settings

    from inference import model_files

    if name == "transformers":
        from inference.engine import BatchedEngine

        return BatchedEngine(
            str(model_files.generation_model_dir()),
            max_batch=16,
            repetition_penalty=settings.LLM_REPETITION_PENALTY,
        )
    if name.startswith("openvino"):
        from inference.ov_engine import OpenVINOEngine

        return OpenVINOEngine(
            str(model_files.openvino_model_dir()),
            max_batch=16,
            repetition_penalty=settings.LLM_REPETITION_PENALTY,
            prefix_caching=name == "openvino",
            compile_cache_dir=str(model_files.openvino_compile_cache_dir()),
        )
    if name == "llamacpp":
        return LlamaCppEngine(str(model_files.packaged_gguf_dir() / model_files.GGUF_FILE))
    raise SystemExit(f"unknown engine {name!r}")


def messages(lesson: str, question: str, context_tokens: int, engine: Any) -> list[dict]:
    from assist.prompts.rag import SYSTEM_PROMPT

    text = (COURSE / lesson).read_text()
    context = text
    while True:
        built = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {
                "role": "user",
                "content": f"<context>\n[1] {lesson}\n{context}\n</context>\n\n"
                f"Question: {question}",
            },
        ]
        if len(engine.chat_prompt_ids(built)) <= context_tokens:
            return built
        context = context[: int(len(context) * 0.95)]


async def timed(engine: Any, prompt: list[int], new_tokens: int) -> tuple[float, int, float]:
    from inference.engine import StreamStats

    started, first, count = time.perf_counter(), None, 0
    async for piece in engine.stream(prompt, max_new_tokens=new_tokens):
        if isinstance(piece, StreamStats):
            count = piece.completion_tokens
        elif first is None:
            first = time.perf_counter() - started
    return first or 0.0, count, time.perf_counter() - started


async def together(engine: Any, prompts: list[list[int]], new_tokens: int) -> dict:
    started = time.perf_counter()
    results = await asyncio.gather(*(timed(engine, p, new_tokens) for p in prompts))
    wall = time.perf_counter() - started
    ttfts = [r[0] for r in results]
    return {
        "requests": len(prompts),
        "prompt_tokens": [min(len(p) for p in prompts), max(len(p) for p in prompts)],
        "ttft_p50_s": round(statistics.median(ttfts), 3),
        "ttft_p95_s": round(percentile(ttfts, 0.95), 3),
        "aggregate_tokens_per_s": round(sum(r[1] for r in results) / wall, 1),
        "wall_s": round(wall, 2),
    }


def run_one(name: str, new_tokens: int, streams: int, parts: str = "shared8,streams") -> dict:
    started = time.perf_counter()
    engine = load(name)
    loaded_s = time.perf_counter() - started
    rss_loaded = rss_mib()

    def ids(lesson: str, question: str, tokens: int) -> list[int]:
        return list(engine.chat_prompt_ids(messages(lesson, question, tokens, engine)))

    warm = ids("01-what-is-a-language-model.md", QUESTIONS[0], 300)
    asyncio.run(timed(engine, warm, 8))  # first-call allocations and kernel selection
    result: dict[str, Any] = {"engine": name, "load_s": round(loaded_s, 1)}

    prompt = ids("02-tokens-and-embeddings.md", QUESTIONS[0], 620)
    ttft, count, total = asyncio.run(timed(engine, prompt, new_tokens))
    result["single"] = {
        "prompt_tokens": len(prompt),
        "ttft_s": round(ttft, 3),
        "completion_tokens": count,
        "decode_tokens_per_s": round((count - 1) / max(total - ttft, 1e-6), 1),
    }
    long_prompt = ids("04-inside-a-transformer-block.md", QUESTIONS[1], 1132)
    ttft, count, total = asyncio.run(timed(engine, long_prompt, 16))
    result["single_long"] = {"prompt_tokens": len(long_prompt), "ttft_s": round(ttft, 3)}

    if "shared8" in parts:
        cold = [ids("03-self-attention.md", q, 1000) for q in QUESTIONS[:8]]
        result["shared8_cold"] = asyncio.run(together(engine, cold, new_tokens))
        asyncio.run(timed(engine, ids("05-pretraining.md", QUESTIONS[15], 1000), 1))
        warm8 = [ids("05-pretraining.md", q, 1000) for q in QUESTIONS[:8]]
        result["shared8_warm"] = asyncio.run(together(engine, warm8, new_tokens))
    if "streams" in parts:
        many = [ids("09-decoding-and-sampling.md", QUESTIONS[i % 16], 900) for i in range(streams)]
        result[f"streams{streams}"] = asyncio.run(together(engine, many, new_tokens))
    result["rss_mib"] = {"loaded": rss_loaded, "peak": rss_mib("VmHWM")}
    if hasattr(engine, "prefix_cache_stats"):
        stats = engine.prefix_cache_stats()
        result["prefix_cache_hit_rate"] = round(stats.hit_rate, 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="transformers,openvino,openvino-noprefix,llamacpp")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--streams", type=int, default=16)
    # The single-stream rows always run; a short run may leave out the concurrent parts.
    parser.add_argument("--parts", default="shared8,streams", help="shared8, streams, or both")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process's engine
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.new_tokens, args.streams, args.parts)))
        return
    results = []
    for name in args.engines.split(","):
        child = subprocess.run(
            [
                *(sys.executable, __file__, "--one", name),
                *("--new-tokens", str(args.new_tokens), "--streams", str(args.streams)),
                *("--parts", args.parts),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode == 0:
            results.append(json.loads(child.stdout.strip().splitlines()[-1]))
        else:
            results.append({"engine": name, "error": child.stderr.strip().splitlines()[-1:]})
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)  # progress of a long run
    print(
        json.dumps(
            {
                "benchmark": "engines",
                "cpus": os.cpu_count(),
                "load_average_1m": round(os.getloadavg()[0], 1),
                "new_tokens": args.new_tokens,
                "engines": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
