"""Check every external URL in data/sources/*.yml (url_main, url_download, repository and any other http(s)
value) and the citation_url of every event in data/events/*.csv. Run weekly by .github/workflows/linkcheck.yml and locally by `make linkcheck`; not part of `make test`.

Exit 1 if a URL is broken (HTTP 404/410/5xx, DNS or connection failure). Servers that refuse robots
(401/403/405/429) are listed as "check by hand" without failing the run.
"""
from __future__ import annotations

import argparse
import csv
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
AGENT = "citycases-linkcheck/1 (+https://github.com; open data book)"
SOFT = {401, 403, 405, 429}


def urls() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}

    def walk(value, where):
        if isinstance(value, dict):
            for v in value.values():
                walk(v, where)
        elif isinstance(value, list):
            for v in value:
                walk(v, where)
        elif isinstance(value, str) and value.startswith(("http://", "https://")) and " " not in value:
            found.setdefault(value, []).append(where)

    for path in sorted((ROOT / "data" / "sources").glob("*.yml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
    for path in sorted((ROOT / "data" / "events").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                walk(row.get("citation_url") or "", f"events/{path.name}, row {i}")
    return found


def check(url: str) -> tuple[str, str]:
    for method in ("HEAD", "GET"):
        req = urllib.request.Request(url, method=method, headers={"User-Agent": AGENT})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return "ok", str(r.status)
        except urllib.error.HTTPError as e:
            if method == "HEAD" and e.code in {403, 405, 501}:
                continue
            return ("soft" if e.code in SOFT else "broken"), f"HTTP {e.code}"
        except Exception as e:  # DNS, TLS, timeout
            if method == "HEAD":
                continue
            return "broken", f"{type(e).__name__}: {e}"
    return "broken", "no answer"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--report", type=Path, help="also write the report (Markdown) to this file")
    args = ap.parse_args(argv)
    found = urls()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(zip(found, pool.map(check, found)))
    lines = [f"# Source link check: {len(found)} URLs", ""]
    for status, title in (("broken", "Broken"), ("soft", "Refused automated checks (check by hand)")):
        bad = [(u, r) for u, (s, r) in results.items() if s == status]
        if bad:
            lines += [f"## {title} ({len(bad)})", ""]
            lines += [f"- {u} ({r}; in {', '.join(sorted(set(found[u])))})" for u, r in bad] + [""]
    if not any(s != "ok" for s, _ in results.values()):
        lines.append("All links answered.")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(report, encoding="utf-8")
    return 1 if any(s == "broken" for s, _ in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
