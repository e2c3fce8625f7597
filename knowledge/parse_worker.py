"""Parse one file in a child process with hard limits: `python -m knowledge.parse_worker`.

Reads the file path and kind from argv, prints `{"sections": [...]}` or `{"error": "..."}` as JSON.
The parent (`parse_limited`) sets the limits and kills the process group at the wall-clock limit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    # Imported here, not at the top: this module is also imported by the parent for its helper.
    from knowledge.parsing import ParseError, parse_document

    path, kind = sys.argv[1], sys.argv[2]
    try:
        document = parse_document(Path(path).read_bytes(), kind)
    except ParseError as error:
        print(json.dumps({"error": str(error)}))
        return
    except MemoryError:
        print(json.dumps({"error": "Reading the file needed more memory than allowed."}))
        return
    sections = [s.as_dict() for s in document.sections]
    print(json.dumps({"sections": sections, "hidden_chars": document.hidden_chars}))


if __name__ == "__main__":
    main()
