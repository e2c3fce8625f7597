"""Knowledge-base ingestion speed and hybrid query latency.

    .venv/bin/python bench/retrieval.py [--sizes 10000,100000] [--queries 100]

1. Ingestion: a ~1 MB HTML corpus (built from the demo lessons) goes through the real pipeline
   (limited parser, chunker, packaged embedder, FAISS + database) — chunks/s.
2. Query latency at 10k and 100k passages: p50/p95 of the full `search()` call (query embedding,
   FAISS, BM25, fusion, fetching rows). Embedding 100k passages would take ~20 minutes on two
   cores and says nothing about query speed, so the bulk passages get real texts but random unit
   vectors; the query path is exactly the production one.

Runs against a throw-away SQLite database and KB directory under a temp dir. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="llmasos-bench-"))
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "llmasos.settings",
        "DATABASE_URL": f"sqlite:///{WORK / 'bench.sqlite3'}",
        "KB_DIR": str(WORK / "kb"),
        "MEDIA_ROOT": str(WORK / "media"),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "LOG_LEVEL": "WARNING",
    }
)

import django

django.setup()

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import Role, User
from courses import services
from knowledge import services as knowledge_services
from knowledge.index import DIMENSION, index_rebuild, loaded_index
from knowledge.models import Chunk, KnowledgeBaseState
from knowledge.search import search

QUERIES = [
    "why are attention scores scaled",
    "what does the KV cache store",
    "how does LoRA reduce trainable parameters",
    "what is top-p sampling",
    "how are tokens turned into vectors",
    "what is prompt injection",
    "why does pretraining need so much data",
    "what is speculative decoding",
]


def html_corpus(target_bytes: int = 1_000_000) -> bytes:
    lessons = sorted((ROOT / "courses/demo_content").glob("*/*.md"))
    parts, size, round_ = ["<html><body><nav>menu</nav>"], 0, 0
    while size < target_bytes:
        for lesson in lessons:
            for block in lesson.read_text().split("\n\n"):
                if block.startswith("#"):
                    tag = f"<h2>{block.lstrip('#').strip()} ({round_})</h2>"
                else:
                    tag = f"<p>{block}</p>"
                parts.append(tag)
                size += len(tag)
        round_ += 1
    return ("".join(parts) + "</body></html>").encode()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    teacher = User.objects.create_user("bench", password="bench-bench-123", role=Role.TEACHER)

    # 1. Ingestion through the real pipeline.
    course = services.course_create(author=teacher, title="Ingest", slug="ingest", summary="x")
    corpus = html_corpus()
    from inference.embeddings import embed_texts

    embed_texts(["warm up"])  # load the model outside the timing
    # With CELERY_TASK_ALWAYS_EAGER the upload runs the whole ingestion task before returning.
    started = time.perf_counter()
    material = knowledge_services.material_create(
        course=course, uploaded_by=teacher, upload=SimpleUploadedFile("corpus.html", corpus)
    )
    ingest_s = time.perf_counter() - started
    material.refresh_from_db()
    ingestion = {
        "corpus_bytes": len(corpus),
        "status": material.status,
        "chunks": material.chunk_count,
        "seconds": round(ingest_s, 2),
        "chunks_per_s": round(material.chunk_count / ingest_s, 1),
    }

    # 2. Query latency at each size.
    texts = list(Chunk.objects.filter(course=course).values_list("heading", "text"))
    rng = np.random.default_rng(0)
    latency = []
    for size in (int(s) for s in args.sizes.split(",")):
        target = services.course_create(
            author=teacher, title=f"Q{size}", slug=f"q{size}", summary="x"
        )
        vectors = rng.standard_normal((size, DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        batch = []
        for i in range(size):
            heading, text = texts[i % len(texts)]
            batch.append(
                Chunk(
                    course=target,
                    material=material,
                    ordinal=i,
                    heading=heading,
                    text=text,
                    vector=vectors[i].tobytes(),
                )
            )
            if len(batch) == 5000:
                Chunk.objects.bulk_create(batch)
                batch = []
        Chunk.objects.bulk_create(batch)
        KnowledgeBaseState.objects.get_or_create(course=target)
        index_rebuild(target.pk)
        started = time.perf_counter()
        loaded_index(target.pk)  # what a web process pays once per index version
        load_s = time.perf_counter() - started
        timings = []
        for i in range(args.queries):
            query = random.Random(i).choice(QUERIES)
            started = time.perf_counter()
            hits = search(course_id=target.pk, query=query, k=5)
            timings.append((time.perf_counter() - started) * 1000)
            assert hits
        latency.append(
            {
                "chunks": size,
                "query_p50_ms": round(statistics.median(timings), 1),
                "query_p95_ms": round(percentile(timings, 0.95), 1),
                "index_load_s": round(load_s, 2),
            }
        )
    print(
        json.dumps(
            {"benchmark": "retrieval", "ingestion": ingestion, "query_latency": latency}, indent=2
        )
    )


if __name__ == "__main__":
    main()
