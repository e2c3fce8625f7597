"""Knowledge-base ingestion speed and search latency (the function and the API).

    .venv/bin/python bench/retrieval.py [--ingest-bytes 260000] [--sizes 100000] [--queries 80]
                                        [--profile]

1. Ingestion through the real worker path: a ~500-passage HTML corpus (built from the demo
   lessons) is uploaded through the service; a real Celery worker (prefork, started here on a
   private SQLite broker, warmed with one small upload first) parses it in the limited child
   process, chunks, embeds the passages and their sentences, and writes rows and the FAISS index
   → passages/s from the upload to `ready`. `--profile` runs the same task in-process under
   cProfile instead and prints the top functions (stderr).
2. Search latency on that course (~500 passages) and at each of `--sizes`: p50/p95 of
   `search()` and of `GET /api/courses/{slug}/search/?q=&k=5` through Django's test client with
   token auth (authentication, enrollment check, search, serialization, JSON). Every query is a
   different question, embedded afresh (the query-vector cache is cleared before each), so the
   figures include embedding the query. The bulk passages of the large courses get real texts but
   random unit vectors (embedding 100k passages would take an hour here and says nothing about
   query speed); the query path is exactly the production one. Above KB_IVF_MIN_PASSAGES the
   index is IVF; its recall@50 against an exact scan of the same vectors is reported.

Runs against a throw-away SQLite database, broker and KB directory under a temp dir. Prints
JSON. Nothing is asserted; the machine is shared, so report the load average with the figures.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
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
        "CELERY_BROKER_URL": f"sqla+sqlite:///{WORK / 'broker.sqlite3'}",
        "CHANNEL_OUTBOX_DIR": str(WORK / "outbox"),
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        "API_THROTTLE_USER": "1000000/min",
        "API_THROTTLE_ADDRESS": "1000000/min",
    }
)

import django

django.setup()

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import Role, User
from courses import services
from courses.models import Course
from courses.services import enrollment_create
from inference.embeddings import embed_texts
from knowledge import services as knowledge_services
from knowledge.index import DIMENSION, index_kind, index_rebuild, loaded_index
from knowledge.models import Chunk, KnowledgeBaseState, Material, MaterialStatus
from knowledge.search import query_vector, search

DATA = ROOT / "bench" / "data" / "answers_questions.json"


def queries() -> list[str]:
    """Different questions a student might type: the answer bench's, on- and off-topic."""
    return [q["question"] for q in json.loads(DATA.read_text())["questions"]]


def html_corpus(target_bytes: int) -> bytes:
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
                if size >= target_bytes:
                    break
            if size >= target_bytes:
                break
        round_ += 1
    return ("".join(parts) + "</body></html>").encode()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _wait_ready(material_id: int, timeout: float) -> Material:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        material = Material.objects.get(pk=material_id)
        if material.status in (MaterialStatus.READY, MaterialStatus.FAILED):
            return material
        time.sleep(0.05)
    raise SystemExit(f"material {material_id} not ingested in {timeout} s")


def _wait_sentences(material: Material, timeout: float) -> float:
    """When every passage with prose has its sentence vectors (passages of code alone have none
    to store); a perf_counter reading."""
    from knowledge.sentences import split_sentences

    texts = Chunk.objects.filter(material=material).values_list("text", flat=True)
    without_prose = sum(1 for t in texts if not [s for s in split_sentences(t) if not s.code])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Chunk.objects.filter(material=material, sentence_vectors=b"").count() <= without_prose:
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"sentences of material {material.pk} not stored in {timeout} s")


def ingest_through_worker(teacher: User, corpus: bytes) -> tuple[Course, dict]:
    course = services.course_create(author=teacher, title="Ingest", slug="ingest", summary="x")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "llmasos",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            "celery",
            "-l",
            "WARNING",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The worker's start-up and first model load are not ingestion speed: one small upload
        # first, timed on its own.
        started = time.perf_counter()
        warm = knowledge_services.material_create(
            course=course,
            uploaded_by=teacher,
            upload=SimpleUploadedFile("warm.html", html_corpus(3000)),
        )
        _wait_ready(warm.pk, timeout=300)
        warm_s = time.perf_counter() - started
        started = time.perf_counter()
        material = knowledge_services.material_create(
            course=course, uploaded_by=teacher, upload=SimpleUploadedFile("corpus.html", corpus)
        )
        material = _wait_ready(material.pk, timeout=900)
        seconds = time.perf_counter() - started
        sentences_seconds = _wait_sentences(material, timeout=900) - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return course, {
        "path": "upload -> broker -> prefork worker (parse child, chunk, embed, rows, FAISS)",
        "corpus_bytes": len(corpus),
        "status": material.status,
        "passages": material.chunk_count,
        "sentences_stored": sum(
            len(spans)
            for spans in Chunk.objects.filter(material=material).values_list(
                "sentence_spans", flat=True
            )
        ),
        "seconds": round(seconds, 2),
        "passages_per_s": round(material.chunk_count / seconds, 1),
        # The follow-up task (knowledge.tasks.sentences_store) that stores the quotes' sentence
        # vectors: upload to the last one stored.
        "seconds_until_sentences_stored": round(sentences_seconds, 2),
        "passages_per_s_with_sentences": round(material.chunk_count / sentences_seconds, 1),
        "worker_start_and_first_small_upload_s": round(warm_s, 1),
    }


