from __future__ import annotations

import pytest


@pytest.fixture
def kb_dirs(settings, tmp_path):
    settings.KB_DIR = str(tmp_path / "kb")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    from inference.knowledge.index import forget_loaded_indexes

    forget_loaded_indexes()
    yield
    forget_loaded_indexes()
