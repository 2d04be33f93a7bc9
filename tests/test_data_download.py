"""data download: streamed, checked and renamed into place, from a local HTTP server only."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest
from helpers import write_uci, zip_uci

from lstm_har.cli import main
from lstm_har.data import load_uci_har
from lstm_har.data.download import DownloadError, download


@pytest.fixture
def server(tmp_path, rng):
    """A local HTTP server for ``tmp_path/site``: ``uci.zip`` (a tiny official zip) and
    ``junk.zip`` (not a zip); yields its base URL."""
    site = tmp_path / "site"
    site.mkdir()
    write_uci(tmp_path, rng, {"train": 4, "test": 2})
    zip_uci(tmp_path, site / "uci.zip")
    (site / "junk.zip").write_bytes(b"<html>not found</html>")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args):  # keep the test output clean
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", site
    httpd.shutdown()
    httpd.server_close()


def test_download_is_checked_and_loadable(server, tmp_path, capsys):
    url, site = server
    expected = hashlib.sha256((site / "uci.zip").read_bytes()).hexdigest()
    dest = tmp_path / "out" / "UCI HAR Dataset.zip"
    assert download(dest, f"{url}/uci.zip", sha256=expected.upper()) == expected
    train, test = load_uci_har(dest, cache=False)
    assert len(train) == 4 and len(test) == 2
    assert main(["data", "download", "--url", f"{url}/uci.zip", "--out", str(dest)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["data", "download", "--url", f"{url}/uci.zip", "--out", str(dest), "--force"]) == 0
    assert expected in capsys.readouterr().out
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name]


@pytest.mark.parametrize(
    ("path", "sha256", "message"),
    [
        ("uci.zip", "0" * 64, "SHA-256 is"),
        ("junk.zip", None, "not the UCI HAR zip"),
        ("missing.zip", None, "HTTP 404"),
    ],
)
def test_failed_download_leaves_nothing(server, tmp_path, capsys, path, sha256, message):
    url, _ = server
    dest = tmp_path / "out" / "data.zip"
    with pytest.raises(DownloadError, match=message):
        download(dest, f"{url}/{path}", sha256=sha256)
    assert list(dest.parent.iterdir()) == []  # no file, no temporary left over
    args = ["data", "download", "--url", f"{url}/{path}", "--out", str(dest)]
    assert main(args + (["--sha256", sha256] if sha256 else [])) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("url", "message"),
    # Port 9 (discard) on localhost: refused at once, no network involved.
    [("http://127.0.0.1:9/x.zip", "cannot connect"), ("notaurl", "not a URL")],
)
def test_unreachable_or_malformed_url_is_one_line(tmp_path, capsys, url, message):
    dest: Path = tmp_path / "data.zip"
    assert main(["data", "download", "--url", url, "--out", str(dest)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not dest.exists()
    assert list(tmp_path.iterdir()) == []


def test_motionsense_download_is_checked_and_trains(server, tmp_path, capsys):
    import shutil

    from helpers import write_motionsense_dataset

    from lstm_har.data.motionsense import load_motionsense

    url, site = server
    source = write_motionsense_dataset(tmp_path / "ms", [1, 17], seconds=4.0)
    shutil.make_archive(str(site / "A_DeviceMotion_data"), "zip", source)
    dest = tmp_path / "out" / "ms.zip"
    dest.parent.mkdir()
    args = ["data", "download", "motionsense", "--url", f"{url}/A_DeviceMotion_data.zip",
            "--out", str(dest)]  # fmt: skip
    assert main(args) == 0
    assert "--motionsense" in capsys.readouterr().out
    train, test = load_motionsense(dest)
    assert len(train) and len(test)
    # the UCI HAR zip is not MotionSense: refused, nothing written
    wrong = ["data", "download", "motionsense", "--url", f"{url}/uci.zip", "--out",
             str(tmp_path / "out" / "wrong.zip")]  # fmt: skip
    assert main(wrong) == 2
    assert "not the MotionSense zip" in capsys.readouterr().err
    assert sorted(p.name for p in dest.parent.iterdir()) == ["ms.zip"]
