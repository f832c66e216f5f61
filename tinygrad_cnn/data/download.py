"""Fetching and unpacking dataset files (``torchvision.datasets.utils``).

Downloads are checked against an MD5 sum and written atomically (see
:func:`tinygrad_cnn.files.atomic_write`), so an interrupted or corrupt download
never leaves a file behind.
"""
import hashlib
import os
import tarfile
import urllib.request

from tinygrad_cnn.files import atomic_write


def calculate_md5(path, chunk_size=1 << 20):
    """The hex MD5 digest of the file at ``path``."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def check_integrity(fpath, md5=None):
    """True if ``fpath`` is a file and (when ``md5`` is given) has that MD5 sum."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or calculate_md5(fpath) == md5


def download_url(url, folder, filename, md5):
    """Download ``url`` to ``folder/filename`` atomically, checking its MD5 sum.

    The data goes to a temporary file in ``folder``, is flushed to disk, and
    only then renamed to ``filename``; on any error (including a checksum
    mismatch) the temporary file is removed, so no partial file is left.
    """
    os.makedirs(folder, exist_ok=True)
    request = urllib.request.Request(url, headers={'User-Agent': 'tinygrad_cnn'})

    def fetch(f):
        digest = hashlib.md5(usedforsecurity=False)
        with urllib.request.urlopen(request, timeout=60) as response:
            for chunk in iter(lambda: response.read(1 << 20), b''):
                f.write(chunk)
                digest.update(chunk)
        if digest.hexdigest() != md5:        # raising here leaves no file behind
            raise RuntimeError(f"download: checksum mismatch for {url}: MD5 {digest.hexdigest()}, "
                               f"expected {md5}")
    atomic_write(os.path.join(folder, filename), fetch)


def extract_archive(from_path, to_path=None):
    """Unpack the tar archive (``.tar``, ``.tar.gz``, ``.tgz``, ...) ``from_path`` into ``to_path``
    (default: its folder). Members that would land outside ``to_path`` (absolute paths, ``..``,
    links out) are refused (tarfile's ``'data'`` filter). Returns ``to_path``."""
    to_path = os.path.dirname(from_path) if to_path is None else to_path
    with tarfile.open(from_path) as tar:
        tar.extractall(to_path, filter='data')
    return to_path
