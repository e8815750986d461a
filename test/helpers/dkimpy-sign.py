"""Signs messages with dkimpy (Debian python3-dkim) for the test suites.

Reads JSON from stdin: {"jobs": [{"message": str, "domain": str, "selector": str, "key": str (Ed25519 seed in
base64, or an RSA private key in PKCS#1 PEM), "algorithm": "ed25519-sha256" | "rsa-sha256", "headers": [str],
"timestamp": int, "canonicalize": "header/body" (optional, default "relaxed/relaxed")}]} and writes
{"signed": [str]} (CRLF messages).
"""
import json
import sys
import time

import dkim


def main():
    req = json.load(sys.stdin)
    out = []
    real_time = time.time
    for job in req["jobs"]:
        time.time = lambda: job["timestamp"]
        try:
            sig = dkim.sign(
                job["message"].encode("latin-1"),
                job["selector"].encode(),
                job["domain"].encode(),
                job["key"].encode(),
                signature_algorithm=job["algorithm"].encode(),
                canonicalize=tuple(c.encode() for c in job.get("canonicalize", "relaxed/relaxed").split("/")),
                include_headers=[h.encode() for h in job["headers"]],
            )
        finally:
            time.time = real_time
        out.append((sig + job["message"].encode("latin-1")).decode("latin-1"))
    json.dump({"signed": out}, sys.stdout)


main()
