"""citycases.swap on HAND-MADE folders in a temporary directory."""
from __future__ import annotations

import threading

from citycases.swap import swap_in


def _site(folder, text):
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(text, encoding="utf-8")


def test_swap_replaces_the_site_and_leaves_nothing_behind(tmp_path):
    _site(tmp_path / "html", "old (hand-made)")
    _site(tmp_path / "staging", "new (hand-made)")
    swap_in(tmp_path / "staging", tmp_path / "html")
    assert (tmp_path / "html" / "index.html").read_text(encoding="utf-8") == "new (hand-made)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["html"]


def test_first_site_is_moved_in(tmp_path):
    _site(tmp_path / "staging", "first (hand-made)")
    swap_in(tmp_path / "staging", tmp_path / "html")
    assert (tmp_path / "html" / "index.html").read_text(encoding="utf-8") == "first (hand-made)"


def test_the_site_never_disappears_during_swaps(tmp_path):
    _site(tmp_path / "html", "v0 (hand-made)")
    missing, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            if not (tmp_path / "html" / "index.html").exists():
                missing.append(1)

    t = threading.Thread(target=watch)
    t.start()
    try:
        for i in range(1, 200):
            _site(tmp_path / f"staging{i}", f"v{i} (hand-made)")
            swap_in(tmp_path / f"staging{i}", tmp_path / "html")
    finally:
        stop.set()
        t.join()
    assert (tmp_path / "html" / "index.html").read_text(encoding="utf-8") == "v199 (hand-made)"
    assert missing == [], f"the site was missing {len(missing)} time(s) while being replaced"
