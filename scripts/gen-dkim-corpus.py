#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Generate the DKIM fixture corpus in test-vectors/dkim/generated/.

Run with Debian's interpreter (python3-dkim and python3-nacl live in
/usr/lib/python3/dist-packages):

    /usr/bin/python3 scripts/gen-dkim-corpus.py

What it does
------------
1. Makes (once) the signing keys in keys/: RSA keys with OpenDKIM's
   opendkim-genkey, Ed25519 seeds from os.urandom.  Existing keys are reused.
2. Signs a set of "original" messages with two independent signers:
     * dkimpy (python3-dkim), clock patched to a fixed signing time;
     * OpenDKIM: libopendkim.so.11 (the library behind the opendkim milter and
       opendkim-testmsg) driven through ctypes so that canonicalization,
       algorithm, l=, x=, over-signing and a fixed t= can be chosen, plus the
       opendkim-testmsg binary itself (which can only do rsa-sha1,
       relaxed/simple, wall-clock t=).
3. Applies single mutations to the originals and derives the expected
   verdict of every signature from the nature of the mutation alone.
4. Verifies every case again with dkimpy (clock patched to verify_time, DNS
   served from the case) and checks that pass/not-pass agrees with the
   expectation; known dkimpy deviations from the RFCs are recorded in the case
   as "dkimpy_deviation".  Any other disagreement aborts the run.
5. Verifies every case with libopendkim's verifier as a second opinion on
   result and reason (informational; the disagreements go into README.md).
6. Writes cases.json, messages/<id>.eml and README.md (with the counts).

