"""A structure-blind mutator for text formats, deterministic for a given ``random.Random``.

It does to a seed what the hardening review did by hand (issue 15): byte flips, truncation,
duplication of a chunk (up to the size limit), huge numbers, Unicode digits and separators,
control characters, deep nesting, the words that change a reader's path (``include``, anchors
and aliases, ``ccsec-meta``), and splices of two seeds.  Used by the short fuzz budget of
``make test`` (``test_fuzz.py``) and, mixed with libFuzzer's own mutations, by ``make fuzz``.
"""

from __future__ import annotations

import random


def _bytes(*items: bytes | str) -> tuple[bytes, ...]:
    return tuple(t if isinstance(t, bytes) else t.encode() for t in items)


#: numbers that have broken (or could break) a reader: too long, out of range, not finite,
#: Unicode digits that pass str.isdigit, underscores with no digit left
NUMBERS = _bytes(
    b"9" * 5000, b"9" * 400, b"1e999", b"-1e999", b"1e-999", b"nan", b"inf", b"-0", b"0",
    b"-1", b"4294967296", b"18446744073709551616", b"65536", b"99999999999999999999",
    b"0x_", b"._", b"0o", b"1_", b"+.", b"1e", b".inf", "①", "²", "٣", "𝟗")
#: values and words that have broken (or could break) a reader
TOKENS: tuple[bytes, ...] = NUMBERS + _bytes(
    "\u00a0", "\u2028", "\u2029", "\u202e", "\u200b", "\ufeff",
    b"\x00", b"\x1b[31m", b"\x07", b"\r", b"\r\n", b"\n", b"\t", b"\x7f", b"\x85",
    b"\xff", b"\xc3", b"\xff\xfe", b"\xef\xbb\xbf",
    b"{" * 300, b"[" * 300, b"(" * 300, b"}" * 50, b"]" * 50, b"{{" * 200,
    b'"', b"'", b"\\", b"$", b"^", b"*", b"?", b"%", b"|", b";", b":", b",", b"=", b"#", b"!",
    b"&", b"<", b">", b"/", b"-", b"_", b"..", b"../", b"*/..",
    b"include ", b"include\n", b"include /dev/zero\n", b"include /etc/passwd\n",
    b"include **\n", b"include " + b"a" * 300 + b"\n", b"include *\n", b"include .\n",
    b"include config\n", b"include conf.d/*.conf\n",
    b"&a ", b"*a", b"&a [*a]", b"<<: *a\n", b"!!python/object:os.system ", b"!!binary ",
    b"%YAML 1.2\n---\n", b"---\n", b"...\n", b"? ", b"- ", b": ",
    b"0x41424344", b"0s", b"0sQUJDRA==",
    b"255.255.255.255", b"0.0.0.0/0", b"10.1.1.1", b"/33", b"/-1", b"300.1.1.1",
    b"::1", b"fe80::1%eth0",
    b"! ccsec-meta: ", b"# ccsec-meta: ", b'{"name": "a b"}', b'{"name": 1e999}',
    b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>", b"&a;", b"<![CDATA[", b"-->",
    b"crypto isakmp policy 10\n x", b"crypto map m 1 ipsec-isakmp\n", b"interface Tunnel0\n",
    b"connections {", b"secrets {", b"conn a\n", b"also=a\n",
    b"New-NetIPsecRule ", b"-DisplayName ", b"`", b"@'\n", b"'@", b"$(", b"@(",
    b"netsh ipsec static add ", b"Policy Group Name:", b"(PDH-CSV 4.0) (UTC)(0)",
    b"\"Id\",\"Message\"", b"#TYPE ", b"[IKE]", b"charon: ", b"<Event>", b"ScanScheduleTime",
)


def _line_starts(data: bytes) -> list[int]:
    out = [0]
    pos = data.find(b"\n")
    while pos != -1 and len(out) < 4096:
        out.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    return out


def _one(data: bytes, rng: random.Random, other: bytes, max_len: int) -> bytes:
    n = len(data)
    op = rng.randrange(12)
    pos = rng.randrange(n + 1)
    if op == 0 and n:  # flip a bit
        i = rng.randrange(n)
        return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]
    if op == 1 and n:  # set a byte
        i = rng.randrange(n)
        return data[:i] + bytes([rng.choice((0, 9, 10, 13, 27, 34, 39, 92, 127, 128, 255,
                                             rng.randrange(256)))]) + data[i + 1:]
    if op == 2:  # insert a token anywhere
        return data[:pos] + rng.choice(TOKENS) + data[pos:]
    if op == 3:  # insert a token at a line start
        at = rng.choice(_line_starts(data))
        return data[:at] + rng.choice(TOKENS) + data[at:]
    if op == 4 and n:  # delete a range
        end = min(n, pos + rng.randrange(1, 64 if rng.random() < 0.8 else n + 1))
        return data[:pos] + data[end:]
    if op == 5 and n:  # duplicate a chunk, once or many times
        start = rng.randrange(n)
        chunk = data[start:start + rng.randrange(1, 256)]
        times = 1 if rng.random() < 0.7 else rng.randrange(2, 2000)
        return data[:pos] + chunk * times + data[pos:]
    if op == 6:  # truncate
        return data[:pos]
    if op == 7 and other:  # splice with another seed
        return data[:pos] + other[rng.randrange(len(other) + 1):]
    if op == 8:  # replace a number by a hostile one
        digits = [i for i in range(max(0, pos - 200), min(n, pos + 200)) if 48 <= data[i] <= 57]
        if digits:
            i = rng.choice(digits)
            j = i
            while j < n and 48 <= data[j] <= 57:
                j += 1
            return data[:i] + rng.choice(NUMBERS) + data[j:]
    if op == 9 and n:  # duplicate or swap lines
        lines = data.split(b"\n")
        a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
        if rng.random() < 0.5:
            lines.insert(b, lines[a])
        else:
            lines[a], lines[b] = lines[b], lines[a]
        return b"\n".join(lines)
    if op == 10:  # a token repeated: nesting, long names, many items
        return data[:pos] + rng.choice(TOKENS) * rng.randrange(2, 5000) + data[pos:]
    # op 11 (and any op that did not apply): a random run of bytes
    return data[:pos] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16))) + \
        data[pos:]


def mutate(seed: bytes, rng: random.Random, others: tuple[bytes, ...] = (),
           max_len: int = 256 * 1024) -> bytes:
    """One mutant of ``seed``: one to four operations, at most ``max_len`` bytes."""
    data = seed
    for _ in range(1 + int(rng.expovariate(1.0)) % 4):
        other = rng.choice(others) if others else b""
        data = _one(data, rng, other, max_len)
        if len(data) > max_len:
            data = data[:max_len]
    return data
