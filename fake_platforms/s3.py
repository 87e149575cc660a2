"""A local S3-compatible server for the test of kefu's S3 file store (shop/attachments.py S3Files).

s3rver (npm), pinned with all its dependencies by fake_platforms/s3rver/package-lock.json (npm ci checks each
package's integrity hash), installed under var/vendor/s3rver and never committed:
    python -m fake_platforms.s3      installs it once; prints the path of its command
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from shop.settings import ROOT

PINNED = Path(__file__).with_name("s3rver")  # package.json and package-lock.json
HOME = ROOT / "var" / "vendor" / "s3rver"
COMMAND = HOME / "node_modules" / ".bin" / "s3rver"
KEY = SECRET = "S3RVER"  # s3rver's own fixed credentials


def install() -> Path:
    lock = (PINNED / "package-lock.json").read_bytes()
    if COMMAND.exists() and (HOME / "package-lock.json").read_bytes() == lock:
        return COMMAND
    if shutil.which("npm") is None:
        raise SystemExit("npm is not installed: the S3 storage test needs it (Debian's package npm)")
    HOME.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PINNED / name, HOME / name)
    subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=HOME, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return COMMAND


def start(port: int, folder: Path, bucket: str) -> subprocess.Popen:
    """s3rver on 127.0.0.1:port, keeping its objects in folder, with the bucket made."""
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(install()), "--directory", str(folder), "--port", str(port), "--address",
                             "127.0.0.1", "--configure-bucket", bucket, "--silent"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


if __name__ == "__main__":
    print(install())
