"""Wait until the inference service's health endpoint says ready (used by scripts/serve.sh).

    python scripts/inference_ready.py URL TIMEOUT_SECONDS SERVICE_PID
Exit 0 once URL answers 200; 1 when the service reports a failed load, its process exits, or
the timeout passes (the reason goes to stderr).
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

url, timeout, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
            if response.status == 200:
                sys.exit(0)
    except urllib.error.HTTPError as error:  # 503: loading, or failed
        body = json.loads(error.read() or b"{}")
        if body.get("status") == "failed":
            sys.exit(f"The model did not load: {body.get('detail')}")
    except OSError:
        pass  # not listening yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit("The inference service exited.")
    time.sleep(0.3)
sys.exit(f"The inference service was not ready after {timeout:.0f} s.")
