"""Build the shipped skills taxonomy, hirehound/skills/data/skills.tsv.gz.

    .venv/bin/python scripts/build_skills.py [--data ../shared/data] [--out PATH]

Inputs (see hirehound/skills/data/README.md for licenses):
- Stack Overflow tags with question counts (technology; the bulk of the taxonomy),
- O*NET Technology Skills flagged Hot Technology or In Demand (technology),
- ESCO skills (knowledge, skills, soft skills and languages; pruned hard).

Precision first. A single English-looking word is kept only when real postings write it like a
name: case statistics come from the Ashby postings and the SkillSpan *train* split (the dev
split is left for evaluation). Words postings mostly write in lowercase ("design", "testing",
"cloud") are dropped, or kept case-sensitively with a context rule when curated below ("Go",
"R", "Swift").
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ahocorasick  # noqa: E402

from hirehound.skills._matcher import normalize  # noqa: E402

SO_MIN_COUNT = 1000  # questions; 4,871 tags qualify
SO_MIN_COUNT_UNSEEN_WORD = 50000  # single words never seen in postings need a big tag
MAX_LOWER_SHARE = 0.25  # a single word written in lowercase more often than this is English
# Tags that pass the tests above but are, in postings, English or a name: "rest assured",
# "iterable" (a marketing product, and a word), "Jackson" (a surname and a city). Found in the
# demo's top skills; the library meanings are rare in postings.
SO_DROP = {"rest-assured", "iterable", "jackson"}

# Curated technology entries: canonical name -> (SO tag or None, extra forms).
# "i:" forms are case-insensitive, "s:" case-sensitive, "c:" case-sensitive + context.
CURATED: dict[str, tuple[str | None, list[str]]] = {
    "React": ("reactjs", ["i:react", "i:reactjs", "i:react.js"]),
    "React Native": ("react-native", ["i:react native"]),
    "Node.js": ("node.js", ["i:node.js", "i:nodejs", "i:node js"]),
    "Next.js": ("next.js", ["i:next.js", "i:nextjs"]),
    "Vue.js": ("vue.js", ["i:vue.js", "i:vuejs", "i:vue"]),
    "Angular": ("angular", ["i:angular", "i:angularjs", "i:angular.js"]),
    "Express": ("express", ["i:express.js", "i:expressjs"]),
    "Go": ("go", ["c:Go", "i:golang"]),
    "R": ("r", ["c:R", "i:rstudio", "i:r programming"]),
    "C": ("c", ["c:C"]),
    "C++": ("c++", ["i:c++", "i:cpp"]),
    "C#": ("c#", ["i:c#", "i:c sharp"]),
    ".NET": (".net", ["i:.net", "i:dotnet", "i:.net core"]),
    "Swift": ("swift", ["c:Swift", "i:swiftui"]),
    "Rust": ("rust", ["s:Rust", "i:rustlang"]),
    "Ruby": ("ruby", ["s:Ruby"]),
    "Spring": ("spring", ["c:Spring", "i:spring framework"]),
    "Spring Boot": ("spring-boot", ["i:spring boot"]),
    "REST APIs": ("rest", ["s:REST", "i:restful", "i:rest api", "i:rest apis", "i:restful apis"]),
    "Microsoft Excel": ("excel", ["i:microsoft excel", "i:ms excel", "c:Excel"]),
    "PostgreSQL": ("postgresql", ["i:postgresql", "i:postgres", "i:psql"]),
    "Kubernetes": ("kubernetes", ["i:kubernetes", "i:k8s"]),
    "Amazon Web Services": ("amazon-web-services", ["i:aws", "i:amazon web services"]),
    "Google Cloud Platform": ("google-cloud-platform", ["i:gcp", "i:google cloud platform",
                                                       "i:google cloud"]),
    "Microsoft Azure": ("azure", ["i:azure", "i:microsoft azure"]),
    "JavaScript": ("javascript", ["i:javascript", "i:js"]),
    "TypeScript": ("typescript", ["i:typescript"]),
    "CI/CD": (None, ["i:ci/cd", "i:ci cd", "i:continuous integration",
                     "i:continuous delivery", "i:continuous deployment"]),
    "Machine Learning": ("machine-learning", ["i:machine learning", "s:ML"]),
    "Deep Learning": ("deep-learning", ["i:deep learning"]),
    "Natural Language Processing": ("nlp", ["i:natural language processing", "s:NLP"]),
    "Large Language Models": ("large-language-model", ["i:large language models",
                                                       "i:large language model", "s:LLM",
                                                       "s:LLMs"]),
    "Artificial Intelligence": ("artificial-intelligence", ["i:artificial intelligence"]),
    "Computer Vision": ("computer-vision", ["i:computer vision"]),
    "Terraform": ("terraform", ["i:terraform"]),
    "Unix": ("unix", ["s:Unix", "s:UNIX"]),
    "Shell scripting": ("shell", ["i:shell scripting", "i:shell scripts"]),
    "Apache Spark": ("apache-spark", ["i:spark", "i:apache spark", "i:pyspark"]),
    "Apache Kafka": ("apache-kafka", ["i:kafka", "i:apache kafka"]),
    "Apache Airflow": ("airflow", ["i:airflow", "i:apache airflow"]),
    "dbt": ("dbt", ["i:dbt"]),
    "Salesforce": ("salesforce", ["i:salesforce"]),
    "HubSpot": ("hubspot", ["i:hubspot"]),
    "Figma": ("figma", ["i:figma"]),
    "Jira": ("jira", ["i:jira", "i:atlassian jira"]),
    "Git": ("git", ["s:Git", "s:GIT", "i:github", "i:gitlab"]),
    "Objective-C": ("objective-c", ["i:objective c"]),
    "Scala": ("scala", ["s:Scala"]),
    "Dart": ("dart", ["c:Dart"]),
    "Flutter": ("flutter", ["s:Flutter"]),
    "Elixir": ("elixir", ["c:Elixir"]),
    "Julia": ("julia", ["c:Julia"]),
    "Haskell": ("haskell", ["i:haskell"]),
    "Perl": ("perl", ["s:Perl"]),
    "Lua": ("lua", ["s:Lua"]),
    "Solidity": ("solidity", ["s:Solidity"]),
    "Snowflake": ("snowflake-cloud-data-platform", ["s:Snowflake"]),
    "Redis": ("redis", ["i:redis"]),
    "Linux": ("linux", ["i:linux"]),
    "Tableau": ("tableau-api", ["i:tableau"]),
    "Power BI": ("powerbi", ["i:power bi", "i:powerbi"]),
    "Looker": ("looker", ["s:Looker"]),
    "SQL": ("sql", ["i:sql"]),
    "NoSQL": ("nosql", ["i:nosql"]),
    "GraphQL": ("graphql", ["i:graphql"]),
    "gRPC": ("grpc", ["i:grpc"]),
    "Microservices": ("microservices", ["i:microservices", "i:microservice architecture"]),
    "Docker": ("docker", ["i:docker"]),
    "Python": ("python", ["i:python"]),
    "Java": ("java", ["i:java"]),
    "Kotlin": ("kotlin", ["i:kotlin"]),
    "PHP": ("php", ["i:php"]),
    "HTML": ("html", ["i:html", "i:html5"]),
    "CSS": ("css", ["i:css", "i:css3"]),
    "iOS": ("ios", ["i:ios"]),
    "Android": ("android", ["s:Android"]),
    "Agile": ("agile", ["s:Agile", "i:agile methodologies", "i:agile development"]),
    "Scrum": ("scrum", ["s:Scrum", "s:SCRUM"]),
    "Test-driven development": ("tdd", ["i:tdd", "i:test driven development"]),
    "Data Science": (None, ["i:data science"]),
    "Data Engineering": (None, ["i:data engineering"]),
    "Data Analysis": ("data-analysis", ["i:data analysis", "i:data analytics"]),
    "Generative AI": (None, ["i:generative ai", "i:genai", "i:gen ai"]),
    "PyTorch": ("pytorch", ["i:pytorch"]),
    "TensorFlow": ("tensorflow", ["i:tensorflow"]),
    "Pandas": ("pandas", ["s:Pandas", "s:pandas"]),
    "NumPy": ("numpy", ["i:numpy"]),
    "Bash": ("bash", ["s:Bash", "i:bash scripting"]),
    "Jenkins": ("jenkins", ["s:Jenkins"]),
    "Ansible": ("ansible", ["i:ansible"]),
    "Elasticsearch": ("elasticsearch", ["i:elasticsearch", "i:elastic search"]),
    "MongoDB": ("mongodb", ["i:mongodb", "i:mongo"]),
    "MySQL": ("mysql", ["i:mysql"]),
    "BigQuery": ("google-bigquery", ["i:bigquery", "i:big query"]),
}

# Single-word SO tags or forms that look technical but are English in postings, dropped even
# when cased ("Security", "Design" are title words), plus generic phrases.
DROP_FORMS = {
    "api", "apis", "database", "design", "testing", "security", "performance", "cloud",
    "web", "mobile", "automation", "analytics", "deployment", "networking", "monitoring",
    "logging", "email", "login", "search", "video", "audio", "image", "charts", "maps",
    "events", "file", "forms", "server", "client", "hardware", "ui", "ux", "sdk", "cli",
    "frameworks", "architecture", "debugging", "encryption", "authentication", "oauth 2.0",
    "scripting", "statistics", "optimization", "integration", "mathematics", "math",
    "payment", "payments", "e commerce", "ecommerce", "blockchain", "product", "marketing",
    "shopify", "office", "word", "outlook", "teams", "slack", "notion", "access", "project",
    "visio", "sharepoint", "internet", "browser", "windows", "mac", "macos", "keyboard",
    "cryptography", "ocr", "seo", "crm", "erp", "etl", "pdf", "csv", "json", "xml",
    "unit testing", "web services", "user interface", "data structures", "version control",
    "object oriented programming", "oop", "devops", "backend", "frontend", "full stack",
    "cross platform", "real time", "open source", "command line", "machine learning",
    "github actions", "amazon", "google", "microsoft", "facebook", "apple", "twitter",
    "linkedin", "instagram", "youtube", "whatsapp", "telegram", "salesforce", "oracle",
    "sap", "ibm", "cisco", "adobe", "autodesk", "rest", "go", "r", "c", "swift", "spring",
    "express", "excel", "ruby", "rust", "dart", "julia", "elixir", "scala", "flutter",
    "unix", "git", "pandas", "bash", "jenkins", "snowflake", "looker", "agile", "scrum",
    "android", "perl", "lua", "solidity", "saas", "ml", "nlp", "llm", "ai", "bi", "ios",
    "max", "spss", "sas", "stata", "matlab", "latex", "tex", "vba", "delphi", "ada",
    "pascal", "fortran", "cobol", "assembly", "prolog", "lisp", "scheme", "racket",
    "clojure", "groovy", "crystal", "nim", "zig", "elm", "d", "f#", "q", "k", "j", "v",
    "controller", "workday", "lambda", "eclipse", "summary", "productivity",
    "swing", "url", "hash", "shiny", "mono", "fetch", "zip", "hex", "echo", "heap", "std", "var",
    "nav", "utc", "ram", "mvp", "meta", "boot", "salt", "nat", "dst", "angle", "gps", "sms",
    "dos", "wifi", "gmail", "yahoo", "ads", "gem", "sed", "dao", "dom", "cmd", "blade", "expo",
    "ipad", "amd", "apex", "chai", "cocoa", "razor", "maven", "hive", "nexus", "dojo", "sip",
    "acl", "mips", "spi", "lan", "cpu", "gpu", "aes", "dll", "rss", "ide", "vim", "awk",
    "emr", "curl", "crud", "soap", "vps", "dsl", "cdi", "dax", "rdf", "rtp", "cvs", "tfs",
}
# CURATED entries are claimed first, so a word here can still ship through CURATED with a
# case or context rule ("Go", "Excel"); the rest are absent. Some are real skills but collide
# with English or with company names postings mention as employers or customers ("Oracle").

# O*NET vendor prefixes stripped to make a short form ("Atlassian Confluence" -> "Confluence").
VENDORS = ("Microsoft ", "Atlassian ", "Oracle ", "Amazon ", "Google ", "Apache ", "Adobe ",
           "IBM ", "SAP ", "Autodesk ", "Apple ", "Cisco ", "Dassault Systemes ", "ESRI ",
           "Bentley ", "Eclipse ", "Epic Systems ", "The MathWorks ", "Salesforce ")

# Soft skills and transversal knowledge: display name, forms, ESCO label prefix to attach the
# ESCO id (None: no good ESCO concept). Phrases only: "communication" alone is everywhere.
SOFT: list[tuple[str, list[str], str | None, str]] = [
    ("Communication skills", ["communication skills", "verbal and written communication",
                              "written and verbal communication", "excellent communicator"],
     "communication conversation", "soft"),
    ("Interpersonal skills", ["interpersonal skills"], None, "soft"),
    ("Problem solving", ["problem solving", "problem solver", "solve problems"],
     "solve problems", "soft"),
    ("Teamwork", ["teamwork", "team player"], "teamwork principles", "soft"),
    ("Leadership", ["leadership skills", "people leadership", "team leadership"],
     None, "soft"),
    ("Time management", ["time management"], "manage time", "soft"),
    ("Attention to detail", ["attention to detail", "detail oriented"], None, "soft"),
    ("Critical thinking", ["critical thinking"], None, "soft"),
    ("Stakeholder management", ["stakeholder management"], None, "soft"),
    ("Mentoring", ["mentoring", "mentorship"], None, "soft"),
    ("Negotiation", ["negotiation skills"], None, "soft"),
    ("Presentation skills", ["presentation skills", "public speaking"], None, "soft"),
    ("Work independently", ["work independently", "working independently"],
     "work independently", "soft"),
    ("Self-motivation", ["self starter", "self motivated"], None, "soft"),
    ("Project management", ["project management"], "project management programme", "knowledge"),
    ("Product management", ["product management"], None, "knowledge"),
    ("Customer service", ["customer service"], "customer service", "knowledge"),
    ("Computer science", ["computer science"], "computer science", "knowledge"),
    ("Chemistry", ["chemistry"], "chemistry", "knowledge"),
]
LANGUAGES = ["English", "German", "French", "Spanish", "Italian", "Dutch", "Portuguese",
             "Japanese", "Mandarin", "Hebrew", "Arabic", "Polish", "Swedish", "Danish"]
# Single-word ESCO knowledge labels worth keeping (domain knowledge with little ambiguity).
ESCO_SINGLE_WORDS = {"biotechnology", "genomics", "bioinformatics", "chemistry", "accounting",
                     "bookkeeping", "pharmacology", "epidemiology", "econometrics",
                     "cybersecurity", "proteomics", "immunology", "toxicology", "underwriting"}
# ESCO multi-word prefixes that survive the corpus test yet are not skills.
ESCO_DROP = {"full time", "real estate", "financial services", "health care", "new business",
             "public health", "customer success", "supply chain", "life sciences", "in house",
             "agile project", "international regulations", "learning needs", "special needs",
             "trade union", "global standards", "link between", "hybrid model",
             "application process", "answer questions", "sales department", "legal department",
             "office furniture", "office equipment", "product usage", "international financial",
             "electrical power", "mobile device", "search engines", "first response",
             "company policies", "management systems", "data models", "healthcare data",
             "product data", "administrative tasks", "human resource", "manufacturing process",
             "sales activities", "software components", "legal requirements", "digital identity",
             "security requirements", "quality standards", "engineering processes",
             "test procedures", "interactive media", "defense system", "market entry",
             "data storage", "design principles", "engineering principles", "personal development",
             "financial products", "customer insight", "core banking", "open source"}

FUNCTION_WORDS = {"a", "an", "the", "to", "of", "for", "in", "on", "with", "as", "and", "or", "up",
                  "your", "new", "at", "by", "from", "into", "out", "this", "that", "their", "its",
                  "our", "all", "be", "is", "are", "about", "under", "over", "within", "per"}
ESCO_MIN_SEEN = 5  # postings must use an ESCO label at least this often to ship it

VERSION_TAG = re.compile(r"(?:[-.]?\d+(?:\.\d+)*(?:\.x)?|-\d+\.?x?)$")
KEEP_VERSIONED = {"html5", "css3", "d3.js", "amazon-s3", "amazon-ec2", "web3", "three.js",
                  "x86", "32-bit", "64-bit", "ipv6", "oauth-2.0", "python-3.x"}


@dataclass
class Entry:
    id: str
    name: str
    category: str
    sources: list[str]
    forms: dict[str, str] = field(default_factory=dict)  # normalized key -> "k:form"
    weight: int = 0


def load_corpus(data: Path) -> str:
    """Posting text for case statistics: Ashby descriptions and SkillSpan train sentences."""
    parts: list[str] = []
    for f in sorted((data / "postings" / "ashby").glob("*.json.gz")):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for job in json.load(fh).get("jobs", []):
                parts.append(job.get("title") or "")
                parts.append(job.get("descriptionPlain") or "")
    with open(data / "skills" / "skillspan" / "train.json", encoding="utf-8") as fh:
        for line in fh:
            parts.append(" ".join(json.loads(line)["tokens"]))
    return "\n".join(parts)


def load_train_spans(data: Path) -> set[str]:
    """Normalized skill and knowledge spans annotated in SkillSpan train (not dev)."""
    out: set[str] = set()
    with open(data / "skills" / "skillspan" / "train.json", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            toks = row["tokens"]
            for col in ("tags_skill", "tags_knowledge"):
                cur: list[str] = []
                for tok, tag in [*zip(toks, row[col], strict=True), ("", "O")]:
                    if tag.startswith("I") and cur:
                        cur.append(tok)
                        continue
                    if cur:
                        out.add(normalize(" ".join(cur)))
                    cur = [tok] if tag.startswith("B") else []
    return out


def case_stats(corpus: str, keys: set[str]) -> dict[str, collections.Counter[str]]:
    """For each normalized key: how often each original spelling occurs as its own token."""
    auto = ahocorasick.Automaton()
    for k in keys:
        auto.add_word(k, k)
    auto.make_automaton()
    norm = normalize(corpus)
    stats: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    n = len(norm)
    for last, key in auto.iter(norm):
        end = last + 1
        start = end - len(key)
        if start > 0 and (norm[start - 1].isalnum() or norm[start - 1] in ".#+"):
            continue
        if end < n and (norm[end].isalnum() or norm[end] in "+#"):
            continue
        if end < n - 1 and norm[end] == "." and norm[end + 1].isalnum():
            continue
        stats[key][corpus[start:end]] += 1
    return stats


def label_fit(words: list[str], n: int) -> int:
    """How likely ``words[:n]`` is a whole ESCO preferred label rather than a cut-off one.

    2: the definition (or a capitalized alternative) follows; 1: the next label repeats one of
    its words ("teamwork principles teamwork approaches"); 0: unclear; -1: cut mid-phrase
    ("solve problems | in gambling").
    """
    if n >= len(words):
        return -1
    nxt = words[n]
    if nxt.lower() in FUNCTION_WORDS or nxt.startswith("("):
        return -1
    if nxt[0].isupper():
        return 2
    if nxt.lower() in {w.lower() for w in words[:n]}:
        return 1
    return 0


def is_plain_word(form: str) -> bool:
    return bool(re.fullmatch(r"[a-z]+", form))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path,
                    default=ROOT / "hirehound" / "skills" / "data" / "skills.tsv.gz")
    args = ap.parse_args()
    sk = args.data / "skills"

    corpus = load_corpus(args.data)

    # ---- candidates -------------------------------------------------------------------
    so_rows = []
    with open(sk / "stackoverflow_tags.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            count = int(r["Count"])
            tag = r["TagName"]
            if count < SO_MIN_COUNT or tag in SO_DROP:
                continue
            if VERSION_TAG.search(tag) and tag not in KEEP_VERSIONED:
                continue
            so_rows.append((tag, count))
    so_count = dict(so_rows)

    onet: dict[str, str] = {}  # name -> flags
    with open(sk / "onet_technology_skills.txt", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["Hot Technology"] == "Y" or r["In Demand"] == "Y":
                onet[r["Example"]] = "hot"

    esco_rows: list[tuple[str, str]] = []
    with open(sk / "esco_skills.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            esco_rows.append((r["id"].rsplit("/", 1)[-1], r["description"]))

    # ESCO labels arrive concatenated with no separator ("machine learning unsupervised
    # learning supervised learning ML ... The principles, ..."), so alternative labels cannot be
    # split reliably. Candidate preferred labels are the 1-4 word prefixes; the longest one that
    # real postings use (corpus count, decided below) wins. Verb phrases ("negotiate ...") must
    # also be annotated spans in SkillSpan train.
    esco_cands: dict[str, list[tuple[str, str, str, int]]] = {}  # uuid -> [(key, label, cat, n)]
    for uuid, desc in esco_rows:
        words = desc.split()
        category = "knowledge" if re.search(r" The [a-z]", desc) else "skill"
        for n in range(1, 5):
            label = " ".join(words[:n])
            key = normalize(label)
            if n == 1 and key not in ESCO_SINGLE_WORDS:
                continue
            if not re.fullmatch(r"[a-z][a-z ]*[a-z]", key) or key in ESCO_DROP:
                continue
            if words[n - 1].lower() in FUNCTION_WORDS or words[0].lower() in FUNCTION_WORDS:
                continue
            if label_fit(words, n) < 1:
                continue
            esco_cands.setdefault(uuid, []).append((key, label, category, n))
    train_spans = load_train_spans(args.data)

    # ---- case statistics over every candidate key --------------------------------------
    keys: set[str] = set()
    for tag, _ in so_rows:
        keys.add(normalize(tag))
    for name in onet:
        keys.add(normalize(name))
        for w in (name.split(" ", 1)[-1], name.rsplit(" ", 1)[-1],
                  re.sub(r"\s+(?:software|systems)$", "", name).split(" ", 1)[-1]):
            keys.add(normalize(w))
    keys |= {c[0] for cands in esco_cands.values() for c in cands}
    stats = case_stats(corpus, keys)
    print(f"corpus {len(corpus) / 1e6:.1f} M chars, {len(keys)} candidate keys", file=sys.stderr)

    def best_spelling(key: str) -> str | None:
        c = stats.get(key)
        if not c:
            return None
        cased = [(n, s) for s, n in c.items() if s != s.lower()]
        return max(cased)[1] if cased else None

    def lower_share(key: str) -> tuple[int, float]:
        """(occurrences, share written in lowercase); ALL-CAPS headings ("SUMMARY") and
        spellings never used mid-sentence don't count as evidence of a name."""
        c = stats.get(key)
        if not c:
            return 0, 0.0
        informative = {s: n for s, n in c.items() if not (s.isupper() and len(s) > 4)}
        total = sum(informative.values())
        if not total:
            return 0, 0.0
        return total, informative.get(key, 0) / total

    entries: list[Entry] = []
    claimed: dict[str, Entry] = {}

    def claim(entry: Entry, kind: str, form: str) -> None:
        key = normalize(form)
        if not key.strip():
            return
        owner = claimed.get(key)
        if owner is not None and owner is not entry:
            return
        claimed[key] = entry
        entry.forms.setdefault(key, f"{kind}:{form}")

    # 1. curated technology
    for name, (tag, forms) in CURATED.items():
        sid = f"so:{tag}" if tag else "hh:" + re.sub(r"[^a-z0-9+#.]+", "-", name.lower())
        e = Entry(sid, name, "technology", ["stackoverflow"] if tag else ["hirehound"],
                  weight=so_count.get(tag or "", 0))
        entries.append(e)
        for f in forms:
            claim(e, f[0], f[2:])
        if tag:
            claimed.setdefault(normalize(tag), e)

    # 2. soft skills and languages (curated, tied to ESCO ids where ESCO has the concept)
    def esco_id(prefix: str | None) -> str | None:
        """The ESCO concept whose preferred label is ``prefix`` (case-sensitive), if any."""
        if not prefix:
            return None
        n = len(prefix.split())
        fits = [(label_fit(d.split(), n), u) for u, d in esco_rows
                if d.startswith(prefix + " ")]
        fits = [f for f in fits if f[0] >= 0]  # curated prefixes: only reject cut-offs
        return max(fits)[1] if fits else None

    for name, forms, prefix, category in SOFT:
        uuid = esco_id(prefix)
        sid = f"esco:{uuid}" if uuid else "hh:" + re.sub(r"[^a-z0-9]+", "-", name.lower())
        e = Entry(sid, name, category, ["esco"] if uuid else ["hirehound"])
        entries.append(e)
        for f in forms:
            claim(e, "i", f)
    for lang in LANGUAGES:
        uuid = esco_id(lang)
        sid = f"esco:{uuid}" if uuid else f"hh:{lang.lower()}"
        e = Entry(sid, lang, "language", ["esco"] if uuid else ["hirehound"])
        entries.append(e)
        claim(e, "s", lang)

    # 3. Stack Overflow tags by question count
    dropped: list[str] = []
    for tag, count in sorted(so_rows, key=lambda t: -t[1]):
        key = normalize(tag)
        if key in claimed or key in DROP_FORMS:
            continue
        total, lshare = lower_share(key)
        if is_plain_word(key):
            if len(key) <= 2:
                dropped.append(tag)
                continue
            if total >= 3 and lshare > MAX_LOWER_SHARE:
                dropped.append(tag)
                continue
            if total < 3 and count < SO_MIN_COUNT_UNSEEN_WORD:
                continue
        elif total >= 5 and lshare > 0.6 and " " in key and count < 20000:
            # multi-word phrases postings use as plain English ("data structures") stay out
            # unless curated or very common tags
            dropped.append(tag)
            continue
        name = best_spelling(key) or tag
        e = Entry(f"so:{tag}", name, "technology", ["stackoverflow"], weight=count)
        entries.append(e)
        claim(e, "i", tag)
        if "-" in tag:
            claim(e, "i", tag.replace("-", " "))

    # 4. O*NET Hot / In Demand technologies
    for oname in sorted(onet):
        forms = [oname]
        base = re.sub(r"\s+(?:software|systems)$", "", oname)
        forms.append(base)
        short: list[str] = []  # forms that must look like names in postings to be kept
        m = re.match(r"(.*?)\s+([A-Z][A-Z0-9]{1,})$", base)  # "Cascading style sheets CSS"
        if m and "".join(w[0] for w in m.group(1).split()[-len(m.group(2)):]).upper() == (
            m.group(2)
        ):
            forms.append(m.group(1))
            short.append(m.group(2))
            base = m.group(1)
        for v in VENDORS:
            if base.startswith(v):
                short.append(base[len(v):])
        owner = next(
            (claimed[normalize(f)] for f in forms + short if normalize(f) in claimed), None
        )
        if owner is None:
            e = Entry("onet:" + re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-"), base,
                      "technology", ["onet"])
            entries.append(e)
        else:
            e = owner
            if "onet" not in e.sources:
                e.sources.append("onet")
        for f in forms:
            if " " in f.strip():
                claim(e, "i", f)
            else:
                short.append(f)  # "Productivity", "Slack", "Google": test like any word
        for f in short:
            key = normalize(f)
            if key in DROP_FORMS or len(key) <= 2:
                continue
            total, lshare = lower_share(key)
            # "Meet" (Google Meet), "Inventor", "Maya": only when postings write them as names
            if total < 3 or lshare > MAX_LOWER_SHARE:
                continue
            claim(e, "i", f)

    # 5. ESCO knowledge phrases seen in postings
    best: dict[str, tuple[int, str, str, str]] = {}  # key -> (fit, uuid, label, category)
    esco_words = {u: d.split() for u, d in esco_rows}
    for uuid, cands in esco_cands.items():
        good = [c for c in cands if lower_share(c[0])[0] >= ESCO_MIN_SEEN]
        if not good:
            continue
        key, label, category, n = max(good, key=lambda c: c[3])
        fit = label_fit(esco_words[uuid], n)
        if key not in best or fit > best[key][0]:
            best[key] = (fit, uuid, label, category)
    for key, (_fit, uuid, label, category) in sorted(best.items()):
        if category == "skill" and key not in train_spans:
            continue
        if key in claimed:
            owner = claimed[key]
            if "esco" not in owner.sources:
                owner.sources.append("esco")
            continue
        e = Entry(f"esco:{uuid}", label[0].upper() + label[1:], category, ["esco"],
                  weight=lower_share(key)[0])
        entries.append(e)
        claim(e, "i", label)

    entries = [e for e in entries if e.forms]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: rebuilding the same inputs gives the same bytes (clean git diffs).
    with gzip.GzipFile(args.out, "wb", compresslevel=9, mtime=0) as raw, io.TextIOWrapper(
        raw, encoding="utf-8", newline="\n"
    ) as fh:
        fh.write("id\tname\tcategory\tsources\tforms\n")
        for e in entries:
            forms = "|".join(e.forms.values())
            fh.write(f"{e.id}\t{e.name}\t{e.category}\t{','.join(e.sources)}\t{forms}\n")
    by_cat = collections.Counter(e.category for e in entries)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB): {len(entries)} skills, "
          f"{sum(len(e.forms) for e in entries)} forms, {dict(by_cat)}; "
          f"dropped {len(dropped)} ambiguous SO tags", file=sys.stderr)


if __name__ == "__main__":
    main()