def ingest_profiled(teacher: User, corpus: bytes) -> None:
    """The ingestion task's own code in this process under cProfile (the worker runs the same)."""
    from knowledge.ingest import material_ingest

    course = services.course_create(author=teacher, title="Prof", slug="prof", summary="x")
    material = Material(course=course, original_name="corpus.html", kind="html", size=len(corpus))
    material.file.save("corpus.html", SimpleUploadedFile("corpus.html", corpus), save=False)
    material.save()
    embed_texts(["warm up"])
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    material = material_ingest(material_id=material.pk, report=lambda m: None)
    profile.disable()
    seconds = time.perf_counter() - started
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(35)
    print(out.getvalue(), file=sys.stderr)
    print(
        json.dumps({"profiled_passages": material.chunk_count, "seconds": round(seconds, 2)}),
        file=sys.stderr,
    )


def _fill(teacher: User, size: int, texts: list[tuple[str, str]], material: Material) -> Course:
    target = services.course_create(author=teacher, title=f"Q{size}", slug=f"q{size}", summary="x")
    rng = np.random.default_rng(0)
    batch = []
    for start in range(0, size, 5000):
        count = min(5000, size - start)
        vectors = rng.standard_normal((count, DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        for j in range(count):
            heading, text = texts[(start + j) % len(texts)]
            batch.append(
                Chunk(
                    course=target,
                    material=material,
                    ordinal=start + j,
                    heading=heading,
                    text=text,
                    vector=vectors[j].tobytes(),
                )
            )
        Chunk.objects.bulk_create(batch)
        batch = []
    KnowledgeBaseState.objects.get_or_create(course=target)
    index_rebuild(target.pk)
    return target


def _ivf_recall(course: Course, probes: list[str]) -> float | None:
    """Share of the exact top 50 (brute force over the stored vectors) the index returns."""
    loaded = loaded_index(course.pk)
    if loaded is None or index_kind(loaded.dense) != "ivf":
        return None
    rows = list(Chunk.objects.filter(course=course).order_by("id").values_list("id", "vector"))
    ids = np.array([r[0] for r in rows])
    matrix = np.frombuffer(b"".join(bytes(r[1]) for r in rows), np.float32).reshape(-1, DIMENSION)
    found = total = 0
    for query in probes:
        vector = query_vector(query)
        exact = set(ids[np.argsort(-(matrix @ vector))[:50]].tolist())
        _, got = loaded.dense.search(vector[None, :], 50)
        found += len(exact & set(got[0].tolist()))
        total += 50
    return round(found / total, 3)


def latency(course: Course, reader: User, questions: list[str]) -> dict:
    client = Client()
    token = Token.objects.get_or_create(user=reader)[0].key
    Course.objects.filter(pk=course.pk).update(is_published=True)  # no lessons: material only
    course.refresh_from_db()
    enrollment_create(user=reader, course=course)
    started = time.perf_counter()
    loaded_index(course.pk)  # what a web process pays once per index version
    load_s = time.perf_counter() - started
    url = f"/api/courses/{course.slug}/search/"
    warm: dict[str, str | int] = {"q": "warm up", "k": 5}
    client.get(url, warm, HTTP_AUTHORIZATION=f"Token {token}")
    function_ms, api_ms = [], []
    for question in questions:
        query_vector.cache_clear()
        started = time.perf_counter()
        hits = search(course_id=course.pk, query=question, k=5)
        function_ms.append((time.perf_counter() - started) * 1000)
        query_vector.cache_clear()
        started = time.perf_counter()
        params: dict[str, str | int] = {"q": question, "k": 5}
        response = client.get(url, params, HTTP_AUTHORIZATION=f"Token {token}")
        api_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
        assert [r["id"] for r in response.json()["results"]] == [h.chunk.pk for h in hits]
    loaded = loaded_index(course.pk)
    return {
        "passages": Chunk.objects.filter(course=course).count(),
        "index": index_kind(loaded.dense) if loaded else None,
        "queries": len(questions),
        "search_p50_ms": round(statistics.median(function_ms), 1),
        "search_p95_ms": round(percentile(function_ms, 0.95), 1),
        "api_p50_ms": round(statistics.median(api_ms), 1),
        "api_p95_ms": round(percentile(api_ms, 0.95), 1),
        "index_load_s": round(load_s, 2),
        "ivf_recall@50_vs_exact": _ivf_recall(course, questions[:20]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest-bytes", type=int, default=260_000)
    parser.add_argument("--sizes", default="100000", help="synthetic course sizes ('' for none)")
    parser.add_argument("--queries", type=int, default=80)
    parser.add_argument("--profile", action="store_true", help="cProfile the ingestion instead")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    teacher = User.objects.create_user("bench", password="bench-bench-123", role=Role.TEACHER)
    reader = User.objects.create_user("reader", password="bench-bench-123", role=Role.STUDENT)
    corpus = html_corpus(args.ingest_bytes)
    if args.profile:
        ingest_profiled(teacher, corpus)
        return
    course, ingestion = ingest_through_worker(teacher, corpus)
    print(json.dumps({"ingestion": ingestion}), file=sys.stderr)
    questions = (queries() * 10)[: args.queries]
    embed_texts(["warm up"])
    results = [latency(course, reader, questions)]
    texts = list(Chunk.objects.filter(course=course).values_list("heading", "text"))
    material = Material.objects.filter(course=course).first()
    assert material is not None
    for size in (int(s) for s in args.sizes.split(",") if s):
        results.append(latency(_fill(teacher, size, texts, material), reader, questions))
    print(
        json.dumps(
            {
                "benchmark": "retrieval",
                "load_average_at_end": os.getloadavg(),
                "ingestion": ingestion,
                "search": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
