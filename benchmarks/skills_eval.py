"""Skills extraction: SkillSpan dev precision/recall, speed and top skills on Ashby postings.

    .venv/bin/python benchmarks/skills_eval.py [--data ../shared/data]

SkillSpan (NAACL 2022) tags skill and knowledge spans in posting sentences (BIO). A predicted
span is scored against the union of both layers: "exact" needs the same token boundaries,
"overlap" any shared token. Dictionary matching finds names of tools and fields, not the long
verb phrases annotated as skills ("work in large collaborative teams"), so recall is limited
by design; precision is the figure we care about.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hirehound.skills import SkillExtractor  # noqa: E402
from hirehound.skills._matcher import find  # noqa: E402


def bio_spans(tags: list[str]) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    start = None
    for i, tag in enumerate([*tags, "O"]):
        if tag.startswith("I") and start is not None:
            continue
        if start is not None:
            out.add((start, i))
            start = None
        if tag.startswith("B"):
            start = i
    return out


def skillspan_eval(ex: SkillExtractor, path: Path) -> None:
    tp_exact = tp_overlap = n_pred = n_gold = gold_hit = 0
    by_source: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for line in path.open(encoding="utf-8"):
        row = json.loads(line)
        toks: list[str] = row["tokens"]
        gold = bio_spans(row["tags_skill"]) | bio_spans(row["tags_knowledge"])
        # token offsets in the joined sentence
        starts, pos = [], 0
        for t in toks:
            starts.append(pos)
            pos += len(t) + 1
        text = " ".join(toks)
        ends = [s + len(t) for s, t in zip(starts, toks, strict=True)]
        pred: set[tuple[int, int]] = set()
        for s, e, _idx in find(ex._automaton, text):  # spans, not just skill ids
            ts = max(i for i, st in enumerate(starts) if st <= s)
            te = min(i for i, en in enumerate(ends) if en >= e) + 1
            pred.add((ts, te))
        n_pred += len(pred)
        n_gold += len(gold)
        tp_exact += len(pred & gold)
        gold_tokens = {i for a, b in gold for i in range(a, b)}
        ok = sum(1 for a, b in pred if gold_tokens & set(range(a, b)))
        tp_overlap += ok
        gold_hit += sum(1 for a, b in gold if any(a < pe and ps < b for ps, pe in pred))
        src = by_source[row["source"]]
        src[0] += len(pred)
        src[1] += ok
        src[2] += len(gold)

    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    pe, re_ = tp_exact / max(n_pred, 1), tp_exact / max(n_gold, 1)
    po, ro = tp_overlap / max(n_pred, 1), gold_hit / max(n_gold, 1)
    print(f"SkillSpan dev: {n_gold} gold spans (skill+knowledge), {n_pred} predicted")
    print(f"  exact   precision={pe:.3f} recall={re_:.3f} f1={f1(pe, re_):.3f}")
    print(f"  overlap precision={po:.3f} recall={ro:.3f} f1={f1(po, ro):.3f}")
    for name, (np_, ok, ng) in sorted(by_source.items()):
        print(f"  source={name}: predicted={np_} overlap_precision={ok / max(np_, 1):.3f} "
              f"gold={ng}")


def ashby_eval(ex: SkillExtractor, folder: Path) -> None:
    postings: list[tuple[str, str]] = []
    for f in sorted(folder.glob("*.json.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for job in json.load(fh).get("jobs", []):
                postings.append((job.get("title") or "", job.get("descriptionPlain") or ""))
    counts: collections.Counter[str] = collections.Counter()
    per: list[float] = []
    n_skills: list[int] = []
    for title, text in postings:
        t0 = time.perf_counter()
        skills = ex.extract(text, title=title)
        per.append((time.perf_counter() - t0) * 1000)
        n_skills.append(len(skills))
        counts.update(f"{s.name} [{s.category}]" for s in skills)
    per.sort()
    chars = statistics.median(len(t) for _, t in postings)
    print(f"Ashby: {len(postings)} postings (median {chars:.0f} chars): "
          f"median {statistics.median(per):.3f} ms, p95 {per[int(len(per) * 0.95)]:.3f} ms, "
          f"mean {statistics.fmean(per):.3f} ms per posting; "
          f"skills per posting median {statistics.median(n_skills):.0f}, "
          f"none found in {sum(1 for n in n_skills if n == 0)}")
    print("Top 30 skills (postings mentioning them):")
    for name, n in counts.most_common(30):
        print(f"  {n:5d}  {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    t0 = time.perf_counter()
    ex = SkillExtractor.load()
    load_s = time.perf_counter() - t0
    print(f"taxonomy: {len(ex.all_skills())} skills, load {load_s * 1000:.0f} ms")
    skillspan_eval(ex, args.data / "skills" / "skillspan" / "dev.json")
    ashby_eval(ex, args.data / "postings" / "ashby")


if __name__ == "__main__":
    main()
