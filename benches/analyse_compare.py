#!/usr/bin/env python3
"""The analysis step of an assessment (every trainee turn) done with Python's `re`, for
comparison with `peilian analyze`.

Same rubric, same semantics as src/rubric/analyser.rs: `{name}` defines expanded as
`expand_defines` does, all patterns of one kind searched together (leftmost-first,
non-overlapping, in rule order), kinds searched separately, and a rule's `except`
patterns cancelling a hit they overlap: a hit is dropped when an exception matches,
anchored, at some position before its end and reaches past its start.

    python3 benches/analyse_compare.py CORPUS [--rubric rubrics/default.toml]
                                             [--check peilian.jsonl] [--rate]

CORPUS is a directory of transcripts (*.jsonl; the trainee text of every turn) or a
text file with one utterance per line, such as the `lines.txt` that
`PEILIAN_BENCH_CORPUS=DIR cargo bench --bench assess` writes. `--check` compares the
signals with `peilian analyze --json` output for the same lines.
"""

import argparse
import json
import pathlib
import re
import re._parser as sre_parse
import sys
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def expand_defines(pat, defines):
    """`{name}` (lowercase letters and `_`) becomes `(?:define)`; repetitions such as
    `{2}` and an escaped `\\{` stay."""
    out = []
    rest = pat
    while True:
        open_ = rest.find("{")
        if open_ < 0:
            break
        escaped = rest[:open_].endswith("\\")
        out.append(rest[:open_])
        after = rest[open_ + 1:]
        n = 0
        while n < len(after) and (after[n].islower() and after[n].isascii() or after[n] == "_"):
            n += 1
        if not escaped and n > 0 and after[n:].startswith("}"):
            name = after[:n]
            if name not in defines:
                raise ValueError(f"undefined {{{name}}} in {pat!r}")
            out.append("(?:" + defines[name] + ")")
            rest = after[n + 1:]
        else:
            out.append("{")
            rest = after
    out.append(rest)
    return "".join(out)


def to_python(pat):
    """Rust regex syntax the rubric uses that Python spells differently: `\\x{3000}`,
    and `~~` in a class, which Python reserves for set operations."""
    pat = re.sub(r"(?<!\\)~", r"\\~", pat)
    return re.sub(
        r"\\x\{([0-9A-Fa-f]+)\}",
        lambda m: "\\U%08x" % int(m.group(1), 16),
        pat,
    )


class Analyser:
    def __init__(self, rubric):
        defines = rubric.get("defines", {})
        rules = rubric["rules"]
        self.rules = rules
        by_kind = {}
        for i, rule in enumerate(rules):
            for p in rule["patterns"]:
                by_kind.setdefault(rule["kind"], []).append((i, to_python(expand_defines(p, defines))))
        # One alternation per kind; a named group per pattern tells which rule matched
        # (the outer group closes last, so it is `lastgroup`).
        self.kinds = []
        for kind, pats in by_kind.items():
            alternation = "|".join(f"(?P<p{j}>{p})" for j, (_, p) in enumerate(pats))
            self.kinds.append((kind, re.compile(alternation), [i for i, _ in pats]))
        self.excepts = [
            re.compile("|".join(f"(?:{to_python(expand_defines(e, defines))})" for e in r["except"]))
            if r.get("except")
            else None
            for r in rules
        ]
        # The longest exception match in characters: only starts this far before a
        # hit can reach it.
        self.except_len = [
            min(sre_parse.parse(ex.pattern).getwidth()[1], 1024) if ex is not None else 0
            for ex in self.excepts
        ]

    def analyse(self, text):
        out = []
        for kind, regex, rule_of in self.kinds:
            for m in regex.finditer(text):
                rule = rule_of[int(m.lastgroup[1:])]
                ex = self.excepts[rule]
                if ex is not None:
                    s, e = m.span()
                    starts = range(max(0, s - self.except_len[rule]), e)
                    if any((x := ex.match(text, t)) and x.end() > s for t in starts):
                        continue
                out.append((m.start(), kind, m.end(), rule))
        out.sort()
        return out


def corpus(path):
    p = pathlib.Path(path)
    if p.is_dir():
        lines = []
        for f in sorted(p.glob("*.jsonl")):
            for raw in f.read_text(encoding="utf-8").splitlines():
                rec = json.loads(raw)
                if rec.get("type") == "turn":
                    lines.append(rec["trainee"])
        return lines
    return p.read_text(encoding="utf-8").splitlines()


def byte_offset(text, i):
    return len(text[:i].encode("utf-8"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--rubric", default=str(ROOT / "rubrics" / "default.toml"))
    ap.add_argument("--check", metavar="PEILIAN_JSONL")
    ap.add_argument("--rate", action="store_true", help="also print rate=<utterances/s> for benches/assess.rs")
    args = ap.parse_args()

    with open(args.rubric, "rb") as f:
        rubric = tomllib.load(f)
    t0 = time.perf_counter()
    a = Analyser(rubric)
    compile_s = time.perf_counter() - t0
    lines = corpus(args.corpus)
    size = sum(len(l.encode("utf-8")) for l in lines)

    t0 = time.perf_counter()
    results = [a.analyse(l) for l in lines]
    secs = time.perf_counter() - t0
    signals = sum(len(r) for r in results)
    print(
        f"python re: {len(lines)} utterances ({size / 1e6:.1f} MB) in {secs:.2f} s: "
        f"{len(lines) / secs:,.0f} utterances/s, {size / 1e6 / secs:.2f} MB/s; "
        f"{signals} signals; rubric compiled in {compile_s * 1000:.0f} ms"
    )
    if args.rate:
        print(f"rate={len(lines) / secs}")

    if args.check:
        differ = 0
        with open(args.check, encoding="utf-8") as f:
            for n, (raw, text, mine) in enumerate(zip(f, lines, results), 1):
                theirs = json.loads(raw)
                want = sorted((s["start"], s["kind"], s["end"], s["rule"]) for s in theirs["signals"])
                got = sorted(
                    (byte_offset(text, s), k, byte_offset(text, e), a.rules[r]["id"])
                    for s, k, e, r in mine
                )
                if want != got:
                    differ += 1
                    if differ <= 5:
                        print(f"line {n}: {text}\n  peilian {want}\n  python  {got}", file=sys.stderr)
        print(f"check: {differ} of {len(lines)} lines differ from peilian")


if __name__ == "__main__":
    main()
