"""Verifies messages with dkimpy (Debian python3-dkim) for the differential suite.

Reads JSON from stdin: {"cases": [{"id", "message_b64", "dns": {name: [txt] | {"nxdomain": true}}, "verify_time",
"count"}]} and writes {id: ["pass" | "fail:<exception or reason>", ...]}, one entry per DKIM-Signature, top first.
"""
import base64
import json
import sys
import time

import dkim


def main():
    req = json.load(sys.stdin)
    out = {}
    real_time = time.time
    for case in req["cases"]:
        table = {k.lower().rstrip("."): v for k, v in case["dns"].items()}

        def dnsfunc(name, timeout=5, table=table):
            entry = table.get(name.decode().lower().rstrip("."))
            if entry is None or isinstance(entry, dict):
                return None
            return entry[0].encode() if entry else None

        msg = base64.b64decode(case["message_b64"])
        verdicts = []
        time.time = lambda: case["verify_time"]
        try:
            for idx in range(case["count"]):
                try:
                    d = dkim.DKIM(msg, minkey=1024)
                    ok = d.verify(idx=idx, dnsfunc=dnsfunc)
                    verdicts.append("pass" if ok else "fail")
                except Exception as e:  # dkimpy signals permanent errors with exceptions
                    verdicts.append("fail:" + type(e).__name__)
        finally:
            time.time = real_time
        out[case["id"]] = verdicts
    json.dump(out, sys.stdout)


main()