libopendkim 2.11.0~beta2 signs ed25519-sha256 with simple header
canonicalization wrongly (its own verifier rejects the result), so Ed25519
with c=simple/* is always signed by dkimpy.

Expectation rules (RFC 6376 unless noted)
-----------------------------------------
* Canonicalization, simple/relaxed for header and body: sections 3.4.1-3.4.5.
  Whitespace-only changes are therefore never used as "breaking" mutations.
* body-byte: a letter inside the signed body changes the body hash ->
  fail/BodyHashMismatch (3.7, 6.1.3).  Empty or letter-free bodies get
  body-append-text instead.
* l= (3.5, 8.2): bytes appended after the signed length do not matter ->
  pass (body-byte-beyond-l); a canonical body shorter than l= ->
  permerror/BodyLengthExceeded (body-truncated-below-l).
* Header selection (5.4.2): instances of a name listed in h= are taken from the
  bottom up; a name listed more often than it occurs signs a "null" instance,
  so over-signing forbids adding one.  Hence: From added above the original
  (from-dup-above) -> pass unless h= lists from at least twice (then
  fail/SignatureInvalid); From added below (from-dup-below) -> the new one is
  the bottom-most -> fail/SignatureInvalid; swapping two different signed
  names (header-reorder-distinct) -> pass; swapping two same-name signed
  fields with different values (header-reorder-same-name) -> fail.
  Changing a field not covered by h= (unsigned-header-byte,
  unsigned-instance-byte) -> pass; a covered one (signed-header-byte) ->
  fail/SignatureInvalid (3.7, 6.1.3).
* h= must contain From (5.4, 6.1.1) -> permerror/FromNotSigned.
* Required tags v a b bh d h s (3.5, 6.1.1) -> permerror/MissingTag.
* Duplicate tag names make the tag-list invalid (3.2) -> permerror/DuplicateTag.
* x= before the verification time (3.5, 6.1.1) -> permerror/SignatureExpired.
* Key record (3.6.1, 6.1.2): NXDOMAIN -> permerror/KeyNotFound; empty p= ->
  permerror/KeyRevoked; k= other than the signature's algorithm family ->
  permerror/KeyAlgorithmMismatch; undecodable / truncated p= ->
  permerror/KeyMalformed; another key of the same type ->
  fail/SignatureInvalid; t=y (testing) -> policy/KeyTestingMode.
* RFC 8301: rsa-sha1 -> policy/Sha1Rejected (3.1); RSA keys below 1024 bits
  -> policy/KeyTooSmall (3.2).
* RFC 8463: ed25519-sha256, k=ed25519, p= is the raw 32-byte public key.
"""

import base64
import collections
import ctypes
import ctypes.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types

try:
    import dkim
    import nacl.signing
except ImportError as exc:  # pragma: no cover - environment guard
    sys.exit("gen-dkim-corpus: %s\nRun it with Debian's interpreter: "
             "/usr/bin/python3 scripts/gen-dkim-corpus.py "
             "(needs python3-dkim, python3-nacl, opendkim-tools)" % exc)

# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test-vectors", "dkim", "generated")
KEYDIR = os.path.join(OUT, "keys")
MSGDIR = os.path.join(OUT, "messages")

SIGN_TIME = 1767139200      # 2025-12-31T00:00:00Z, t= of every fixed-time signature
VERIFY_TIME = 1767225600    # 2026-01-01T00:00:00Z, shared verification time
TTL_FUTURE = 3650 * 86400   # x= = t= + 10 years (after VERIFY_TIME and after today, see OpenDKIMVerifier)
EXPIRED_SIGN_TIME = VERIFY_TIME - 20 * 86400
EXPIRED_TTL = 10 * 86400    # x= = VERIFY_TIME - 10 days
DATE_HDR = b"Wed, 31 Dec 2025 00:00:00 +0000"
DATE_HDR_EXPIRED = b"Fri, 12 Dec 2025 00:00:00 +0000"

MALLORY_FROM = b"From: Mallory <mallory@evil.test>\r\n"
APPEND_TEXT = b"Appended by a mailing list after signing.\r\n"

CANONS = [("simple", "simple"), ("simple", "relaxed"),
          ("relaxed", "simple"), ("relaxed", "relaxed")]


# --------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------

# selector, domain, kind, bits, TXT record template (%s = p= value)
KEY_SPECS = [
    ("r1024a", "mail-1.example.test", "rsa", 1024, "v=DKIM1; k=rsa; p=%s"),
    ("r1024b", "mail-1.example.test", "rsa", 1024, "v=DKIM1; k=rsa; p=%s"),
    ("r2048a", "mail-2.example.test", "rsa", 2048, "v=DKIM1; h=sha256; k=rsa; s=email; p=%s"),
    ("r2048b", "mail-2.example.test", "rsa", 2048, "v=DKIM1; h=sha256; k=rsa; s=email; p=%s"),
    ("r4096a", "mail-3.example.test", "rsa", 4096, "k=rsa; p=%s"),
    ("r4096b", "mail-3.example.test", "rsa", 4096, "k=rsa; p=%s"),
    ("ed-a", "mail-4.example.test", "ed25519", 256, "v=DKIM1; k=ed25519; p=%s"),
    ("ed-b", "mail-4.example.test", "ed25519", 256, "v=DKIM1; k=ed25519; p=%s"),
    ("r512", "mail-5.example.test", "rsa", 512, "v=DKIM1; k=rsa; p=%s"),
    ("r768", "mail-5.example.test", "rsa", 768, "v=DKIM1; k=rsa; p=%s"),
    ("testing", "mail-6.example.test", "rsa", 2048, "v=DKIM1; k=rsa; t=y; p=%s"),
    ("sha1", "mail-7.example.test", "rsa", 2048, "v=DKIM1; k=rsa; p=%s"),
]
# Same-type partner used by key-swapped, other-type key used by key-swapped-other-type.
SWAP_PARTNER = {"r1024a": "r1024b", "r1024b": "r1024a", "r2048a": "r2048b",
                "r2048b": "r2048a", "r4096a": "r4096b", "r4096b": "r4096a",
                "ed-a": "ed-b", "ed-b": "ed-a"}
OTHER_TYPE = {"rsa": "ed-b", "ed25519": "r2048b"}

Key = collections.namedtuple(
    "Key", "selector domain kind bits record pub_b64 pem seed_b64 pem_path")

PKCS8_ED25519_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


def tool(name):
    path = shutil.which(name) or os.path.join("/usr/sbin", name)
    if not os.path.exists(path):
        sys.exit("gen-dkim-corpus: %s not found (apt-get install opendkim-tools)" % name)
    return path


def make_rsa_key(selector, domain, bits, dest_pem):
    """Create an RSA key with opendkim-genkey; return the p= value."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([tool("opendkim-genkey"), "--bits=%d" % bits,
                        "--domain=" + domain, "--selector=" + selector,
                        "--directory=" + tmp], check=True,
                       stderr=subprocess.DEVNULL)
        shutil.copyfile(os.path.join(tmp, selector + ".private"), dest_pem)
        txt = open(os.path.join(tmp, selector + ".txt")).read()
    joined = "".join(re.findall(r'"([^"]*)"', txt))
    return re.search(r"p=([A-Za-z0-9+/=]+)", joined).group(1)


def ed25519_pem(seed):
    der = PKCS8_ED25519_PREFIX + seed
    return (b"-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(der)
            + b"-----END PRIVATE KEY-----\n")


def ensure_keys():
    """Load keys from keys/, creating missing ones.  Returns {selector: Key}."""
    os.makedirs(KEYDIR, exist_ok=True)
    keys = {}
    for sel, dom, kind, bits, tmpl in KEY_SPECS:
        pem_path = os.path.join(KEYDIR, sel + ".private.pem")
        txt_path = os.path.join(KEYDIR, sel + ".txt")
        seed_path = os.path.join(KEYDIR, sel + ".seed.b64")
        if kind == "rsa":
            if not (os.path.exists(pem_path) and os.path.exists(txt_path)):
                p = make_rsa_key(sel, dom, bits, pem_path)
                write_text(txt_path, (tmpl % p) + "\n")
            seed_b64 = None
        else:
            if not (os.path.exists(seed_path) and os.path.exists(txt_path)):
                seed = os.urandom(32)
                pub = bytes(nacl.signing.SigningKey(seed).verify_key)
                write_bytes(seed_path, base64.b64encode(seed) + b"\n")
                write_bytes(pem_path, ed25519_pem(seed))
                write_text(txt_path, (tmpl % base64.b64encode(pub).decode()) + "\n")
            seed_b64 = open(seed_path, "rb").read().strip()
            if not os.path.exists(pem_path):
                write_bytes(pem_path, ed25519_pem(base64.b64decode(seed_b64)))
        record = open(txt_path).read().strip()
        pub_b64 = re.search(r"p=([A-Za-z0-9+/=]*)", record).group(1)
        keys[sel] = Key(sel, dom, kind, bits, record, pub_b64,
                        open(pem_path, "rb").read(), seed_b64, pem_path)
    return keys


def dns_name(key):
    return "%s._domainkey.%s" % (key.selector, key.domain)


# --------------------------------------------------------------------------
# Message model
# --------------------------------------------------------------------------

class Message(object):
    """A message as a list of raw header fields (each with its folding and
    final CRLF) plus the raw body bytes."""

    def __init__(self, fields, body):
        self.fields = list(fields)
        self.body = body

    @classmethod
    def parse(cls, raw):
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            raise ValueError("no header/body separator")
        head, body = raw[:end + 2], raw[end + 4:]
        fields = []
        for line in head.split(b"\r\n")[:-1]:
            if line[:1] in (b" ", b"\t") and fields:
                fields[-1] += line + b"\r\n"
            else:
                fields.append(line + b"\r\n")
        return cls(fields, body)

    def to_bytes(self):
        return b"".join(self.fields) + b"\r\n" + self.body

    def copy(self):
        return Message(self.fields, self.body)

    def indexes(self, name):
        name = name.lower().encode() if isinstance(name, str) else name.lower()
        return [i for i, f in enumerate(self.fields)
                if f.split(b":", 1)[0].strip().lower() == name]


def field_name(f):
    return f.split(b":", 1)[0].strip().lower()


def unfold(raw_field):
    return re.sub(rb"\r\n(?=[ \t])", b"", raw_field).rstrip(b"\r\n")


def parse_sig(raw_field):
    """Tag dict of a DKIM-Signature field (values with FWS removed where
    harmless).  Only used to read d, s, a, h, l, x."""
    value = unfold(raw_field).split(b":", 1)[1]
    tags = collections.OrderedDict()
    for part in value.split(b";"):
        if b"=" not in part:
            continue
        k, v = part.split(b"=", 1)
        tags[k.strip().decode()] = v.strip()
    h = [x.strip().lower().decode() for x in tags.get("h", b"").split(b":") if x.strip()]
    return {"d": tags["d"].decode(), "s": tags["s"].decode(),
            "a": tags["a"].decode(), "h": h,
            "l": int(tags["l"]) if "l" in tags else None,
            "x": int(tags["x"]) if "x" in tags else None,
            "t": int(tags["t"]) if "t" in tags else None}


# --------------------------------------------------------------------------
# Body canonicalization (RFC 6376 3.4.3 / 3.4.4) - only to assert that the
# l= mutations land where they are meant to land.
# --------------------------------------------------------------------------

def canon_body(body, method):
    if method == "relaxed":
        lines = body.split(b"\r\n")
        lines = [re.sub(rb"[ \t]+", b" ", ln).rstrip(b" ") for ln in lines]
        body = b"\r\n".join(lines)
    while body.endswith(b"\r\n\r\n"):
        body = body[:-2]
    if method == "relaxed":
        if body in (b"", b"\r\n"):
            return b""
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        return body
    if body == b"" or body == b"\r\n":
        return b"\r\n"
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body


# --------------------------------------------------------------------------
# Message shapes
# --------------------------------------------------------------------------

Shape = collections.namedtuple("Shape", "name description build extra_signed xtag")
# extra_signed: header names added to h= besides from/to/subject/date/message-id
# xtag: None, "both" (two X-Tag fields, both signed) or "one" (two, only the
#       bottom one signed)

BASE_SIGNED = ["from", "to", "subject", "date", "message-id"]


def std_fields(domain, mid, subject=b"Test message", from_hdr=None, date=DATE_HDR):
    frm = from_hdr or (b"From: Alice Example <alice@" + domain.encode() + b">\r\n")
    return [frm,
            b"To: Bob Example <bob@example.test>\r\n",
            b"Subject: " + subject + b"\r\n",
            b"Date: " + date + b"\r\n",
            b"Message-ID: <" + mid.encode() + b"@" + domain.encode() + b">\r\n",
            b"X-Unsigned: this field is not covered by any signature\r\n"]


PLAIN_BODY = (b"Hello Bob,\r\n\r\nThis is a test message for the DKIM corpus.\r\n"
              b"It has a few lines of plain ASCII text.\r\n\r\n-- \r\nAlice\r\n")


def shape_basic(domain, mid, date):
    return std_fields(domain, mid, date=date), PLAIN_BODY


def shape_folded_subject(domain, mid, date):
    f = std_fields(domain, mid, date=date)
    f[2] = (b"Subject: A rather long subject line that has been folded\r\n"
            b" over several lines by the sending client,\r\n"
            b"\tonce with a space and once with a tab\r\n")
    return f, b"Folded header test.\r\nSecond line of body.\r\n"


def shape_long_header(domain, mid, date):
    f = std_fields(domain, mid, date=date)
    words = " ".join("word%03d" % i for i in range(118))  # ~940 chars
    f.insert(5, b"X-Long: " + words.encode() + b"\r\n")
    return f, b"The X-Long header of this message is a single unfolded line.\r\n"


def shape_trailing_ws(domain, mid, date):
    f = std_fields(domain, mid, subject=b"Trailing whitespace   ", date=date)
    f.insert(5, b"X-Trailing: value with trailing tab and spaces \t  \r\n")
    body = (b"Line with trailing spaces   \r\nLine with trailing tab\t\r\n"
            b"   \r\nLast line \t \r\n\r\n\r\n")
    return f, body


def shape_empty_body(domain, mid, date):
    return std_fields(domain, mid, subject=b"Empty body", date=date), b""


def shape_blank_body(domain, mid, date):
    return std_fields(domain, mid, subject=b"Only blank lines", date=date), b"\r\n\r\n\r\n\r\n"


def shape_8bit(domain, mid, date):
    f = std_fields(domain, mid, subject=b"Raw eight bit body", date=date)
    body = ("Grüße aus Köln – UTF-8 without MIME.\r\n".encode("utf-8")
            + "Café crème, latin-1 bytes.\r\n".encode("latin-1")
            + b"Binary-ish: \xff\xfe\x80\x81 end\r\n")
    return f, body


def shape_no_final_crlf(domain, mid, date):
    f = std_fields(domain, mid, subject=b"No final newline", date=date)
    return f, b"First line\r\nThe last line has no line terminator"


def shape_tabs(domain, mid, date):
    f = std_fields(domain, mid, date=date)
    f[2] = b"Subject:\tTabbed\tsubject\twith  double  spaces\r\n"
    body = b"\tIndented with a tab\r\ncol1\tcol2\t\tcol3\r\n  two  spaces  between  words\r\n"
    return f, body


def shape_multi_xtag(domain, mid, date):
    f = std_fields(domain, mid, subject=b"Repeated header fields", date=date)
    rcvd = [b"Received: from relay2.example.test by mx.example.test; " + date + b"\r\n",
            b"Received: from client.example.test by relay2.example.test; " + date + b"\r\n"]
    f = rcvd + f
    f.insert(len(f) - 1, b"X-Tag: alpha\r\n")
    f.insert(len(f) - 1, b"X-Tag: bravo\r\n")
    return f, b"This message carries two Received and two X-Tag header fields.\r\n"


def shape_bare_from(domain, mid, date):
    f = std_fields(domain, mid, subject=b"Bare address in From",
                   from_hdr=b"From: alice@" + domain.encode() + b"\r\n", date=date)
    return f, b"From is a bare addr-spec.\r\n"


def shape_mixed_ws_body(domain, mid, date):
    f = std_fields(domain, mid, subject=b"Whitespace inside body lines", date=date)
    body = (b"Several   spaces\tand\t\ttabs   inside   lines.\r\n"
            b"\r\n \t \r\nIndented  line\r\n\r\n")
    return f, body


SHAPES = [
    Shape("basic", "plain ASCII message", shape_basic, [], None),
    Shape("folded-subject", "Subject folded over three lines (SP and TAB continuation)",
          shape_folded_subject, [], None),
    Shape("long-header", "signed X-Long header, one unfolded line of ~950 characters",
          shape_long_header, ["x-long"], None),
    Shape("trailing-ws", "trailing spaces/tabs on Subject, X-Trailing and body lines, trailing blank lines",
          shape_trailing_ws, ["x-trailing"], None),
    Shape("empty-body", "no body at all", shape_empty_body, [], None),
    Shape("blank-body", "body of four empty lines only", shape_blank_body, [], None),
    Shape("8bit-body", "raw UTF-8 and latin-1 bytes in the body, no MIME headers",
          shape_8bit, [], None),
    Shape("no-final-crlf", "body whose last line has no CRLF", shape_no_final_crlf, [], None),
    Shape("tabs", "tabs and double spaces in Subject and body", shape_tabs, [], None),
    Shape("multi-xtag", "two Received (unsigned) and two X-Tag fields, both X-Tag signed",
          shape_multi_xtag, ["x-tag", "x-tag"], "both"),
    Shape("xtag-one-signed", "two X-Tag fields, h= lists x-tag once (bottom instance signed)",
          shape_multi_xtag, ["x-tag"], "one"),
    Shape("bare-from", "From is a bare addr-spec", shape_bare_from, [], None),
    Shape("mixed-ws-body", "runs of spaces/tabs inside body lines, whitespace-only line",
          shape_mixed_ws_body, [], None),
]
SHAPE_BY_NAME = {s.name: s for s in SHAPES}


# --------------------------------------------------------------------------
# Signers
# --------------------------------------------------------------------------

class SigSpec(object):
    """One signature to add to a message."""

    def __init__(self, signer, key, canon=("relaxed", "relaxed"), alg=None,
                 length=False, oversign=False, ttl=None, sign_time=SIGN_TIME,
                 extra_signed=()):
        self.signer = signer          # "dkimpy" | "opendkim" | "opendkim-testmsg"
        self.key = key
        self.canon = canon
        self.alg = alg or ("ed25519-sha256" if key.kind == "ed25519" else "rsa-sha256")
        self.length = length
        self.oversign = oversign
        self.ttl = ttl
        self.sign_time = sign_time
        self.extra_signed = list(extra_signed)

    @property
    def family(self):
        return "dkimpy" if self.signer == "dkimpy" else "opendkim"


class FixedClock(object):
    """Replace the time module seen by dkimpy (it only calls time.time())."""

    def __init__(self, when):
        self.when = when

    def __enter__(self):
        self.saved = dkim.time
        dkim.time = types.SimpleNamespace(time=lambda: float(self.when))

    def __exit__(self, *exc):
        dkim.time = self.saved


def sign_dkimpy(raw, spec):
    """dkimpy: h= is exactly the list we pass (over-signing = repeating a name)."""
    heads = BASE_SIGNED + spec.extra_signed
    if spec.oversign:
        heads = heads + ["from", "subject"]
    if spec.key.kind == "ed25519":
        privkey = spec.key.seed_b64
    else:
        privkey = spec.key.pem
    with FixedClock(spec.sign_time):
        sig = dkim.sign(raw, spec.key.selector.encode(), spec.key.domain.encode(),
                        privkey,
                        canonicalize=(spec.canon[0].encode(), spec.canon[1].encode()),
                        signature_algorithm=spec.alg.encode(),
                        include_headers=[h.encode() for h in heads],
                        length=spec.length, linesep=b"\r\n")
    if spec.ttl is not None:
        raise ValueError("dkimpy cannot emit x=")
    return sig + raw


class LibOpenDKIM(object):
    """Minimal ctypes binding of libopendkim 2.11 (constants from dkim.h)."""
    OP_SETOPT = 1
    OPTS_FLAGS, OPTS_SIGNHDRS, OPTS_OVERSIGNHDRS = 0, 4, 5
    OPTS_FIXEDTIME, OPTS_SIGNATURETTL, OPTS_MINKEYBITS = 8, 11, 14
    LIBFLAGS_SIGNLEN = 0x0004
    LIBFLAGS_FIXCRLF = 0x0100   # as opendkim-testmsg; needed for relaxed bodies without final CRLF
    CANON = {"simple": 0, "relaxed": 1}
    ALG = {"rsa-sha1": 0, "rsa-sha256": 1, "ed25519-sha256": 2}

    def __init__(self):
        name = ctypes.util.find_library("opendkim") or "libopendkim.so.11"
        L = self.L = ctypes.CDLL(name)
        vp, cp, sz = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
        L.dkim_init.restype = vp
        L.dkim_init.argtypes = [vp, vp]
        L.dkim_close.argtypes = [vp]
        L.dkim_options.argtypes = [vp, ctypes.c_int, ctypes.c_int, vp, sz]
        L.dkim_sign.restype = vp
        L.dkim_sign.argtypes = [vp, cp, vp, cp, cp, cp, ctypes.c_int, ctypes.c_int,
                                ctypes.c_int, ctypes.c_ssize_t, ctypes.POINTER(ctypes.c_int)]
        L.dkim_chunk.argtypes = [vp, cp, sz]
        L.dkim_eom.argtypes = [vp, vp]
        L.dkim_getsighdr_d.argtypes = [vp, sz, ctypes.POINTER(cp), ctypes.POINTER(sz)]
        L.dkim_geterror.restype = cp
        L.dkim_geterror.argtypes = [vp]
        L.dkim_getresultstr.restype = cp
        L.dkim_getresultstr.argtypes = [ctypes.c_int]
        L.dkim_free.argtypes = [vp]

    def _opt(self, lib, opt, ptr, size):
        st = self.L.dkim_options(lib, self.OP_SETOPT, opt, ptr, size)
        if st != 0:
            raise RuntimeError("dkim_options(%d) failed: %d" % (opt, st))

    def sign(self, raw, spec):
        L = self.L
        lib = L.dkim_init(None, None)
        if not lib:
            raise RuntimeError("dkim_init failed")
        try:
            flags = ctypes.c_uint(self.LIBFLAGS_FIXCRLF
                                  | (self.LIBFLAGS_SIGNLEN if spec.length else 0))
            self._opt(lib, self.OPTS_FLAGS, ctypes.byref(flags), ctypes.sizeof(flags))
            fixed = ctypes.c_uint64(spec.sign_time)
            self._opt(lib, self.OPTS_FIXEDTIME, ctypes.byref(fixed), 8)
            if spec.ttl is not None:
                ttl = ctypes.c_uint64(spec.ttl)
                self._opt(lib, self.OPTS_SIGNATURETTL, ctypes.byref(ttl), 8)
            minbits = ctypes.c_uint(512)   # allow the deliberately small keys
            self._opt(lib, self.OPTS_MINKEYBITS, ctypes.byref(minbits), ctypes.sizeof(minbits))
            names = BASE_SIGNED + sorted(set(spec.extra_signed))
            hdrs = (ctypes.c_char_p * (len(names) + 1))(*[n.encode() for n in names] + [None])
            self._opt(lib, self.OPTS_SIGNHDRS, hdrs, ctypes.sizeof(ctypes.c_void_p))
            if spec.oversign:
                ov = (ctypes.c_char_p * 3)(b"from", b"subject", None)
                self._opt(lib, self.OPTS_OVERSIGNHDRS, ov, ctypes.sizeof(ctypes.c_void_p))
            st = ctypes.c_int()
            d = L.dkim_sign(lib, b"corpus", None, spec.key.pem,
                            spec.key.selector.encode(), spec.key.domain.encode(),
                            self.CANON[spec.canon[0]], self.CANON[spec.canon[1]],
                            self.ALG[spec.alg], -1, ctypes.byref(st))
            if not d:
                raise RuntimeError("dkim_sign: %s" % L.dkim_getresultstr(st.value))
            try:
                for chunk in (raw, None):
                    n = len(chunk) if chunk else 0
                    s = L.dkim_chunk(d, chunk, n)
                    if s != 0:
                        raise RuntimeError("dkim_chunk: %s" % L.dkim_geterror(d))
                s = L.dkim_eom(d, None)
                if s != 0:
                    raise RuntimeError("dkim_eom: %s" % L.dkim_geterror(d))
                buf, blen = ctypes.c_char_p(), ctypes.c_size_t()
                s = L.dkim_getsighdr_d(d, len(b"DKIM-Signature"), ctypes.byref(buf),
                                       ctypes.byref(blen))
                if s != 0:
                    raise RuntimeError("dkim_getsighdr_d: %s" % L.dkim_geterror(d))
                value = ctypes.string_at(buf, blen.value)
            finally:
                L.dkim_free(d)
        finally:
            L.dkim_close(lib)
        value = value.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        return b"DKIM-Signature: " + value + b"\r\n" + raw


_LIBOPENDKIM = None


def sign_opendkim(raw, spec):
    # libopendkim 2.11.0~beta2 produces ed25519-sha256 signatures with c=simple/*
    # that neither dkimpy nor libopendkim's own verifier accept (rsa-sha256 with
    # simple and ed25519 with relaxed header canonicalization are fine), so the
    # corpus never asks it for that combination.
    if spec.key.kind == "ed25519" and spec.canon[0] == "simple":
        raise ValueError("libopendkim cannot sign ed25519 with simple header canonicalization")
    global _LIBOPENDKIM
    if _LIBOPENDKIM is None:
        _LIBOPENDKIM = LibOpenDKIM()
    return _LIBOPENDKIM.sign(raw, spec)


def sign_opendkim_testmsg(raw, spec):
    """opendkim-testmsg: always rsa-sha1, relaxed/simple, t= = wall clock."""
    assert spec.alg == "rsa-sha1" and spec.canon == ("relaxed", "simple")
    res = subprocess.run([tool("opendkim-testmsg"), "-C", "-d", spec.key.domain,
                          "-s", spec.key.selector, "-k", spec.key.pem_path],
                         input=raw, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if res.returncode != 0:
        raise RuntimeError("opendkim-testmsg: %s" % res.stderr.decode(errors="replace"))
    out = res.stdout
    if not out.endswith(raw):
        raise RuntimeError("opendkim-testmsg altered the message")
    return out


SIGNERS = {"dkimpy": sign_dkimpy, "opendkim": sign_opendkim,
           "opendkim-testmsg": sign_opendkim_testmsg}


# --------------------------------------------------------------------------
# Originals
# --------------------------------------------------------------------------

class Original(object):
    def __init__(self, cid, shape, sigs, description, expected, mutate=True,
                 verify_time=VERIFY_TIME, date=DATE_HDR):
        self.id = cid
        self.shape = shape
        self.sigs = sigs               # signing order: sigs[0] is applied first (ends up lowest)
        self.description = description
        self.base_expected = expected  # per signature, TOP FIRST: (result, reason)
        self.mutate = mutate
        self.verify_time = verify_time
        self.date = date
        self.msg = None
        self.parsed = None             # parsed sig tags TOP FIRST


def alg_label(key, alg):
    if key.kind == "ed25519":
        return "ed25519"
    return "rsa%d%s" % (key.bits, "-sha1" if alg == "rsa-sha1" else "")


def canon_label(c):
    return c[0][0] + c[1][0]    # "ss", "sr", "rs", "rr"


def build_originals(keys):
    origs = []
    algos = [keys["r1024a"], keys["r2048a"], keys["r4096a"], keys["ed-a"]]
    combos = [(k, c) for k in algos for c in CANONS]      # 16 combos
    seen = collections.Counter()
    for si, shape in enumerate(SHAPES):
        for rep in range(3):
            idx = si * 3 + rep
            combo = (idx * 5) % 16        # 5 is coprime to 16: walks all combos
            key, canon = combos[combo]
            # each algorithm/canonicalization combo alternates between the signers,
            # odd combos starting with OpenDKIM so that both spread over the shapes
            signer = "opendkim" if (seen[combo] + combo) % 2 == 1 else "dkimpy"
            seen[combo] += 1
            if shape.xtag == "one":
                signer = "dkimpy"   # OpenDKIM always signs every instance of a listed name
            if signer == "opendkim" and key.kind == "ed25519" and canon[0] == "simple":
                signer = "dkimpy"   # libopendkim bug, see sign_opendkim()
            length = (idx % 4 == 2) or (rep == 0 and shape.name in (
                "empty-body", "blank-body", "no-final-crlf", "trailing-ws", "8bit-body"))
            oversign = idx % 3 == 1
            ttl = TTL_FUTURE if (signer == "opendkim" and idx % 2 == 0) else None
            spec = SigSpec(signer, key, canon, length=length, oversign=oversign,
                           ttl=ttl, extra_signed=shape.extra_signed)
            feats = [f for f, on in (("l", length), ("os", oversign), ("x", ttl)) if on]
            cid = "%s-%s-%s-%s%s" % (alg_label(key, spec.alg), canon_label(canon),
                                     shape.name, "odk" if signer == "opendkim" else "py",
                                     "".join("-" + f for f in feats))
            desc = "%s signed by %s, %s, c=%s/%s%s%s%s" % (
                shape.description, signer, spec.alg, canon[0], canon[1],
                ", l= set" if length else "", ", from+subject over-signed" if oversign else "",
                ", x= = t= + 10 years" if ttl else "")
            origs.append(Original(cid, shape, [spec], desc, [("pass", None)]))

    basic = SHAPE_BY_NAME["basic"]

    def single(cid, spec, desc, exp, shape=basic, **kw):
        origs.append(Original(cid, shape, [spec], desc, [exp], mutate=False, **kw))

    # RFC 8301 3.2: RSA keys below 1024 bits
    for sel in ("r512", "r768"):
        for signer in ("dkimpy", "opendkim"):
            k = keys[sel]
            single("rsa%d-rr-basic-%s-small-key" % (k.bits, "py" if signer == "dkimpy" else "odk"),
                   SigSpec(signer, k, ("relaxed", "relaxed")),
                   "%d-bit RSA key (below the RFC 8301 minimum of 1024) signed by %s" % (k.bits, signer),
                   ("policy", "KeyTooSmall"))
    # RFC 8301 3.1: rsa-sha1
    k = keys["sha1"]
    for shape in (basic, SHAPE_BY_NAME["folded-subject"]):
        single("rsa2048-sha1-rs-%s-testmsg" % shape.name,
               SigSpec("opendkim-testmsg", k, ("relaxed", "simple"), alg="rsa-sha1"),
               "a=rsa-sha1 signature made by the opendkim-testmsg binary (its only mode: "
               "rsa-sha1, relaxed/simple, t= is the wall clock, so verify_time is t= + 1 hour)",
               ("policy", "Sha1Rejected"), shape=shape, verify_time=None)
    single("rsa2048-sha1-ss-basic-odk", SigSpec("opendkim", k, ("simple", "simple"), alg="rsa-sha1"),
           "a=rsa-sha1 signature made by libopendkim, simple/simple", ("policy", "Sha1Rejected"))
    single("rsa2048-sha1-rr-basic-py", SigSpec("dkimpy", k, ("relaxed", "relaxed"), alg="rsa-sha1"),
           "a=rsa-sha1 signature made by dkimpy, relaxed/relaxed", ("policy", "Sha1Rejected"))
    # RFC 6376 3.6.1: t=y testing key
    k = keys["testing"]
    single("rsa2048-rr-basic-py-testing-key", SigSpec("dkimpy", k, ("relaxed", "relaxed")),
           "valid signature but the key record carries t=y", ("policy", "KeyTestingMode"))
    single("rsa2048-sr-basic-odk-testing-key", SigSpec("opendkim", k, ("simple", "relaxed")),
           "valid signature (libopendkim) but the key record carries t=y", ("policy", "KeyTestingMode"))
    # RFC 6376 3.5 x=: expired
    for sel, canon in (("r2048a", ("simple", "simple")), ("ed-a", ("relaxed", "simple"))):
        k = keys[sel]
        single("%s-%s-basic-odk-expired" % (alg_label(k, None), canon_label(canon)),
               SigSpec("opendkim", k, canon, ttl=EXPIRED_TTL, sign_time=EXPIRED_SIGN_TIME),
               "signed by libopendkim 20 days before verify_time with x= 10 days before verify_time",
               ("permerror", "SignatureExpired"), date=DATE_HDR_EXPIRED)

    # Two signatures per message (sigs listed in signing order; the last one is on top).
    def dual(cid, shape, sigs, desc, mutate=True, exp=None):
        exp = exp or [("pass", None)] * len(sigs)
        origs.append(Original(cid, shape, sigs, desc, exp, mutate=mutate))

    dual("dual-ed25519-rsa2048-rr-basic-py", basic,
         [SigSpec("dkimpy", keys["r2048a"], ("relaxed", "relaxed"), oversign=True),
          SigSpec("dkimpy", keys["ed-a"], ("relaxed", "relaxed"), oversign=True)],
         "RFC 8463 style: rsa-sha256 then ed25519-sha256 (on top), both dkimpy, relaxed/relaxed, "
         "both over-sign from/subject")
    dual("dual-odk-rsa1024-ss-py-ed25519-rs-tabs", SHAPE_BY_NAME["tabs"],
         [SigSpec("opendkim", keys["r1024a"], ("simple", "simple"), ttl=TTL_FUTURE),
          SigSpec("dkimpy", keys["ed-a"], ("relaxed", "simple"))],
         "libopendkim rsa1024 simple/simple with x=, then dkimpy ed25519 relaxed/simple on top")
    dual("dual-py-rsa4096-rr-odk-ed25519-rs-multi-xtag", SHAPE_BY_NAME["multi-xtag"],
         [SigSpec("dkimpy", keys["r4096a"], ("relaxed", "relaxed"), extra_signed=["x-tag", "x-tag"]),
          SigSpec("opendkim", keys["ed-a"], ("relaxed", "simple"), extra_signed=["x-tag"])],
         "dkimpy rsa4096 relaxed/relaxed, then libopendkim ed25519 relaxed/simple on top; "
         "both sign both X-Tag fields")
    dual("dual-odk-ed25519-os-rsa2048-ss-folded-subject", SHAPE_BY_NAME["folded-subject"],
         [SigSpec("opendkim", keys["r2048a"], ("simple", "simple")),
          SigSpec("opendkim", keys["ed-b"], ("relaxed", "relaxed"), oversign=True)],
         "libopendkim rsa2048 simple/simple without over-signing, then libopendkim ed25519 "
         "relaxed/relaxed over-signing from/subject on top")
    dual("dual-py-rsa2048-l-ed25519-trailing-ws", SHAPE_BY_NAME["trailing-ws"],
         [SigSpec("dkimpy", keys["r2048b"], ("simple", "simple"), length=True,
                  extra_signed=["x-trailing"]),
          SigSpec("dkimpy", keys["ed-b"], ("relaxed", "relaxed"), extra_signed=["x-trailing"])],
         "dkimpy rsa2048 simple/simple with l=, then dkimpy ed25519 relaxed/relaxed (no l=) on top")
    dual("dual-odk-rsa2048-py-rsa1024-two-domains", SHAPE_BY_NAME["8bit-body"],
         [SigSpec("opendkim", keys["r2048a"], ("relaxed", "simple"), ttl=TTL_FUTURE),
          SigSpec("dkimpy", keys["r1024b"], ("simple", "relaxed"))],
         "two RSA signatures from different d= domains: mail-2 via libopendkim relaxed/simple "
         "with x=, then mail-1 via dkimpy simple/relaxed on top")
    dual("dual-odk-sha1-py-ed25519-basic", basic,
         [SigSpec("opendkim", keys["sha1"], ("relaxed", "relaxed"), alg="rsa-sha1"),
          SigSpec("dkimpy", keys["ed-a"], ("relaxed", "relaxed"))],
         "rsa-sha1 (libopendkim) below an ed25519 signature (dkimpy): one policy, one pass",
         mutate=False, exp=[("pass", None), ("policy", "Sha1Rejected")])
    return origs


def sign_original(orig, keys):
    domain = orig.sigs[-1].key.domain
    fields, body = orig.shape.build(domain, orig.id, orig.date)
    raw = Message(fields, body).to_bytes()
    for spec in orig.sigs:
        raw = SIGNERS[spec.signer](raw, spec)
    msg = Message.parse(raw)
    assert msg.to_bytes() == raw
    orig.msg = msg
    orig.parsed = [parse_sig(msg.fields[i]) for i in msg.indexes("dkim-signature")]
    if orig.verify_time is None:      # opendkim-testmsg: wall-clock t=
        orig.verify_time = orig.parsed[0]["t"] + 3600
    for p in orig.parsed:
        assert "from" in p["h"] and "subject" in p["h"], p
        # opendkim-testmsg signs every field, X-Unsigned included (never mutated)
        assert "x-unsigned" not in p["h"] or not orig.mutate, p
        if p["x"] is not None and orig.base_expected[0][1] != "SignatureExpired":
            assert p["x"] > orig.verify_time


# --------------------------------------------------------------------------
# Mutations.  Each takes (orig, keys) and yields
#   (suffix, mutation, description, Message, dns, [(result, reason)] TOP FIRST)
# --------------------------------------------------------------------------

PASS = ("pass", None)


def base_dns(orig):
    dns = collections.OrderedDict()
    for spec in reversed(orig.sigs):
        dns[dns_name(spec.key)] = [spec.key.record]
    return dns


def sig_keys_top_first(orig):
    return list(reversed(orig.sigs))


def change_letter(data, start=0, end=None):
    """Replace the first ASCII letter in data[start:end] by the next letter
    (same case).  Returns (new_data, position) or (None, None)."""
    end = len(data) if end is None else end
    for i in range(start, end):
        c = data[i]
        if 65 <= c <= 90 or 97 <= c <= 122:
            base = 65 if c <= 90 else 97
            nc = base + (c - base + 1) % 26
            return data[:i] + bytes([nc]) + data[i + 1:], i
    return None, None


def header_value_start(field):
    return field.index(b":") + 1


def mut_body_byte(orig, keys):
    m = orig.msg.copy()
    new, pos = change_letter(m.body)
    if new is None:
        if any(p["l"] is not None for p in orig.parsed):
            return
        m.body = m.body + APPEND_TEXT
        yield ("body-append-text", "body-append-text",
               "the body has no letters; a line of text was appended (no l= tag)",
               m, base_dns(orig), [("fail", "BodyHashMismatch")] * len(orig.parsed))
        return
    m.body = new
    yield ("body-byte", "body-byte",
           "body byte %d changed from %r to %r" % (pos, chr(orig.msg.body[pos]), chr(new[pos])),
           m, base_dns(orig), [("fail", "BodyHashMismatch")] * len(orig.parsed))


def mut_body_beyond_l(orig, keys):
    if not any(p["l"] is not None for p in orig.parsed):
        return
    m = orig.msg.copy()
    sep = b"" if (m.body.endswith(b"\r\n")) else b"\r\n"
    m.body = m.body + sep + APPEND_TEXT
    exp = []
    for p, spec in zip(orig.parsed, sig_keys_top_first(orig)):
        if p["l"] is None:
            exp.append(("fail", "BodyHashMismatch"))
        else:
            old = canon_body(orig.msg.body, spec.canon[1])
            new = canon_body(m.body, spec.canon[1])
            assert p["l"] == len(old) and new[:p["l"]] == old, (orig.id, p["l"])
            exp.append(PASS)
    yield ("body-byte-beyond-l", "body-byte-beyond-l",
           "text appended to the body after the l= signed length", m, base_dns(orig), exp)


def mut_body_below_l(orig, keys):
    if not any(p["l"] for p in orig.parsed):     # needs some l= > 0
        return
    m = orig.msg.copy()
    body = m.body.rstrip(b"\r\n")
    cut = body.rfind(b"\r\n")
    m.body = body[:cut + 2] if cut >= 0 else b""
    exp = []
    for p, spec in zip(orig.parsed, sig_keys_top_first(orig)):
        if p["l"] is None:
            exp.append(("fail", "BodyHashMismatch"))
        elif len(canon_body(m.body, spec.canon[1])) >= p["l"]:
            return      # e.g. empty body, simple: l=2 and nothing can be removed
        else:
            exp.append(("permerror", "BodyLengthExceeded"))
    yield ("body-truncated-below-l", "body-truncated-below-l",
           "last body line removed so the canonical body is shorter than l=",
           m, base_dns(orig), exp)


def mut_signed_header_byte(orig, keys):
    m = orig.msg.copy()
    i = m.indexes("subject")[0]
    new, pos = change_letter(m.fields[i], header_value_start(m.fields[i]))
    m.fields[i] = new
    exp = [("fail", "SignatureInvalid") if "subject" in p["h"] else PASS for p in orig.parsed]
    yield ("signed-header-byte", "signed-header-byte",
           "one letter of the (signed) Subject value changed", m, base_dns(orig), exp)


def mut_unsigned_header_byte(orig, keys):
    m = orig.msg.copy()
    i = m.indexes("x-unsigned")[0]
    m.fields[i], _ = change_letter(m.fields[i], header_value_start(m.fields[i]))
    assert all("x-unsigned" not in p["h"] for p in orig.parsed)
    yield ("unsigned-header-byte", "unsigned-header-byte",
           "one letter of the X-Unsigned value (not in h=) changed", m, base_dns(orig),
           [PASS] * len(orig.parsed))


def mut_from_dup_above(orig, keys):
    m = orig.msg.copy()
    m.fields.insert(0, MALLORY_FROM)
    exp = [("fail", "SignatureInvalid") if p["h"].count("from") >= 2 else PASS
           for p in orig.parsed]
    yield ("from-dup-above", "from-dup-above",
           "a second From (Mallory) inserted as the first header line", m, base_dns(orig), exp)


def mut_from_dup_below(orig, keys):
    m = orig.msg.copy()
    m.fields.append(MALLORY_FROM)
    exp = [("fail", "SignatureInvalid") if "from" in p["h"] else PASS for p in orig.parsed]
    yield ("from-dup-below", "from-dup-below",
           "a second From (Mallory) inserted as the last header line", m, base_dns(orig), exp)


def mut_reorder_distinct(orig, keys):
    m = orig.msg.copy()
    (t,), (s,) = m.indexes("to"), m.indexes("subject")
    m.fields[t], m.fields[s] = m.fields[s], m.fields[t]
    yield ("header-reorder-distinct", "header-reorder-distinct",
           "the To and Subject fields swapped places", m, base_dns(orig),
           [PASS] * len(orig.parsed))


def mut_reorder_same_name(orig, keys):
    m = orig.msg.copy()
    idx = m.indexes("x-tag")
    if len(idx) != 2:
        return
    a, b = idx
    assert m.fields[a] != m.fields[b]
    m.fields[a], m.fields[b] = m.fields[b], m.fields[a]
    exp = [("fail", "SignatureInvalid") if "x-tag" in p["h"] else PASS for p in orig.parsed]
    yield ("header-reorder-same-name", "header-reorder-same-name",
           "the two X-Tag fields (different values) swapped places", m, base_dns(orig), exp)


def mut_unsigned_instance(orig, keys):
    m = orig.msg.copy()
    idx = m.indexes("x-tag")
    if len(idx) != 2 or all(p["h"].count("x-tag") >= 2 for p in orig.parsed):
        return
    top = idx[0]
    m.fields[top], _ = change_letter(m.fields[top], header_value_start(m.fields[top]))
    # the top X-Tag is covered only by signatures that list x-tag twice
    exp = [("fail", "SignatureInvalid") if p["h"].count("x-tag") >= 2 else PASS
           for p in orig.parsed]
    yield ("unsigned-instance-byte", "unsigned-instance-byte",
           "one letter of the upper X-Tag changed; h= lists x-tag once so only the "
           "bottom X-Tag is signed", m, base_dns(orig), exp)


def key_mutations_for(orig, keys, j):
    """Yield (suffix, mutation, description, new dns value, expectation)."""
    spec = sig_keys_top_first(orig)[j]
    k = spec.key
    partner = keys[SWAP_PARTNER[k.selector]]
    other = keys[OTHER_TYPE[k.kind]]
    rec = k.record
    yield ("key-revoked", "DNS key record with empty p=",
           [re.sub(r"p=[A-Za-z0-9+/=]*", "p=", rec)], ("permerror", "KeyRevoked"))
    yield ("key-swapped", "p= replaced by another %s key (%s)" % (k.kind, partner.selector),
           [re.sub(r"p=[A-Za-z0-9+/=]*", "p=" + partner.pub_b64, rec)],
           ("fail", "SignatureInvalid"))
    yield ("key-swapped-other-type",
           "record replaced by a k=%s key (%s) for an %s signature" % (other.kind, other.selector,
                                                                      spec.alg),
           [other.record], ("permerror", "KeyAlgorithmMismatch"))
    half = (len(k.pub_b64) // 2) // 4 * 4
    yield ("key-truncated", "p= cut to its first %d base64 characters" % half,
           [re.sub(r"p=[A-Za-z0-9+/=]*", "p=" + k.pub_b64[:half], rec)],
           ("permerror", "KeyMalformed"))
    yield ("key-missing", "key name does not exist (NXDOMAIN)", {"nxdomain": True},
           ("permerror", "KeyNotFound"))


def mut_keys(orig, keys):
    n = len(orig.parsed)
    for j in range(n):
        spec = sig_keys_top_first(orig)[j]
        for mut, desc, value, res in key_mutations_for(orig, keys, j):
            dns = base_dns(orig)
            dns[dns_name(spec.key)] = value
            exp = [PASS] * n
            exp[j] = res
            suffix = mut if n == 1 else "%s-sig%d" % (mut, j + 1)
            where = "" if n == 1 else " (signature %d of %d, top first)" % (j + 1, n)
            yield (suffix, mut, desc + where, orig.msg.copy(), dns, exp)


def sig_field_index(m, j):
    return m.indexes("dkim-signature")[j]


def edit_sig_b(field):
    mt = re.search(rb"(?:^|;)[ \t\r\n]*b[ \t\r\n]*=", field.split(b":", 1)[1])
    start = field.index(b":") + 1 + mt.end()
    end = field.find(b";", start)
    end = len(field) if end < 0 else end
    pos = [i for i in range(start, end) if field[i:i + 1].isalnum() or field[i:i + 1] in b"+/"]
    i = pos[len(pos) // 2]
    new = b"B" if field[i:i + 1] == b"A" else b"A"
    return field[:i] + new + field[i + 1:]


# A tag starts after the field name's colon or after a ";", plus optional FWS.
TAG_START = rb"(?:(?<=^DKIM-Signature:)|(?<=;))"


def edit_sig_drop_bh(field):
    """Remove the bh= tag with its leading FWS (and its ";")."""
    new, n = re.subn(TAG_START + rb"(?:[ \t]*\r\n)?[ \t]*bh[ \t]*=[^;]*;", b"", field,
                     count=1)
    assert n == 1
    return new


def edit_sig_h_drop_from(field):
    mt = re.search(TAG_START + rb"[ \t\r\n]*h[ \t\r\n]*=([^;]*);", field)
    names = [x.strip() for x in re.sub(rb"\r\n(?=[ \t])", b"", mt.group(1)).split(b":")]
    kept = [x for x in names if x.lower() != b"from"]
    return field[:mt.start(1)] + b":".join(kept) + field[mt.end(1):]


def edit_sig_dup_tag(field, d):
    i = field.index(b":") + 1
    return field[:i] + b" d=" + d.encode() + b";" + field[i:]


def mut_sig(orig, keys):
    n = len(orig.parsed)
    for j in range(n):
        p = orig.parsed[j]
        variants = [
            ("sig-b-corrupt", "one base64 character in the middle of b= changed",
             edit_sig_b, ("fail", "SignatureInvalid")),
            ("sig-missing-bh", "the required bh= tag removed from the signature",
             edit_sig_drop_bh, ("permerror", "MissingTag")),
            ("sig-h-drop-from", "every 'from' entry removed from h=",
             edit_sig_h_drop_from, ("permerror", "FromNotSigned")),
            ("sig-dup-tag", "a duplicate d= tag (same value) inserted at the start of the tag-list",
             lambda f: edit_sig_dup_tag(f, p["d"]), ("permerror", "DuplicateTag")),
        ]
        for mut, desc, edit, res in variants:
            m = orig.msg.copy()
            i = sig_field_index(m, j)
            m.fields[i] = edit(m.fields[i])
            assert m.fields[i] != orig.msg.fields[i]
            exp = [PASS] * n
            exp[j] = res
            suffix = mut if n == 1 else "%s-sig%d" % (mut, j + 1)
            where = "" if n == 1 else " (signature %d of %d, top first)" % (j + 1, n)
            yield (suffix, mut, desc + where, m, base_dns(orig), exp)


MUTATORS = [mut_body_byte, mut_body_beyond_l, mut_body_below_l, mut_signed_header_byte,
            mut_unsigned_header_byte, mut_from_dup_above, mut_from_dup_below,
            mut_reorder_distinct, mut_reorder_same_name, mut_unsigned_instance,
            mut_keys, mut_sig]


# --------------------------------------------------------------------------
# Case assembly
# --------------------------------------------------------------------------

def signer_label(orig):
    fams = sorted(set(s.family for s in orig.sigs))
    return fams[0] if len(fams) == 1 else "mixed"


def make_case(orig, cid, mutation, description, msg, dns, exp):
    sigs = []
    for p, spec, (res, reason) in zip(orig.parsed, sig_keys_top_first(orig), exp):
        sigs.append(collections.OrderedDict([
            ("d", p["d"]), ("s", p["s"]), ("a", p["a"]),
            ("result", res), ("reason", reason), ("signer", spec.family)]))
    tools = []
    for spec in sig_keys_top_first(orig):
        t = {"dkimpy": "dkimpy", "opendkim": "libopendkim (ctypes)",
             "opendkim-testmsg": "opendkim-testmsg"}[spec.signer]
        tools.append(t)
    case = collections.OrderedDict([
        ("id", cid), ("base", orig.id), ("signer", signer_label(orig)),
        ("signer_tools", tools), ("mutation", mutation), ("description", description),
        ("message", "messages/%s.eml" % cid), ("dns", dns),
        ("verify_time", orig.verify_time),
        ("expected", collections.OrderedDict([
            ("signatures", sigs),
            ("from_count", len(msg.indexes("from")))])),
    ])
    return case, msg.to_bytes()


def build_cases(origs, keys):
    cases = []
    for o in origs:
        cases.append(make_case(o, o.id, None, o.description, o.msg, base_dns(o), o.base_expected))
        if not o.mutate:
            continue
        for mutator in MUTATORS:
            for suffix, mut, desc, msg, dns, exp in mutator(o, keys):
                cases.append(make_case(o, "%s--%s" % (o.id, suffix), mut, desc, msg, dns, exp))
    ids = [c["id"] for c, _ in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    for i in ids:
        assert re.match(r"^[A-Za-z0-9._-]+$", i), i
    return cases


# --------------------------------------------------------------------------
# Self-check with dkimpy
# --------------------------------------------------------------------------

def dkimpy_verify(raw, idx, dns, when):
    def dnsfunc(name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        v = dns.get(n.rstrip("."))
        if v is None or isinstance(v, dict):
            return None
        return "".join(v).encode()
    with FixedClock(when):
        try:
            return dkim.DKIM(raw, minkey=1024).verify(idx=idx, dnsfunc=dnsfunc) is True, None
        except Exception as exc:   # dkimpy raises for syntax/key problems
            return False, "%s: %s" % (type(exc).__name__, exc)


def deviation_for(case, sig, got_pass):
    """Known ways dkimpy 1.1.4 differs from the RFC expectation."""
    exp_pass = sig["result"] == "pass"
    if got_pass and sig["reason"] == "Sha1Rejected":
        return "dkimpy 1.1.4 accepts rsa-sha1 signatures (RFC 8301 3.1: verifiers MUST NOT)"
    if got_pass and sig["reason"] == "KeyTestingMode":
        return "dkimpy 1.1.4 ignores t=y in the key record and reports the signature valid"
    if exp_pass and not got_pass and case["mutation"] == "from-dup-above":
        return ("dkimpy 1.1.4 appends an extra 'from' to h= when verifying (Debian bug "
                "#644046 hardening), so any added From breaks the signature; RFC 6376 5.4.2 "
                "bottom-up selection still signs the original From -> pass")
    return None


def self_check(cases):
    problems, deviations = [], []
    for case, raw in cases:
        devs = []
        for i, sig in enumerate(case["expected"]["signatures"]):
            ok, err = dkimpy_verify(raw, i, case["dns"], case["verify_time"])
            if ok == (sig["result"] == "pass"):
                continue
            dev = deviation_for(case, sig, ok)
            if dev:
                deviations.append((case["id"], i, dev))
                devs.append("signature %d: %s" % (i + 1, dev) if len(
                    case["expected"]["signatures"]) > 1 else dev)
            else:
                problems.append("%s sig %d: expected %s/%s, dkimpy %s %s" % (
                    case["id"], i, sig["result"], sig["reason"], "pass" if ok else "not-pass",
                    err or ""))
        if devs:
            case["dkimpy_deviation"] = "; ".join(devs)
    return problems, deviations


# --------------------------------------------------------------------------
# Second opinion: libopendkim's verifier (informational, never fatal)
# --------------------------------------------------------------------------

class OpenDKIMVerifier(object):
    """Verify with libopendkim, keys served from a DKIM_QUERY_FILE table.
    libopendkim judges x= against the wall clock (DKIM_OPTS_FIXEDTIME only
    affects signing), so its "expired" verdicts on signatures whose x= lies
    after verify_time are skipped."""
    OPTS_QUERYMETHOD, OPTS_QUERYINFO, QUERY_FILE = 6, 7, 1
    SIGFLAG_PASSED, SIGFLAG_TESTKEY, SIGBH_MISMATCH = 0x04, 0x08, 1
    ERRORS = {3: "SignatureExpired", 22: "KeyNotFound", 25: "MissingTag", 28: "SignatureInvalid",
              32: "FromNotSigned", 33: "BodyLengthExceeded", 42: "KeyRevoked",
              43: "KeyMalformed|KeyAlgorithmMismatch", 46: "KeyTooSmall"}

    def __init__(self):
        global _LIBOPENDKIM
        if _LIBOPENDKIM is None:
            _LIBOPENDKIM = LibOpenDKIM()
        self.lo = _LIBOPENDKIM
        L = self.L = self.lo.L
        vp = ctypes.c_void_p
        L.dkim_verify.restype = vp
        L.dkim_verify.argtypes = [vp, ctypes.c_char_p, vp, ctypes.POINTER(ctypes.c_int)]
        L.dkim_getsiglist.argtypes = [vp, ctypes.POINTER(ctypes.POINTER(vp)),
                                      ctypes.POINTER(ctypes.c_int)]
        L.dkim_sig_geterror.argtypes = [vp]
        L.dkim_sig_getflags.argtypes = [vp]
        L.dkim_sig_getflags.restype = ctypes.c_uint
        L.dkim_sig_getbh.argtypes = [vp]
        self.tmp = tempfile.mkdtemp(prefix="dkim-corpus-")
        self.keyfile = os.path.join(self.tmp, "keys.txt")

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def verify(self, raw, dns):
        """[(result, reason)] per signature, top first."""
        L = self.L
        with open(self.keyfile, "w") as f:
            for name, value in dns.items():
                if isinstance(value, list):
                    f.write("%s %s\n" % (name, "".join(value)))
        lib = L.dkim_init(None, None)
        try:
            flags = ctypes.c_uint(LibOpenDKIM.LIBFLAGS_FIXCRLF)
            self.lo._opt(lib, LibOpenDKIM.OPTS_FLAGS, ctypes.byref(flags), ctypes.sizeof(flags))
            qm = ctypes.c_int(self.QUERY_FILE)
            self.lo._opt(lib, self.OPTS_QUERYMETHOD, ctypes.byref(qm), ctypes.sizeof(qm))
            path = self.keyfile.encode()
            self.lo._opt(lib, self.OPTS_QUERYINFO, ctypes.c_char_p(path), len(path))
            st = ctypes.c_int()
            d = L.dkim_verify(lib, b"check", None, ctypes.byref(st))
            try:
                L.dkim_chunk(d, raw, len(raw))
                L.dkim_chunk(d, None, 0)
                L.dkim_eom(d, None)
                sigs, n = ctypes.POINTER(ctypes.c_void_p)(), ctypes.c_int()
                L.dkim_getsiglist(d, ctypes.byref(sigs), ctypes.byref(n))
                out = []
                for i in range(n.value):
                    sg = sigs[i]
                    fl, bh, err = L.dkim_sig_getflags(sg), L.dkim_sig_getbh(sg), L.dkim_sig_geterror(sg)
                    if fl & self.SIGFLAG_PASSED and bh != self.SIGBH_MISMATCH and err == 0:
                        out.append(("policy", "KeyTestingMode") if fl & self.SIGFLAG_TESTKEY
                                   else PASS)
                    elif bh == self.SIGBH_MISMATCH:
                        out.append(("fail", "BodyHashMismatch"))
                    else:
                        out.append(("error", self.ERRORS.get(err, "error-%d" % err)))
                return out
            finally:
                L.dkim_free(d)
        finally:
            L.dkim_close(lib)


def opendkim_check(cases):
    """Compare libopendkim's verdicts with the expectations; returns a Counter
    of disagreements keyed by (mutation, expected, libopendkim)."""
    v = OpenDKIMVerifier()
    agree, differ, skipped = 0, collections.Counter(), 0
    try:
        for case, raw in cases:
            got = v.verify(raw, case["dns"])
            msg = Message.parse(raw)
            parsed = [parse_sig(msg.fields[i]) for i in msg.indexes("dkim-signature")]
            for i, sig in enumerate(case["expected"]["signatures"]):
                res, reason = got[i] if i < len(got) else ("error", "no-result")
                exp = sig["reason"] or "pass"
                have = reason or "pass"
                if (have == "SignatureExpired" and parsed[i]["x"] is not None
                        and parsed[i]["x"] > case["verify_time"]):
                    skipped += 1
                    continue
                if exp in have.split("|"):
                    agree += 1
                else:
                    differ[(case["mutation"] or "(original)", exp, have)] += 1
    finally:
        v.close()
    return agree, differ, skipped


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def pkg_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], check=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
                               ).stdout.decode().strip()
    except Exception:
        return "unknown"


def summarize(cases):
    by_mut = collections.Counter()
    by_signer = collections.Counter()
    by_res = collections.Counter()
    by_reason = collections.Counter()
    for c, _ in cases:
        by_mut[c["mutation"] or "(original)"] += 1
        by_signer[c["signer"]] += 1
        for s in c["expected"]["signatures"]:
            by_res[s["result"]] += 1
            by_reason["%s/%s" % (s["result"], s["reason"] or "-")] += 1
    return by_mut, by_signer, by_res, by_reason


def table(title, counter):
    lines = ["| %s | cases |" % title, "|---|---:|"]
    for k, v in sorted(counter.items()):
        lines.append("| %s | %d |" % (k, v))
    return "\n".join(lines)


README_TEMPLATE = """# Generated DKIM corpus

Generated by `scripts/gen-dkim-corpus.py`; do not edit by hand.  Regenerate with

```
/usr/bin/python3 scripts/gen-dkim-corpus.py
```

(Debian's interpreter: dkimpy and PyNaCl are the Debian packages in
/usr/lib/python3/dist-packages; needs `python3-dkim python3-nacl opendkim-tools`,
no network access, runs in well under a minute.)

## Signers

| signer | version | used for |
|---|---|---|
| dkimpy (`python3-dkim`) | {dkimpy} | rsa-sha256, ed25519-sha256, rsa-sha1; all four c= combinations; l=; over-signing by repeating names in h= |
| libopendkim (`libopendkim11`, via ctypes) | {libopendkim} | rsa-sha256, ed25519-sha256, rsa-sha1; all four c= combinations; l= (DKIM_LIBFLAGS_SIGNLEN); x= (DKIM_OPTS_SIGNATURETTL); over-signing (DKIM_OPTS_OVERSIGNHDRS); fixed t= (DKIM_OPTS_FIXEDTIME) |
| `opendkim-testmsg` (`opendkim-tools`) | {opendkim_tools} | rsa-sha1 only |

`opendkim-testmsg` hard-codes a=rsa-sha1, c=relaxed/simple and stamps t= with the
wall clock; it has no options for algorithm, canonicalization, l=, x= or time.
So the binary signs only the `*-testmsg` rsa-sha1 cases (their per-case
`verify_time` is t= + 1 hour and changes on every regeneration), and every other
OpenDKIM signature comes from the same library the binary and the milter use,
libopendkim.so.11, called directly through ctypes with the constants of its
`dkim.h`.  Ed25519 works with libopendkim (PKCS#8 PEM key), except that
libopendkim {libopendkim} makes ed25519-sha256 signatures with *simple* header
canonicalization that neither dkimpy nor libopendkim's own verifier accepts
(rsa-sha256 with simple, and ed25519 with relaxed headers, are fine), so Ed25519
with c=simple/* is always signed by dkimpy here.  libopendkim is run with
DKIM_LIBFLAGS_FIXCRLF (as opendkim-testmsg does); without it, it refuses a
relaxed body that lacks its final CRLF.  RSA keys come from
`opendkim-genkey` (which runs `openssl genrsa`); Ed25519 seeds from `os.urandom`.
Both are created once and reused from `keys/`.

{n_orig} originals: {n_orig_py} dkimpy only, {n_orig_odk} OpenDKIM only,
{n_orig_mixed} with signatures from both.

## Files

* `cases.json` - manifest; `verify_time` {verify_time} (2026-01-01T00:00:00Z) unless the
  case says otherwise.  Each case: `id`, `base` (the unmutated original), `signer`
  (`dkimpy`, `opendkim` or `mixed` when a message carries signatures from both),
  `signer_tools`, `mutation` (null for originals), `description`, `message`,
  `dns` (name -> list of TXT strings, or `{{"nxdomain": true}}`), `verify_time`,
  `expected.signatures` (one per DKIM-Signature, top first: d, s, a, result,
  reason, signer), `expected.from_count`, and `dkimpy_deviation` where dkimpy
  disagrees with the RFC expectation.
* `messages/<id>.eml` - exact bytes, CRLF line endings.
* `keys/<selector>.private.pem` - private keys (RSA PKCS#8 from opendkim-genkey,
  Ed25519 PKCS#8); `keys/<selector>.seed.b64` - Ed25519 raw seed (dkimpy format);
  `keys/<selector>.txt` - the published TXT record.

| selector | domain | key | record |
|---|---|---|---|
{key_rows}

## What varies in the originals

* algorithm: RSA 1024 / 2048 / 4096, Ed25519; RSA 512 and 768 (policy/KeyTooSmall);
  rsa-sha1 (policy/Sha1Rejected); a t=y key (policy/KeyTestingMode); x= in the past
  (permerror/SignatureExpired).
* canonicalization: simple/simple, simple/relaxed, relaxed/simple, relaxed/relaxed,
  crossed with the algorithms (case ids: `ss`, `sr`, `rs`, `rr`).
* tags: l= (`-l`), x= after verify_time (`-x`, OpenDKIM), over-signed from and subject
  (`-os`: h= lists both one more time than they occur); t= is always {sign_time}
  (2025-12-31T00:00:00Z) except the expired and opendkim-testmsg cases.
* message shapes: {shapes}.
* two signatures on one message (`dual-*`), including mixed dkimpy/OpenDKIM,
  two d= domains, and one with an rsa-sha1 signature below a valid ed25519 one.

Every message has exactly one From, To, Subject, Date and Message-ID, and an
`X-Unsigned` field that no signature covers (except in the `*-testmsg` cases:
opendkim-testmsg signs every header field); h= always contains from and subject.

## Mutations and expectations

Each mutation is applied alone to an original whose signatures all pass; the
expected verdict follows from the mutation (rules and RFC sections are in the
generator's header comment).  For two-signature messages, key and signature
mutations hit one signature at a time (`-sig1` = top, `-sig2`).

| mutation | change | expected |
|---|---|---|
| body-byte | one letter inside the signed body changed | fail/BodyHashMismatch |
| body-append-text | letter-free body (empty/blank), a text line appended, no l= | fail/BodyHashMismatch |
| body-byte-beyond-l | text appended after the l= length | pass (fail/BodyHashMismatch for a signature without l=) |
| body-truncated-below-l | last body line removed, canonical body < l= | permerror/BodyLengthExceeded |
| signed-header-byte | a letter of Subject changed | fail/SignatureInvalid |
| unsigned-header-byte | a letter of X-Unsigned changed | pass |
| unsigned-instance-byte | the upper of two X-Tag changed, h= lists x-tag once | pass |
| from-dup-above | `From: Mallory` added as first header line | pass; fail/SignatureInvalid if h= lists from twice |
| from-dup-below | `From: Mallory` added as last header line | fail/SignatureInvalid |
| header-reorder-distinct | To and Subject swapped | pass |
| header-reorder-same-name | the two signed X-Tag fields swapped | fail/SignatureInvalid |
| key-revoked | p= emptied | permerror/KeyRevoked |
| key-swapped | p= of another key of the same type | fail/SignatureInvalid |
| key-swapped-other-type | k=ed25519 record for RSA signature or k=rsa for Ed25519 | permerror/KeyAlgorithmMismatch |
| key-truncated | p= cut to half (multiple of 4 base64 chars) | permerror/KeyMalformed |
| key-missing | NXDOMAIN | permerror/KeyNotFound |
| sig-b-corrupt | one base64 character in the middle of b= changed | fail/SignatureInvalid |
| sig-missing-bh | bh= removed | permerror/MissingTag |
| sig-h-drop-from | from removed from h= | permerror/FromNotSigned |
| sig-dup-tag | duplicate d= tag (same value) | permerror/DuplicateTag |

## Counts

{n_cases} cases.

{t_mut}

{t_signer}

Per-signature expectations:

{t_reason}

## Cross-check with dkimpy

Every signature of every case was verified with dkimpy {dkimpy} (clock at
`verify_time`, DNS from the case, minkey 1024); its pass/not-pass agrees with
`expected` except for {n_dev} signatures in {n_dev_cases} cases marked with
`dkimpy_deviation`, where the RFC expectation is kept:

{dev_summary}

## Second opinion: libopendkim's verifier

The generator also verifies every signature with libopendkim (keys from a
DKIM_QUERY_FILE table; informational, never fatal).  {odk_agree} signatures agree
on result and reason (`pass`, or the reason code; libopendkim error 43 "unable to
apply public key" counts for KeyMalformed and KeyAlgorithmMismatch; its TESTKEY
flag counts for KeyTestingMode).  libopendkim judges x= against the wall clock,
not the fixed time, which is why the non-expired x= values lie ten years ahead;
signatures whose x= is after verify_time but already past on the wall clock are
skipped ({odk_skipped} this run).  Disagreements (expected reason vs libopendkim's):
libopendkim still accepts rsa-sha1, and it does not reject a tag-list with a
duplicate tag (the signature then simply fails to verify).

{odk_table}
"""


def odk_table(differ):
    lines = ["| mutation | expected | libopendkim | signatures |", "|---|---|---|---:|"]
    for (mut, exp, have), n in sorted(differ.items()):
        lines.append("| %s | %s | %s | %d |" % (mut, exp, have, n))
    return "\n".join(lines)


def write_readme(cases, origs, keys, deviations, odk):
    by_mut, by_signer, by_res, by_reason = summarize(cases)
    key_rows = "\n".join("| %s | %s | %s | `%s` |" % (
        k.selector, k.domain, "Ed25519" if k.kind == "ed25519" else "RSA %d" % k.bits,
        re.sub(r"p=([A-Za-z0-9+/]{12})[A-Za-z0-9+/=]*", r"p=\1...", k.record))
        for k in keys.values())
    dev_kinds = collections.Counter(text for _, _, text in deviations)
    dev_summary = "\n".join("* %d signatures: %s" % (v, k)
                            for k, v in sorted(dev_kinds.items())) or "* none"
    fams = collections.Counter(signer_label(o) for o in origs)
    text = README_TEMPLATE.format(
        dkimpy=pkg_version("python3-dkim"), libopendkim=pkg_version("libopendkim11"),
        opendkim_tools=pkg_version("opendkim-tools"), verify_time=VERIFY_TIME,
        sign_time=SIGN_TIME, key_rows=key_rows, n_orig=len(origs),
        n_orig_py=fams["dkimpy"], n_orig_odk=fams["opendkim"], n_orig_mixed=fams["mixed"],
        shapes="; ".join("%s (%s)" % (s.name, s.description) for s in SHAPES),
        n_cases=len(cases), t_mut=table("mutation", by_mut), t_signer=table("signer", by_signer),
        t_reason=table("result/reason", by_reason), n_dev=len(deviations), n_dev_cases=len(set(c for c, _, _ in deviations)),
        dev_summary=dev_summary, odk_agree=odk[0], odk_skipped=odk[2],
        odk_table=odk_table(odk[1]))
    write_text(os.path.join(OUT, "README.md"), text)


def main():
    os.makedirs(OUT, exist_ok=True)
    keys = ensure_keys()
    origs = build_originals(keys)
    for o in origs:
        sign_original(o, keys)
    cases = build_cases(origs, keys)
    problems, deviations = self_check(cases)
    if problems:
        print("SELF-CHECK FAILED:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        sys.exit(1)

    if os.path.isdir(MSGDIR):
        shutil.rmtree(MSGDIR)
    os.makedirs(MSGDIR)
    for case, raw in cases:
        write_bytes(os.path.join(OUT, case["message"]), raw)
    manifest = collections.OrderedDict([
        ("generator", "scripts/gen-dkim-corpus.py"), ("verify_time", VERIFY_TIME),
        ("cases", [c for c, _ in cases])])
    write_text(os.path.join(OUT, "cases.json"), json.dumps(manifest, indent=2,
                                                          ensure_ascii=False) + "\n")
    odk = opendkim_check(cases)
    write_readme(cases, origs, keys, deviations, odk)

    by_mut, by_signer, by_res, by_reason = summarize(cases)
    print("%d cases from %d originals -> %s" % (len(cases), len(origs), os.path.relpath(OUT, ROOT)))
    for title, counter in (("mutation", by_mut), ("signer", by_signer),
                           ("per-signature result", by_res), ("result/reason", by_reason)):
        print("\n%-34s %5s" % (title, "n"))
        for k, v in sorted(counter.items()):
            print("  %-32s %5d" % (k, v))
    print("\nself-check: dkimpy agrees with every expectation except %d known deviations "
          "(%d cases carry dkimpy_deviation)" % (len(deviations),
                                                 len(set(c for c, _, _ in deviations))))
    print("libopendkim second opinion: %d signatures agree on result and reason, %d skipped "
          "(x= judged by wall clock), disagreements:" % (odk[0], odk[2]))
    for (mut, exp, have), n in sorted(odk[1].items()):
        print("  %4d  %-26s expected %-22s libopendkim %s" % (n, mut, exp, have))


if __name__ == "__main__":
    main()
